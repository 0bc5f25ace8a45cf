/// `Digits` pre-tokenizer: numeric scalars (Rust's `char::is_numeric`: general categories Nd, Nl, No) become
/// words of their own — each one alone with `individualDigits`, else whole runs
/// (tokenizers/src/pre_tokenizers/digits.rs).
///
/// "Call 123" → "Call ", "123"; with individual digits → "Call ", "1", "2", "3"
struct Digits: PreTokenizer, JSONDecodableStage {
    static let jsonType = "Digits"

    let individualDigits: Bool

    init(individualDigits: Bool = false) { self.individualDigits = individualDigits }

    init(json: JSONObject) throws {
        individualDigits = try json.bool("individual_digits", default: false)
    }

    func split(_ text: NormalizedText) -> [NormalizedText] {
        (individualDigits ? SplitDelimiterBehavior.isolated : .contiguous).split(text, where: Self.isNumeric)
    }

    /// Rust's `char::is_numeric`.
    static func isNumeric(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII { return ("0"..."9").contains(scalar) }
        switch scalar.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }
}
