/// What a splitting pre-tokenizer does with the pieces its pattern matches (tokenizers' `SplitDelimiterBehavior`,
/// applied as `NormalizedString::split` does in tokenizers/src/tokenizer/normalizer.rs).
///
/// Splitting "the-final--countdown" on "-": removed → "the", "final", "countdown"; isolated → "the", "-",
/// "final", "-", "-", "countdown"; mergedWithPrevious → "the-", "final-", "-", "countdown"; mergedWithNext →
/// "the", "-final", "-", "-countdown"; contiguous → "the", "-", "final", "--", "countdown".
enum SplitDelimiterBehavior: String, Sendable {
    case removed = "Removed"
    case isolated = "Isolated"
    case mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext"
    case contiguous = "Contiguous"

    /// Reads `key` of `json` (`"behavior": "Isolated"`); `defaultValue` when absent, if there is one.
    init(json: JSONObject, key: String, default defaultValue: SplitDelimiterBehavior? = nil) throws {
        if !json.has(key), let defaultValue {
            self = defaultValue
            return
        }
        let name = try json.string(key)
        guard let behavior = SplitDelimiterBehavior(rawValue: name) else {
            throw TokenizerError.invalidField(file: json.file, field: json.path(of: key),
                                              expected: "one of Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous, found '\(name)'")
        }
        self = behavior
    }

    /// The words of `text` cut at `pieces` (consecutive ranges covering it, each flagged as a match or not, as
    /// tokenizers' `Pattern::find_matches` gives them); empty words are dropped.
    func split(_ text: NormalizedText, pieces: [(range: Range<Int>, isMatch: Bool)]) -> [NormalizedText] {
        var kept: [Range<Int>] = []
        switch self {
        case .removed:
            kept = pieces.filter { !$0.isMatch }.map(\.range)
        case .isolated:
            kept = pieces.map(\.range)
        case .contiguous:
            var previousMatch = false
            for piece in pieces {
                if piece.isMatch == previousMatch, let last = kept.last {
                    kept[kept.count - 1] = last.lowerBound..<piece.range.upperBound
                } else {
                    kept.append(piece.range)
                }
                previousMatch = piece.isMatch
            }
        case .mergedWithPrevious:
            var previousMatch = false
            for piece in pieces {
                if piece.isMatch && !previousMatch, let last = kept.last {
                    kept[kept.count - 1] = last.lowerBound..<piece.range.upperBound
                } else {
                    kept.append(piece.range)
                }
                previousMatch = piece.isMatch
            }
        case .mergedWithNext:
            var previousMatch = false
            for piece in pieces.reversed() {
                if piece.isMatch && !previousMatch, let last = kept.last {
                    kept[kept.count - 1] = piece.range.lowerBound..<last.upperBound
                } else {
                    kept.append(piece.range)
                }
                previousMatch = piece.isMatch
            }
            kept.reverse()
        }
        return kept.compactMap { $0.isEmpty ? nil : text.slice($0) }
    }

    /// `text` cut where `isDelimiter` holds, each such scalar a match of its own (tokenizers' `Pattern` for
    /// `Fn(char) -> bool` and `char`).
    func split(_ text: NormalizedText, where isDelimiter: (Unicode.Scalar) -> Bool) -> [NormalizedText] {
        var pieces: [(range: Range<Int>, isMatch: Bool)] = []
        var start = 0
        for (index, scalar) in text.scalars.enumerated() where isDelimiter(scalar) {
            if start < index { pieces.append((start..<index, false)) }
            pieces.append((index..<(index + 1), true))
            start = index + 1
        }
        if start < text.count { pieces.append((start..<text.count, false)) }
        return split(text, pieces: pieces)
    }
}
