/// How to pad encodings to a common length, as Hugging Face `tokenizers` does (tokenizers/src/utils/padding.rs):
/// pass it to `Tokenizer.encodeBatch(_:padding:)` or call `pad(_:)`. tokenizer.json's own `padding` section is
/// parsed into one (`Tokenizer.configuredPadding`) but never applied implicitly: the pipelines decide how to batch.
///
/// ```swift
/// let batch = tokenizer.encodeBatch(["a short text", "a somewhat longer text"],
///                                   padding: Padding(padToMultipleOf: 8, padId: 1, padToken: "<pad>"))
/// batch[0].attentionMask   // [1, 1, 1, 1, 1, 0, 0, 0]
/// ```
///
/// ```json
/// {"strategy": {"Fixed": 128}, "direction": "Right", "pad_to_multiple_of": null, "pad_id": 0, "pad_type_id": 0, "pad_token": "[PAD]"}
/// ```
public struct Padding: Sendable, Equatable {
    /// How long padded encodings become.
    public enum Strategy: Sendable, Equatable {
        /// As long as the longest encoding of the batch.
        case batchLongest
        /// Exactly this many tokens.
        case fixed(Int)
    }

    /// Which side pad tokens go to.
    public enum Direction: Sendable, Equatable {
        case right
        case left
    }

    public var strategy: Strategy
    public var direction: Direction
    /// Round padded lengths up to a multiple of this, when set.
    public var padToMultipleOf: Int?
    /// The pad token's id.
    public var padId: Int
    /// The type id pad tokens get.
    public var padTypeId: Int
    /// The pad token's string.
    public var padToken: String

    /// Padding settings; the defaults are tokenizers' `PaddingParams::default()`.
    public init(strategy: Strategy = .batchLongest, direction: Direction = .right, padToMultipleOf: Int? = nil,
                padId: Int = 0, padTypeId: Int = 0, padToken: String = "[PAD]") {
        self.strategy = strategy
        self.direction = direction
        self.padToMultipleOf = padToMultipleOf
        self.padId = padId
        self.padTypeId = padTypeId
        self.padToken = padToken
    }

    /// The length `encodings` are padded to: the fixed length or the longest of them, rounded up to a multiple
    /// of `padToMultipleOf` when that is set and non-zero.
    public func paddedLength(of encodings: [Encoding]) -> Int {
        var length = switch strategy {
        case .fixed(let length): length
        case .batchLongest: encodings.map(\.count).max() ?? 0
        }
        if let multiple = padToMultipleOf, multiple > 0, length % multiple > 0 {
            length += multiple - length % multiple
        }
        return length
    }

    /// Pads every encoding (and its overflowing windows) to `paddedLength(of:)` (tokenizers' `pad_encodings`).
    public func pad(_ encodings: inout [Encoding]) {
        guard !encodings.isEmpty else { return }
        let length = paddedLength(of: encodings)
        for index in encodings.indices {
            encodings[index].pad(to: length, padId: padId, padTypeId: padTypeId, padToken: padToken, direction: direction)
        }
    }

    /// Reads tokenizer.json's `padding` section; missing fields take tokenizers' defaults.
    init(json: JSONObject) throws {
        self.init()
        switch json["strategy"] {
        case .none, .null?, .string("BatchLongest")?:
            strategy = .batchLongest
        case .object(let members)? where members.count == 1 && members[0].key == "Fixed":
            guard let length = members[0].value.nonNegativeInteger else {
                throw TokenizerError.invalidField(file: json.file, field: json.path(of: "strategy.Fixed"), expected: "a non-negative integer")
            }
            strategy = .fixed(length)
        default:
            throw json.mismatch("strategy", expected: "\"BatchLongest\" or {\"Fixed\": length}")
        }
        switch try json.optionalString("direction") ?? "Right" {
        case "Right": direction = .right
        case "Left": direction = .left
        default: throw json.mismatch("direction", expected: "\"Right\" or \"Left\"")
        }
        padToMultipleOf = json.has("pad_to_multiple_of") ? try json.count("pad_to_multiple_of") : nil
        padId = try json.count("pad_id", default: 0)
        padTypeId = try json.count("pad_type_id", default: 0)
        padToken = try json.optionalString("pad_token") ?? "[PAD]"
    }
}
