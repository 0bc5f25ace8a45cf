/// How to shorten an input to a maximum number of tokens, as Hugging Face `tokenizers` does it
/// (tokenizers/src/utils/truncation.rs).
///
/// `maxLength` counts the special tokens the post-processor adds: `Truncation(maxLength: 128)` on BERT leaves
/// 126 tokens of text between `[CLS]` and `[SEP]`.
///
/// What is cut off is not lost: it becomes `Encoding.overflowing` windows of the same length, consecutive ones
/// sharing `stride` tokens, each with the special tokens (`Truncation(maxLength: 384, stride: 128)` for question
/// answering over long passages). tokenizers refuses a `stride` not below a sequence's share of the budget;
/// Apus then moves one token per window.
///
/// Where `tokenizers` raises an error instead of truncating — `onlyFirst`/`onlySecond` when that sequence is
/// too short to absorb the cut, `onlySecond` without a second sequence — Apus leaves the sequences whole; when
/// `maxLength` is smaller than the number of special tokens, `tokenizers`' budget underflows and it does not
/// truncate at all, and neither does Apus.
public struct Truncation: Sendable, Equatable {
    /// Which sequence of a pair loses tokens.
    public enum Strategy: Sendable, Equatable {
        /// Take tokens from the longer sequence until both fit (or both get half the budget).
        case longestFirst
        /// Only shorten the first sequence.
        case onlyFirst
        /// Only shorten the second sequence.
        case onlySecond
    }

    /// Which end of a sequence loses tokens.
    public enum Direction: Sendable, Equatable {
        /// Keep the beginning.
        case right
        /// Keep the end.
        case left
    }

    /// Maximum number of tokens, special tokens included.
    public var maxLength: Int
    /// Which sequence of a pair loses tokens.
    public var strategy: Strategy
    /// Which end loses tokens.
    public var direction: Direction
    /// How many tokens consecutive overflowing windows share (`Encoding.overflowing`).
    public var stride: Int

    /// Truncation to `maxLength` tokens (special tokens included); what is cut off becomes overflowing windows
    /// overlapping by `stride` tokens.
    public init(maxLength: Int, strategy: Strategy = .longestFirst, direction: Direction = .right, stride: Int = 0) {
        self.maxLength = maxLength
        self.strategy = strategy
        self.direction = direction
        self.stride = stride
    }

    /// Reads tokenizer.json's `truncation` section (`{"max_length": 128, "strategy": "LongestFirst",
    /// "direction": "Right", "stride": 0}`).
    init(json: JSONObject) throws {
        maxLength = try json.count("max_length")
        switch try json.optionalString("strategy") ?? "LongestFirst" {
        case "LongestFirst": strategy = .longestFirst
        case "OnlyFirst": strategy = .onlyFirst
        case "OnlySecond": strategy = .onlySecond
        default: throw json.mismatch("strategy", expected: "\"LongestFirst\", \"OnlyFirst\" or \"OnlySecond\"")
        }
        switch try json.optionalString("direction") ?? "Right" {
        case "Right": direction = .right
        case "Left": direction = .left
        default: throw json.mismatch("direction", expected: "\"Right\" or \"Left\"")
        }
        stride = try json.count("stride", default: 0)
    }

    /// Shortens `first` and `second` to at most `budget` tokens together (the post-processor's special tokens
    /// already taken out of `maxLength`), following `truncate_encodings`.
    func truncate(_ first: inout Encoding, _ second: inout Encoding?, budget: Int) {
        if budget == 0 {
            first.truncate(to: 0, stride: stride, direction: direction)
            second?.truncate(to: 0, stride: stride, direction: direction)
            return
        }
        let total = first.count + (second?.count ?? 0)
        guard total > budget else { return }
        let excess = total - budget
        switch strategy {
        case .longestFirst:
            guard var other = second else {
                first.truncate(to: budget, stride: stride, direction: direction)
                return
            }
            // The shorter sequence stays whole if the longer one can absorb the whole cut; otherwise each gets
            // half the budget (the first one more when it is the longer and the budget is odd).
            var shorter = min(first.count, other.count)
            var longer = shorter > budget ? shorter : max(shorter, budget - shorter)
            if shorter + longer > budget {
                shorter = budget / 2
                longer = shorter + budget % 2
            }
            let firstIsLonger = first.count > other.count
            first.truncate(to: firstIsLonger ? longer : shorter, stride: stride, direction: direction)
            other.truncate(to: firstIsLonger ? shorter : longer, stride: stride, direction: direction)
            second = other
        case .onlyFirst:
            if first.count > excess { first.truncate(to: first.count - excess, stride: stride, direction: direction) }
        case .onlySecond:
            if var other = second, other.count > excess {
                other.truncate(to: other.count - excess, stride: stride, direction: direction)
                second = other
            }
        }
    }
}
