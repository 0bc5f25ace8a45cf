/// The `Replace` decoder: every match of a string or regex pattern in each token replaced by `content`
/// (tokenizers/src/normalizers/replace.rs, `decode_chain`). Llama 2 / SentencePiece-BPE files use it to turn
/// the `▁` marker back into spaces: `{"type": "Replace", "pattern": {"String": "▁"}, "content": " "}`.
///
/// Matches are found as the `Replace` normalizer finds them (`TokenizerRegex`, a string pattern being a literal
/// regex, as tokenizers escapes it).
struct ReplaceDecoder: TokenDecoder, JSONDecodableStage {
    static let jsonType = "Replace"

    let pattern: TokenizerRegex
    let content: [Unicode.Scalar]

    init(pattern: TokenizerRegex, content: String) {
        self.pattern = pattern
        self.content = Array(content.unicodeScalars)
    }

    /// A decoder replacing the literal `pattern`.
    init(pattern: String, content: String) { self.init(pattern: TokenizerRegex(literal: pattern), content: content) }

    init(json: JSONObject) throws {
        self.init(pattern: try Split.pattern(json, key: "pattern"), content: try json.string("content"))
    }

    func decodeChain(_ tokens: [String]) -> [String] {
        tokens.map { token in
            let scalars = Array(token.unicodeScalars)
            var result: [Unicode.Scalar] = []
            result.reserveCapacity(scalars.count)
            for piece in pattern.pieces(in: scalars) {
                if piece.isMatch { result += content } else { result += scalars[piece.range] }
            }
            return result.string
        }
    }
}
