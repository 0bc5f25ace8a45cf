/// `Whitespace` pre-tokenizer: words are runs of word characters or runs of other non-space characters; the
/// whitespace between them is dropped (tokenizers/src/pre_tokenizers/whitespace.rs, the `regex` crate's
/// `\w+|[^\w\s]+`, hence `CharacterClasses.isWordCharacter`, not Oniguruma's `\w`).
///
/// "Hello, world!!" → "Hello", ",", "world", "!!"
struct Whitespace: PreTokenizer, JSONDecodableStage {
    static let jsonType = "Whitespace"

    init() {}
    init(json: JSONObject) throws {}

    func split(_ text: NormalizedText) -> [NormalizedText] {
        var words: [NormalizedText] = []
        let scalars = text.scalars
        var index = 0
        while index < scalars.count {
            if CharacterClasses.isWordCharacter(scalars[index]) {
                let start = index
                while index < scalars.count && CharacterClasses.isWordCharacter(scalars[index]) { index += 1 }
                words.append(text.slice(start..<index))
            } else if !CharacterClasses.isWhitespace(scalars[index]) {
                let start = index
                while index < scalars.count && !CharacterClasses.isWordCharacter(scalars[index])
                        && !CharacterClasses.isWhitespace(scalars[index]) {
                    index += 1
                }
                words.append(text.slice(start..<index))
            } else {
                index += 1
            }
        }
        return words
    }
}
