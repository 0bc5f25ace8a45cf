/// The `WordPiece` decoder: joins tokens with spaces, glues `##` continuations, and optionally cleans up
/// tokenisation spaces (" ." → "."; " n't" → "n't"…) as tokenizers/src/decoders/wordpiece.rs does.
/// Works on Unicode scalars: as Swift `Character`s, "##" followed by a combining mark is not a "##" prefix.
struct WordPieceDecoder: TokenDecoder {
    let prefix: String
    let cleanup: Bool

    func decode(_ tokens: [String]) -> String {
        var text = String.UnicodeScalarView()
        let prefixScalars = Array(prefix.unicodeScalars)
        for (index, token) in tokens.enumerated() {
            var piece = Array(token.unicodeScalars)
            if index != 0 {
                if piece.starts(with: prefixScalars) { piece.removeFirst(prefixScalars.count) } else { piece.insert(" ", at: 0) }
            }
            if cleanup { piece = cleanTokenizationSpaces(piece) }
            text.append(contentsOf: piece)
        }
        return String(text)
    }
}

/// Removes the spaces tokenisation put before punctuation and English contractions, replacing each pattern
/// in turn over the whole piece (as the Rust `cleanup` does with `str::replace`).
func cleanTokenizationSpaces(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
    var result = scalars
    for (from, to) in [(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
                       (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")] {
        result = replacing(Array(from.unicodeScalars), with: Array(to.unicodeScalars), in: result)
    }
    return result
}

private func replacing(_ pattern: [Unicode.Scalar], with replacement: [Unicode.Scalar], in scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
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
