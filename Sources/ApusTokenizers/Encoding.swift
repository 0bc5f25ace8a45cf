/// The result of tokenising one text or one pair: token ids and everything aligned with them, as Python's
/// `tokenizers.Encoding` reports it.
///
/// ```swift
/// let encoding = tokenizer.encode("Hello, world!")
/// encoding.ids       // [101, 7592, 1010, 2088, 999, 102]
/// encoding.tokens    // ["[CLS]", "hello", ",", "world", "!", "[SEP]"]
/// encoding.offsets   // [0..<0, 0..<5, 5..<6, 7..<12, 12..<13, 0..<0]
/// ```
public struct Encoding: Sendable, Equatable {
    /// Token ids.
    public var ids: [Int]
    /// Segment ids: 0 for the first sequence, 1 for the second of a BERT pair (as the post-processor says).
    public var typeIds: [Int]
    /// Token strings (an added token as it was matched, whitespace absorbed by `lstrip`/`rstrip` included).
    public var tokens: [String]
    /// For each token, the range of Unicode scalars of its input text it came from (for a pair, of its own
    /// text); `0..<0` for special tokens the post-processor added. These are Python's character offsets.
    public var offsets: [Range<Int>]
    /// 1 for tokens the post-processor added, 0 for tokens from the text (added tokens in the text included).
    public var specialTokensMask: [Int]
    /// 1 for every token: `encode` never pads.
    public var attentionMask: [Int]

    /// An encoding without tokens.
    public init() {
        ids = []; typeIds = []; tokens = []; offsets = []; specialTokensMask = []; attentionMask = []
    }

    /// Number of tokens.
    public var count: Int { ids.count }

    /// Appends a token from the text.
    mutating func append(id: Int, token: String, offset: Range<Int>, typeId: Int) {
        ids.append(id)
        typeIds.append(typeId)
        tokens.append(token)
        offsets.append(offset)
        specialTokensMask.append(0)
        attentionMask.append(1)
    }

    /// Appends a special token of the post-processor (offset `0..<0`, special mask 1).
    mutating func appendSpecial(id: Int, token: String, typeId: Int) {
        ids.append(id)
        typeIds.append(typeId)
        tokens.append(token)
        offsets.append(0..<0)
        specialTokensMask.append(1)
        attentionMask.append(1)
    }

    /// Appends all of `other`, giving its tokens `typeId` when one is given.
    mutating func append(contentsOf other: Encoding, typeId: Int? = nil) {
        ids += other.ids
        typeIds += typeId.map { Array(repeating: $0, count: other.count) } ?? other.typeIds
        tokens += other.tokens
        offsets += other.offsets
        specialTokensMask += other.specialTokensMask
        attentionMask += other.attentionMask
    }

    /// Keeps `length` tokens: the first ones (`.right` truncation removes from the right) or the last (`.left`).
    mutating func truncate(to length: Int, direction: Truncation.Direction) {
        guard length < count else { return }
        let kept = direction == .right ? 0..<length : (count - length)..<count
        ids = Array(ids[kept])
        typeIds = Array(typeIds[kept])
        tokens = Array(tokens[kept])
        offsets = Array(offsets[kept])
        specialTokensMask = Array(specialTokensMask[kept])
        attentionMask = Array(attentionMask[kept])
    }
}
