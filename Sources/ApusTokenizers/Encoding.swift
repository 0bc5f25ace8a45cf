/// The result of tokenising one input (or one pair): ids and everything aligned with them.
public struct Encoding: Sendable, Equatable {
    /// Token ids.
    public var ids: [Int]
    /// Segment ids (0 for the first sequence, 1 for the second in BERT pairs).
    public var typeIds: [Int]
    /// Token strings.
    public var tokens: [String]
    /// Character (Unicode scalar) offsets of each token in its input text; special tokens get `0..<0`.
    public var offsets: [Range<Int>]
    /// 1 for tokens the post-processor added, 0 otherwise.
    public var specialTokensMask: [Int]
    /// 1 for every real token (Apus never pads inside an `Encoding`).
    public var attentionMask: [Int]

    /// An empty encoding.
    public init() {
        ids = []; typeIds = []; tokens = []; offsets = []; specialTokensMask = []; attentionMask = []
    }

    /// Number of tokens.
    public var count: Int { ids.count }

    mutating func append(id: Int, token: String, offset: Range<Int>, typeId: Int, special: Bool) {
        ids.append(id)
        typeIds.append(typeId)
        tokens.append(token)
        offsets.append(offset)
        specialTokensMask.append(special ? 1 : 0)
        attentionMask.append(1)
    }

    mutating func append(contentsOf other: Encoding, typeId: Int? = nil) {
        ids += other.ids
        typeIds += typeId.map { Array(repeating: $0, count: other.count) } ?? other.typeIds
        tokens += other.tokens
        offsets += other.offsets
        specialTokensMask += other.specialTokensMask
        attentionMask += other.attentionMask
    }

    /// Keeps `count` tokens from the start (`.right` truncation) or the end (`.left`).
    mutating func truncate(to count: Int, direction: Truncation.Direction) {
        guard count < self.count else { return }
        let range = direction == .right ? 0..<count : (self.count - count)..<self.count
        ids = Array(ids[range]); typeIds = Array(typeIds[range]); tokens = Array(tokens[range])
        offsets = Array(offsets[range]); specialTokensMask = Array(specialTokensMask[range]); attentionMask = Array(attentionMask[range])
    }
}

/// How to shorten inputs to a maximum length, as Hugging Face `tokenizers` does it.
public struct Truncation: Sendable, Equatable {
    /// Which sequence of a pair loses tokens.
    public enum Strategy: String, Sendable {
        /// Remove from the longer sequence, one token at a time.
        case longestFirst = "longest_first"
        /// Only shorten the first sequence.
        case onlyFirst = "only_first"
        /// Only shorten the second sequence.
        case onlySecond = "only_second"
    }
    /// Which end loses tokens.
    public enum Direction: String, Sendable {
        case right = "Right"
        case left = "Left"
    }

    /// Maximum tokens, the post-processor's special tokens included.
    public var maxLength: Int
    public var strategy: Strategy
    public var direction: Direction

    /// Truncation to `maxLength` tokens.
    public init(maxLength: Int, strategy: Strategy = .longestFirst, direction: Direction = .right) {
        self.maxLength = maxLength
        self.strategy = strategy
        self.direction = direction
    }
}
