/// The `Replace` decoder: every occurrence of a string in each token replaced by `content`
/// (tokenizers/src/normalizers/replace.rs, `decode_chain`). Llama 2 / SentencePiece-BPE files use it to turn
/// the `▁` marker back into spaces: `{"type": "Replace", "pattern": {"String": "▁"}, "content": " "}`.
///
/// Only string patterns are read; a `{"Regex": ...}` pattern is refused with an error naming it.
struct ReplaceDecoder: TokenDecoder, JSONDecodableStage {
    static let jsonType = "Replace"

    let pattern: [Unicode.Scalar]
    let content: [Unicode.Scalar]

    init(pattern: String, content: String) {
        self.pattern = Array(pattern.unicodeScalars)
        self.content = Array(content.unicodeScalars)
    }

    init(json: JSONObject) throws {
        let pattern = try json.object("pattern")
        guard pattern.has("String") else {
            throw TokenizerError.invalidField(file: json.file, field: json.path(of: "pattern"),
                                              expected: "{\"String\": ...}: the Replace decoder does not support regex patterns yet")
        }
        self.init(pattern: try pattern.string("String"), content: try json.string("content"))
    }

    func decodeChain(_ tokens: [String]) -> [String] {
        tokens.map { Array($0.unicodeScalars).replacingOccurrences(of: pattern, with: content).string }
    }
}
