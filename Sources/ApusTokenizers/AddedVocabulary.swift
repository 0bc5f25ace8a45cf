/// One entry of tokenizer.json's `added_tokens`.
public struct AddedToken: Sendable, Equatable {
    public var id: Int
    public var content: String
    /// Special tokens are skipped by `decode(skipSpecialTokens: true)`.
    public var special: Bool
    /// Only match when not inside a word.
    public var singleWord: Bool
    /// Absorb whitespace on the left / right of the match.
    public var leftStrip: Bool
    public var rightStrip: Bool
    /// Match on normalised text (true) or on the raw input (false).
    public var normalized: Bool
}

/// Finds added tokens in text before the model runs, longest match first at each position
/// (tokenizers/src/tokenizer/added_vocabulary.rs).
struct AddedVocabulary: Sendable {
    let tokens: [AddedToken]
    private let raw: [(scalars: [Unicode.Scalar], token: AddedToken)]
    private let normalizedTokens: [(scalars: [Unicode.Scalar], token: AddedToken)]

    /// `normalize` turns a normalised token's content into the form it is matched in.
    init(tokens: [AddedToken], normalize: (String) -> [Unicode.Scalar]) {
        self.tokens = tokens
        let longestFirst = { (a: (scalars: [Unicode.Scalar], token: AddedToken), b: (scalars: [Unicode.Scalar], token: AddedToken)) in
            a.scalars.count > b.scalars.count
        }
        raw = tokens.filter { !$0.normalized && !$0.content.isEmpty }.map { (Array($0.content.unicodeScalars), $0) }.sorted(by: longestFirst)
        normalizedTokens = tokens.filter { $0.normalized && !$0.content.isEmpty }.map { (normalize($0.content), $0) }
            .filter { !$0.0.isEmpty }.sorted(by: longestFirst)
    }

    /// A piece of the input: either plain text or an added token found in it, with the text it matched
    /// (which includes whitespace absorbed by lstrip/rstrip, as Python reports the token string).
    enum Piece {
        case text(NormalizedText)
        case token(AddedToken, matched: String, offset: Range<Int>)
    }

    /// Splits `text` around the raw (un-normalised) added tokens.
    func splitRaw(_ text: NormalizedText) -> [Piece] { split(text, on: raw) }

    /// Splits normalised `text` around the normalised added tokens.
    func splitNormalized(_ text: NormalizedText) -> [Piece] { split(text, on: normalizedTokens) }

    private func split(_ text: NormalizedText, on candidates: [(scalars: [Unicode.Scalar], token: AddedToken)]) -> [Piece] {
        guard !candidates.isEmpty else { return [.text(text)] }
        let scalars = text.scalars
        var pieces: [Piece] = []
        var textStart = 0
        var position = 0
        while position < scalars.count {
            var found: (start: Int, end: Int, token: AddedToken)?
            for candidate in candidates where position + candidate.scalars.count <= scalars.count {
                if !scalars[position..<(position + candidate.scalars.count)].elementsEqual(candidate.scalars) { continue }
                let end = position + candidate.scalars.count
                if candidate.token.singleWord {
                    let before = position > 0 ? scalars[position - 1] : nil
                    let after = end < scalars.count ? scalars[end] : nil
                    if before.map(isWordCharacter) == true || after.map(isWordCharacter) == true { continue }
                }
                var start = position, stop = end
                if candidate.token.leftStrip {
                    while start > textStart && scalars[start - 1].properties.isWhitespace { start -= 1 }
                }
                if candidate.token.rightStrip {
                    while stop < scalars.count && scalars[stop].properties.isWhitespace { stop += 1 }
                }
                found = (start, stop, candidate.token)
                break
            }
            guard let match = found else {
                position += 1
                continue
            }
            if textStart < match.start { pieces.append(.text(text.slice(textStart..<match.start))) }
            pieces.append(.token(match.token, matched: text.slice(match.start..<match.end).string,
                                 offset: text.originalRange(of: match.start..<match.end)))
            textStart = match.end
            position = match.end
        }
        if textStart < scalars.count { pieces.append(.text(text.slice(textStart..<scalars.count))) }
        return pieces
    }
}

/// Letters, digits and `_`: what `single_word` tokens must not touch (the Rust `\w` class).
private func isWordCharacter(_ scalar: Unicode.Scalar) -> Bool {
    scalar == "_" || scalar.properties.isAlphabetic || scalar.properties.numericType != nil
}
