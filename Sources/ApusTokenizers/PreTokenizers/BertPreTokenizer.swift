/// `BertPreTokenizer`: splits on whitespace, which is dropped, and makes every punctuation character a word of
/// its own (tokenizers/src/pre_tokenizers/bert.rs; punctuation as `CharacterClasses.isBertPunctuation`).
///
/// "Hey friend!  How?!" → "Hey", "friend", "!", "How", "?", "!"
struct BertPreTokenizer: PreTokenizer, JSONDecodableStage {
    static let jsonType = "BertPreTokenizer"

    init() {}
    init(json: JSONObject) throws {}

    func split(_ text: NormalizedText) -> [NormalizedText] {
        var words: [NormalizedText] = []
        var wordStart = 0
        for (index, scalar) in text.scalars.enumerated() {
            if CharacterClasses.isWhitespace(scalar) {
                if wordStart < index { words.append(text.slice(wordStart..<index)) }
                wordStart = index + 1
            } else if CharacterClasses.isBertPunctuation(scalar) {
                if wordStart < index { words.append(text.slice(wordStart..<index)) }
                words.append(text.slice(index..<(index + 1)))
                wordStart = index + 1
            }
        }
        if wordStart < text.count { words.append(text.slice(wordStart..<text.count)) }
        return words
    }
}
