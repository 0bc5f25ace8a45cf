import ApusTensor
import ApusModels
import Foundation

/// How token vectors become one sentence vector: sentence-transformers' `Pooling` module.
///
/// Several modes may be on at once; their results are concatenated in sentence-transformers' order
/// (cls, max, mean, mean_sqrt_len, weightedmean, lasttoken), see
/// https://github.com/UKPLab/sentence-transformers/blob/master/sentence_transformers/models/Pooling.py
public struct Pooling: Sendable, Equatable, Decodable {
    /// One pooling strategy.
    public enum Mode: String, Sendable, CaseIterable {
        /// The first token's vector ([CLS]).
        case cls
        /// Element-wise maximum over the tokens.
        case max
        /// Mean over the tokens.
        case mean
        /// Sum over the tokens divided by √length.
        case meanSqrtLength = "mean_sqrt_len"
        /// Mean weighted by position 1…n.
        case weightedMean = "weightedmean"
        /// The last token's vector.
        case lastToken = "lasttoken"
    }

    /// Width of the token vectors (`word_embedding_dimension`).
    public var dimension: Int
    /// Enabled modes, in concatenation order.
    public var modes: [Mode]
    /// Whether prompt tokens count in the pooling (`include_prompt`); prompts arrive with a later issue.
    public var includePrompt: Bool

    /// Width of the pooled vector: `dimension` times the number of modes.
    public var outputDimension: Int { dimension * modes.count }

    /// A pooling with the given modes.
    public init(dimension: Int, modes: [Mode], includePrompt: Bool = true) {
        self.dimension = dimension
        self.modes = Mode.allCases.filter(modes.contains)
        self.includePrompt = includePrompt
    }

    enum CodingKeys: String, CodingKey {
        case dimension = "word_embedding_dimension"
        case embeddingDimension = "embedding_dimension"
        case poolingMode = "pooling_mode"
        case cls = "pooling_mode_cls_token"
        case max = "pooling_mode_max_tokens"
        case mean = "pooling_mode_mean_tokens"
        case meanSqrtLength = "pooling_mode_mean_sqrt_len_tokens"
        case weightedMean = "pooling_mode_weightedmean_tokens"
        case lastToken = "pooling_mode_lasttoken"
        case includePrompt = "include_prompt"
    }

    /// Reads both layouts of `1_Pooling/config.json`: sentence-transformers ≤ 5 writes `word_embedding_dimension`
    /// and one `pooling_mode_*` flag per mode; 6.x writes `embedding_dimension` and `pooling_mode`, a mode name
    /// or a list of them (`mean_sqrt_len_tokens` for the √length mean).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        var modes: [Mode] = []
        if let single = try? container.decode(String.self, forKey: .poolingMode) {
            modes = [try Self.mode(named: single, container: container)]
        } else if let names = try container.decodeIfPresent([String].self, forKey: .poolingMode) {
            modes = try names.map { try Self.mode(named: $0, container: container) }
        } else {
            let flags: [(CodingKeys, Mode)] = [(.cls, .cls), (.max, .max), (.mean, .mean), (.meanSqrtLength, .meanSqrtLength),
                                               (.weightedMean, .weightedMean), (.lastToken, .lastToken)]
            for (key, mode) in flags where try container.decodeIfPresent(Bool.self, forKey: key) ?? false {
                modes.append(mode)
            }
        }
        let dimension = try container.decodeIfPresent(Int.self, forKey: .embeddingDimension)
            ?? container.decode(Int.self, forKey: .dimension)
        self.init(dimension: dimension, modes: modes,
                  includePrompt: try container.decodeIfPresent(Bool.self, forKey: .includePrompt) ?? true)
    }

    private static func mode(named name: String, container: KeyedDecodingContainer<CodingKeys>) throws -> Mode {
        let aliases: [String: Mode] = ["mean_sqrt_len_tokens": .meanSqrtLength]
        guard let mode = aliases[name] ?? Mode(rawValue: name) else {
            throw DecodingError.dataCorruptedError(forKey: .poolingMode, in: container, debugDescription:
                "unknown pooling mode '\(name)'; known: cls, max, mean, mean_sqrt_len_tokens, weightedmean, lasttoken")
        }
        return mode
    }

    /// Pools each sequence of a packed batch: `hidden` is `[totalTokens, dimension]`, the result has one
    /// `outputDimension`-vector per sequence. An empty sequence pools to zeros (sentence-transformers clamps
    /// the token count to avoid dividing by zero). `promptTokens` leading tokens of every sequence are left out
    /// of the averaging modes (sentence-transformers' `include_prompt: false`, which masks them).
    public func callAsFunction(_ hidden: Tensor, sequenceOffsets: [Int], promptTokens: Int = 0) -> [[Float]] {
        precondition(hidden.shape.count == 2 && hidden.shape[1] == dimension, "pooling expects [tokens, \(dimension)], got \(hidden.shape)")
        let base = hidden.pointer
        return (0..<(sequenceOffsets.count - 1)).map { sequence in
            let start = sequenceOffsets[sequence], length = sequenceOffsets[sequence + 1] - start
            var pooled: [Float] = []
            pooled.reserveCapacity(outputDimension)
            for mode in modes {
                let skipped = (mode == .cls || mode == .lastToken) ? 0 : min(promptTokens, length)
                pooled += pool(mode, rows: base + (start + skipped) * dimension, length: length - skipped)
            }
            return pooled
        }
    }

    private func pool(_ mode: Mode, rows: UnsafePointer<Float>, length: Int) -> [Float] {
        var result = [Float](repeating: 0, count: dimension)
        guard length > 0 else { return result }
        switch mode {
        case .cls:
            for column in 0..<dimension { result[column] = rows[column] }
        case .lastToken:
            for column in 0..<dimension { result[column] = rows[(length - 1) * dimension + column] }
        case .max:
            for column in 0..<dimension { result[column] = rows[column] }
            for row in 1..<length {
                for column in 0..<dimension { result[column] = Swift.max(result[column], rows[row * dimension + column]) }
            }
        case .mean, .meanSqrtLength, .weightedMean:
            // Sum in the order PyTorch's `sum(dim=1)` sees the rows; the divisor matches each mode.
            var weightSum: Float = 0
            for row in 0..<length {
                let weight: Float = mode == .weightedMean ? Float(row + 1) : 1
                weightSum += weight
                for column in 0..<dimension { result[column] += weight * rows[row * dimension + column] }
            }
            let divisor = mode == .meanSqrtLength ? Float(length).squareRoot() : weightSum
            for column in 0..<dimension { result[column] /= divisor }
        }
        return result
    }
}

/// Scales each vector to unit L2 norm, as sentence-transformers' `Normalize` (`F.normalize`, ε = 1e-12).
public func l2Normalize(_ vector: inout [Float]) {
    var sum: Float = 0
    for value in vector { sum += value * value }
    let norm = Swift.max(sum.squareRoot(), 1e-12)
    for index in vector.indices { vector[index] /= norm }
}
