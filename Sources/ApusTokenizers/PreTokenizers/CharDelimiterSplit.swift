/// `CharDelimiterSplit` pre-tokenizer: splits on one delimiter scalar, which is dropped
/// (tokenizers/src/pre_tokenizers/delimiter.rs).
///
/// ```json
/// {"type": "CharDelimiterSplit", "delimiter": "_"}
/// ```
struct CharDelimiterSplit: PreTokenizer, JSONDecodableStage {
    static let jsonType = "CharDelimiterSplit"

    let delimiter: Unicode.Scalar

    init(delimiter: Unicode.Scalar) { self.delimiter = delimiter }

    init(json: JSONObject) throws {
        let text = try json.string("delimiter")
        guard text.unicodeScalars.count == 1, let scalar = text.unicodeScalars.first else {
            throw json.mismatch("delimiter", expected: "a single character")
        }
        delimiter = scalar
    }

    func split(_ text: NormalizedText) -> [NormalizedText] {
        SplitDelimiterBehavior.removed.split(text) { $0 == delimiter }
    }
}
