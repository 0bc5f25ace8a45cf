/// The `CTC` decoder for speech models' character outputs (wav2vec2): repeated tokens collapse to one, the pad
/// token is removed, and with `cleanup` the WordPiece cleanup runs and the word delimiter becomes a space;
/// tokens left empty are dropped (tokenizers/src/decoders/ctc.rs).
///
/// ["<pad>", "h", "h", "e", "<pad>", "l", "l", "<pad>", "l", "o", "|", "w"] → "hello w"
struct CTCDecoder: TokenDecoder, JSONDecodableStage {
    static let jsonType = "CTC"

    let padToken: String
    let wordDelimiterToken: String
    let cleanup: Bool

    init(padToken: String = "<pad>", wordDelimiterToken: String = "|", cleanup: Bool = true) {
        self.padToken = padToken
        self.wordDelimiterToken = wordDelimiterToken
        self.cleanup = cleanup
    }

    /// tokenizers requires all three fields.
    init(json: JSONObject) throws {
        self.init(padToken: try json.string("pad_token"), wordDelimiterToken: try json.string("word_delimiter_token"),
                  cleanup: try json.bool("cleanup"))
    }

    func decodeChain(_ tokens: [String]) -> [String] {
        let pad = Array(padToken.unicodeScalars), delimiter = Array(wordDelimiterToken.unicodeScalars)
        var pieces: [String] = []
        var previous: [Unicode.Scalar]?
        for token in tokens {
            let scalars = Array(token.unicodeScalars)
            // Itertools' `dedup`: equal neighbours (exact scalars) collapse before anything else.
            if scalars == previous { continue }
            previous = scalars
            var piece = scalars.replacingOccurrences(of: pad, with: [])
            if cleanup {
                piece = WordPieceDecoder.cleanTokenizationSpaces(piece).replacingOccurrences(of: delimiter, with: [" "])
            }
            if !piece.isEmpty { pieces.append(piece.string) }
        }
        return pieces
    }
}
