/// `Punctuation` pre-tokenizer: splits at every punctuation scalar (ASCII punctuation or a Unicode 8.0 P*
/// category, as `CharacterClasses.isBertPunctuation`), each one a delimiter of its own handled as `behavior`
/// says (tokenizers/src/pre_tokenizers/punctuation.rs).
///
/// "Hey, you!!" isolated → "Hey", ",", " you", "!", "!"
struct Punctuation: PreTokenizer, JSONDecodableStage {
    static let jsonType = "Punctuation"

    let behavior: SplitDelimiterBehavior

    init(behavior: SplitDelimiterBehavior = .isolated) { self.behavior = behavior }

    init(json: JSONObject) throws {
        behavior = try SplitDelimiterBehavior(json: json, key: "behavior", default: .isolated)
    }

    func split(_ text: NormalizedText) -> [NormalizedText] {
        behavior.split(text, where: CharacterClasses.isBertPunctuation)
    }
}
