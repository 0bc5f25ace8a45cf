/// `WhitespaceSplit`: splits on whitespace (Rust's `char::is_whitespace`), which is dropped
/// (tokenizers/src/pre_tokenizers/whitespace.rs).
struct WhitespaceSplit: PreTokenizer, JSONDecodableStage {
    static let jsonType = "WhitespaceSplit"

    init() {}
    init(json: JSONObject) throws {}

    func split(_ text: NormalizedText) -> [NormalizedText] {
        var words: [NormalizedText] = []
        var wordStart = 0
        for (index, scalar) in text.scalars.enumerated() where CharacterClasses.isWhitespace(scalar) {
            if wordStart < index { words.append(text.slice(wordStart..<index)) }
            wordStart = index + 1
        }
        if wordStart < text.count { words.append(text.slice(wordStart..<text.count)) }
        return words
    }
}
