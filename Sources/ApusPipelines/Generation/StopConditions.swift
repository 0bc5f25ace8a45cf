/// Why generation ended.
public enum StopReason: Sendable, Equatable {
    /// The model produced one of the end-of-sequence ids.
    case endOfSequence(tokenId: Int)
    /// `maxNewTokens` tokens were generated.
    case maximumLength
    /// The text reached a stop string (which is not part of the output).
    case stopString(String)
}

/// When to stop generating, by token: an end-of-sequence id or the token budget. Stop strings, which span
/// tokens, are `GeneratedTextStream`'s job.
public struct StopConditions: Sendable, Equatable {
    /// Ids that end the generation (generation_config.json's `eos_token_id`).
    public var endOfSequenceIds: Set<Int>
    /// The token budget.
    public var maxNewTokens: Int

    /// Stop at any of `endOfSequenceIds` or after `maxNewTokens` tokens.
    public init(endOfSequenceIds: Set<Int>, maxNewTokens: Int) {
        self.endOfSequenceIds = endOfSequenceIds
        self.maxNewTokens = maxNewTokens
    }

    /// From a resolved generation config: its eos ids and `maximumNewTokens(promptLength:)`.
    public init(_ configuration: GenerationConfig, promptLength: Int, maxPositionEmbeddings: Int? = nil) {
        endOfSequenceIds = Set(configuration.eosTokenIds ?? [])
        maxNewTokens = configuration.maximumNewTokens(promptLength: promptLength, maxPositionEmbeddings: maxPositionEmbeddings)
    }

    /// Whether to stop after `token`, the `generatedCount`-th generated token (1-based). An end-of-sequence
    /// token is reported first; it is not part of the text.
    public func reason(after token: Int, generatedCount: Int) -> StopReason? {
        if endOfSequenceIds.contains(token) { return .endOfSequence(tokenId: token) }
        if generatedCount >= maxNewTokens { return .maximumLength }
        return nil
    }
}

/// Finds stop strings in text that arrives in pieces. Matching is by Unicode scalars (as Python compares).
public struct StopStringMatcher: Sendable, Equatable {
    /// The stop strings (empty ones are ignored).
    public let stopStrings: [String]
    private let patterns: [[Unicode.Scalar]]

    /// A matcher for `stopStrings`.
    public init(_ stopStrings: [String]) {
        self.stopStrings = stopStrings.filter { !$0.isEmpty }
        patterns = self.stopStrings.map { Array($0.unicodeScalars) }
    }

    /// The earliest stop string in `text`: its scalar offset and which one (the longest if several start there).
    public func firstMatch(in text: [Unicode.Scalar]) -> (offset: Int, stopString: String)? {
        var best: (offset: Int, length: Int, index: Int)?
        for (index, pattern) in patterns.enumerated() where pattern.count <= text.count {
            for start in 0...(text.count - pattern.count) {
                if let current = best, start > current.offset { break }
                if text[start..<(start + pattern.count)].elementsEqual(pattern) {
                    if best == nil || start < best!.offset || (start == best!.offset && pattern.count > best!.length) {
                        best = (start, pattern.count, index)
                    }
                    break
                }
            }
        }
        return best.map { ($0.offset, stopStrings[$0.index]) }
    }

    /// How many scalars at the end of `text` could be the start of a stop string (and must be held back).
    public func heldBackCount(_ text: [Unicode.Scalar]) -> Int {
        var longest = 0
        for pattern in patterns {
            for length in stride(from: min(pattern.count - 1, text.count), to: longest, by: -1)
            where text[(text.count - length)...].elementsEqual(pattern[0..<length]) {
                longest = length
                break
            }
        }
        return longest
    }
}

/// The text of a generation as tokens arrive: each token's new text (through `IncrementalDetokenizer`), held
/// back while it might be the start of a stop string, and cut before the first stop string, even one spread
/// over several tokens.
///
/// ```swift
/// var stream = GeneratedTextStream(stopStrings: ["\nUser:"], context: promptIds) { tokenizer.decode($0) }
/// let piece = stream.append(token)       // print piece.text; stop when piece.stopString != nil
/// let rest = stream.finish()             // at end of sequence or max tokens
/// ```
public struct GeneratedTextStream {
    /// What one token added: the text that can be shown, and the stop string if one was reached.
    public struct Piece: Sendable, Equatable {
        /// Text to show now.
        public let text: String
        /// The stop string reached by this token, if any (the generation should end).
        public let stopString: String?
    }

    private var detokenizer: IncrementalDetokenizer
    private let matcher: StopStringMatcher
    /// Decoded text not yet given (it may start a stop string).
    private var pending: [Unicode.Scalar] = []
    /// Set once a stop string was found; later tokens add nothing.
    public private(set) var stopString: String?
    /// All text given so far (the generation's output).
    public private(set) var text = ""

    /// A stream that cuts at any of `stopStrings`, decoding with `decode` (see `IncrementalDetokenizer`).
    public init(stopStrings: [String] = [], context: [Int] = [], decode: @escaping ([Int]) -> String) {
        detokenizer = IncrementalDetokenizer(context: context, decode: decode)
        matcher = StopStringMatcher(stopStrings)
    }

    /// Adds a generated token.
    public mutating func append(_ token: Int) -> Piece {
        guard stopString == nil else { return Piece(text: "", stopString: stopString) }
        pending.append(contentsOf: detokenizer.append(token).unicodeScalars)
        return release(final: false)
    }

    /// Gives the text still held back (the generation ended without completing a stop string).
    public mutating func finish() -> String {
        guard stopString == nil else { return "" }
        pending.append(contentsOf: detokenizer.finish().unicodeScalars)
        return release(final: true).text
    }

    private mutating func release(final: Bool) -> Piece {
        if let match = matcher.firstMatch(in: pending) {
            stopString = match.stopString
            let piece = String(String.UnicodeScalarView(pending[..<match.offset]))
            pending.removeAll()
            text += piece
            return Piece(text: piece, stopString: match.stopString)
        }
        let held = final ? 0 : matcher.heldBackCount(pending)
        let piece = String(String.UnicodeScalarView(pending[..<(pending.count - held)]))
        pending.removeFirst(pending.count - held)
        text += piece
        return Piece(text: piece, stopString: nil)
    }
}
