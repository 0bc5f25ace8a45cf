/// The `WordPiece` decoder: joins tokens with spaces except where a token carries the continuation prefix
/// (`##`), which is removed; with `cleanup`, also removes the spaces tokenisation put before punctuation and
/// English contractions (tokenizers/src/decoders/wordpiece.rs).
///
/// ["un", "##aff", "##able", "!"] → "unaffable!"
///
/// Works on Unicode scalars: as Swift `Character`s, "##" followed by a combining mark would not start with "##".
struct WordPieceDecoder: TokenDecoder, JSONDecodableStage {
    static let jsonType = "WordPiece"

    let prefix: String
    let cleanup: Bool

    init(prefix: String = "##", cleanup: Bool = true) {
        self.prefix = prefix
        self.cleanup = cleanup
    }

    init(json: JSONObject) throws {
        self.init(prefix: try json.optionalString("prefix") ?? "##", cleanup: try json.bool("cleanup", default: true))
    }

    func decodeChain(_ tokens: [String]) -> [String] {
        let prefixScalars = Array(prefix.unicodeScalars)
        return tokens.enumerated().map { index, token in
            var piece = Array(token.unicodeScalars)
            if index != 0 {
                if piece.starts(with: prefixScalars) {
                    piece.removeFirst(prefixScalars.count)
                } else {
                    piece.insert(" ", at: 0)
                }
            }
            if cleanup { piece = Self.cleanTokenizationSpaces(piece) }
            var text = String.UnicodeScalarView()
            text.append(contentsOf: piece)
            return String(text)
        }
    }

    /// Each pattern replaced in turn over the whole piece, leftmost occurrences first and without overlaps,
    /// like the chain of Rust `str::replace` calls in tokenizers' `cleanup`.
    static let cleanupReplacements: [(pattern: [Unicode.Scalar], replacement: [Unicode.Scalar])] = [
        (" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
        (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"),
    ].map { (Array($0.0.unicodeScalars), Array($0.1.unicodeScalars)) }

    static func cleanTokenizationSpaces(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard scalars.contains(" ") else { return scalars }
        var result = scalars
        for (pattern, replacement) in cleanupReplacements {
            result = replacingOccurrences(of: pattern, with: replacement, in: result)
        }
        return result
    }

    private static func replacingOccurrences(of pattern: [Unicode.Scalar], with replacement: [Unicode.Scalar],
                                             in scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard scalars.count >= pattern.count else { return scalars }
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(scalars.count)
        var index = 0
        while index < scalars.count {
            if index + pattern.count <= scalars.count && scalars[index..<(index + pattern.count)].elementsEqual(pattern) {
                result += replacement
                index += pattern.count
            } else {
                result.append(scalars[index])
                index += 1
            }
        }
        return result
    }
}
