/// The `Metaspace` decoder: each replacement (`▁`) becomes a space, except in the first token, where it is
/// dropped unless the prepend scheme is "never" (tokenizers/src/pre_tokenizers/metaspace.rs, `decode_chain`).
///
/// ["▁Hello", "▁wor", "ld"] → "Hello world"
///
/// It reads the same fields as the `Metaspace` pre-tokenizer.
struct MetaspaceDecoder: TokenDecoder, JSONDecodableStage {
    static let jsonType = "Metaspace"

    let replacement: Unicode.Scalar
    let prependScheme: Metaspace.PrependScheme

    init(json: JSONObject) throws {
        let settings = try Metaspace(json: json)
        replacement = settings.replacement
        prependScheme = settings.prependScheme
    }

    func decodeChain(_ tokens: [String]) -> [String] {
        tokens.enumerated().map { index, token in
            let dropReplacement = index == 0 && prependScheme != .never
            var piece = String.UnicodeScalarView()
            for scalar in token.unicodeScalars {
                if scalar != replacement {
                    piece.append(scalar)
                } else if !dropReplacement {
                    piece.append(" ")
                }
            }
            return String(piece)
        }
    }
}
