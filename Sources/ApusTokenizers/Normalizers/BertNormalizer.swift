/// `BertNormalizer`: removes control characters and turns whitespace into spaces, surrounds CJK ideographs
/// with spaces, strips accents, lowercases — in that order (tokenizers/src/normalizers/bert.rs).
///
/// ```json
/// {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": null, "lowercase": true}
/// ```
/// `strip_accents: null` follows `lowercase`: uncased BERT checkpoints strip accents, cased ones keep them.
struct BertNormalizer: Normalizer, JSONDecodableStage {
    static let jsonType = "BertNormalizer"

    /// Remove NUL, U+FFFD and control characters; map every whitespace character to a space.
    let cleanText: Bool
    /// Put spaces around CJK ideographs so each becomes a word.
    let handleChineseCharacters: Bool
    /// Decompose (NFD) and drop nonspacing marks.
    let stripAccents: Bool
    /// Lowercase with Unicode's full mappings (one scalar can become several).
    let lowercase: Bool

    init(cleanText: Bool, handleChineseCharacters: Bool, stripAccents: Bool, lowercase: Bool) {
        self.cleanText = cleanText
        self.handleChineseCharacters = handleChineseCharacters
        self.stripAccents = stripAccents
        self.lowercase = lowercase
    }

    /// Missing fields take the defaults of tokenizers' `BertNormalizer::default()`.
    init(json: JSONObject) throws {
        let lowercase = try json.bool("lowercase", default: true)
        self.init(cleanText: try json.bool("clean_text", default: true),
                  handleChineseCharacters: try json.bool("handle_chinese_chars", default: true),
                  stripAccents: try json.optionalBool("strip_accents") ?? lowercase,
                  lowercase: lowercase)
    }

    func normalize(_ text: inout NormalizedText) {
        if cleanText {
            text.removeAll { $0.value == 0 || $0.value == 0xFFFD || CharacterClasses.isBertControl($0) }
            text.map { CharacterClasses.isWhitespace($0) ? " " : $0 }
        }
        if handleChineseCharacters && text.scalars.contains(where: CharacterClasses.isChineseCharacter) {
            text.rewrite { scalar, emit in
                if CharacterClasses.isChineseCharacter(scalar) {
                    emit(" ")
                    emit(scalar)
                    emit(" ")
                } else {
                    emit(scalar)
                }
            }
        }
        if stripAccents {
            StripAccents.stripAccents(&text)
        }
        if lowercase {
            Lowercase.lowercase(&text)
        }
    }
}
