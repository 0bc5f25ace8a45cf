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
    /// 1 for every token, 0 for the pad tokens padding adds.
    public var attentionMask: [Int]
    /// The windows truncation with a `stride` cut off (Python's `encoding.overflowing`), each with the
    /// post-processor's special tokens; empty without truncation. For a pair, every combination of the two
    /// sequences' windows, as tokenizers' `Encoding::merge_with` makes them.
    public var overflowing: [Encoding]

    /// An encoding without tokens.
    public init() {
        ids = []; typeIds = []; tokens = []; offsets = []; specialTokensMask = []; attentionMask = []; overflowing = []
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

    /// Appends all of `other`, giving its tokens `typeId` when one is given (its overflowing windows keep
    /// theirs, as in tokenizers). Overflowing windows combine as tokenizers' `Encoding::merge_with` combines
    /// them: each of ours followed by `other` and by each of its windows, then ours whole followed by each of its
    /// windows.
    mutating func append(contentsOf other: Encoding, typeId: Int? = nil) {
        var other = other
        if let typeId { other.typeIds = Array(repeating: typeId, count: other.count) }
        var combined: [Encoding] = []
        if !overflowing.isEmpty || !other.overflowing.isEmpty {
            for window in overflowing {
                var withOther = window
                withOther.append(contentsOf: other)
                combined.append(withOther)
                for otherWindow in other.overflowing {
                    var withWindow = window
                    withWindow.append(contentsOf: otherWindow)
                    combined.append(withWindow)
                }
            }
            for otherWindow in other.overflowing {
                var whole = self
                whole.append(contentsOf: otherWindow)
                combined.append(whole)
            }
        }
        ids += other.ids
        typeIds += other.typeIds
        tokens += other.tokens
        offsets += other.offsets
        specialTokensMask += other.specialTokensMask
        attentionMask += other.attentionMask
        overflowing = combined
    }

    /// The tokens in `range` (without overflowing windows).
    func tokens(in range: Range<Int>) -> Encoding {
        var part = Encoding()
        part.ids = Array(ids[range])
        part.typeIds = Array(typeIds[range])
        part.tokens = Array(tokens[range])
        part.offsets = Array(offsets[range])
        part.specialTokensMask = Array(specialTokensMask[range])
        part.attentionMask = Array(attentionMask[range])
        return part
    }

    /// Keeps `length` tokens — the first ones (`.right` truncation removes from the right) or the last
    /// (`.left`) — and makes the rest overflowing windows of `length` tokens, each starting `length - stride`
    /// after the previous one, so consecutive windows share `stride` tokens (tokenizers' `Encoding::truncate`).
    ///
    /// Length 0 moves everything into one overflowing window. tokenizers panics when `stride >= length`; Apus
    /// then steps one token at a time.
    mutating func truncate(to length: Int, stride: Int = 0, direction: Truncation.Direction) {
        guard length < count else { return }
        if length == 0 {
            let whole = self
            self = Encoding()
            overflowing = [whole]
            return
        }
        let step = max(length - min(stride, length - 1), 1)
        var windows: [Range<Int>] = []
        switch direction {
        case .right:
            var start = 0
            while true {
                let stop = min(start + length, count)
                windows.append(start..<stop)
                if stop == count { break }
                start += step
            }
        case .left:
            var stop = count
            while true {
                let start = max(stop - length, 0)
                windows.append(start..<stop)
                if start == 0 { break }
                stop -= step
            }
        }
        var kept = tokens(in: windows[0])
        kept.overflowing = windows.dropFirst().map { tokens(in: $0) }
        self = kept
    }

    /// Pads to `length` tokens with the pad token (type id `padTypeId`, offset `0..<0`, special mask 1,
    /// attention mask 0) on the side `direction` says, and each overflowing window too (tokenizers'
    /// `Encoding::pad`). Longer encodings are left as they are.
    public mutating func pad(to length: Int, padId: Int, padTypeId: Int = 0, padToken: String, direction: Padding.Direction = .right) {
        for index in overflowing.indices {
            overflowing[index].pad(to: length, padId: padId, padTypeId: padTypeId, padToken: padToken, direction: direction)
        }
        guard count < length else { return }
        let padCount = length - count
        func padded<Element>(_ values: [Element], _ value: Element) -> [Element] {
            let padding = Array(repeating: value, count: padCount)
            return direction == .right ? values + padding : padding + values
        }
        ids = padded(ids, padId)
        typeIds = padded(typeIds, padTypeId)
        tokens = padded(tokens, padToken)
        offsets = padded(offsets, 0..<0)
        specialTokensMask = padded(specialTokensMask, 1)
        attentionMask = padded(attentionMask, 0)
    }
}
