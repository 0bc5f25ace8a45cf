// Rotary position embeddings for decoders: which frequencies a config.json asks for, and applying them to a run of
// positions. The frequency formulas follow transformers' modeling_rope_utils.py
// (https://github.com/huggingface/transformers/blob/main/src/transformers/modeling_rope_utils.py) step by step
// in fp32, as PyTorch evaluates them, so the angles agree to the last bit where the operations allow.
import ApusTensor
import Foundation

/// The RoPE variant and its parameters, as config.json gives them either the way Hub checkpoints write them
/// (`rope_theta` plus an optional `rope_scaling` object) or the way transformers 5 writes them (`rope_parameters`).
public struct RopeScaling: Sendable, Equatable {
    /// `rope_type` (older files: `type`).
    public enum Kind: String, Sendable, CaseIterable {
        /// `1 / θ^(2i/d)`.
        case `default`
        /// Frequencies divided by `factor` (position interpolation).
        case linear
        /// Dynamic NTK: inside `max_position_embeddings` it is the default RoPE (transformers only rescales past it,
        /// and Apus never runs past it).
        case dynamic
        /// Llama 3.1's band-wise rescaling (`factor`, `low_freq_factor`, `high_freq_factor`,
        /// `original_max_position_embeddings`).
        case llama3
        /// YaRN: interpolation and extrapolation blended by a linear ramp, and cos/sin scaled by an attention factor.
        case yarn
    }

    /// The variant.
    public var kind: Kind
    /// Base θ (`rope_theta`).
    public var theta: Double
    /// Fraction of each head that is rotated (`partial_rotary_factor`, 1 for all).
    public var partialRotaryFactor: Double = 1
    /// Scaling factor of the linear, dynamic, llama3 and yarn variants.
    public var factor: Double?
    /// llama3's band edges.
    public var lowFrequencyFactor: Double?, highFrequencyFactor: Double?
    /// Context length of pre-training (llama3, yarn).
    public var originalMaxPositions: Int?
    /// yarn's optional overrides.
    public var attentionFactor: Double?, betaFast: Double?, betaSlow: Double?, mscale: Double?, mscaleAllDimensions: Double?
    /// yarn: round the correction range outwards (default true).
    public var truncate: Bool = true

    /// The default RoPE with base `theta`.
    public init(kind: Kind = .default, theta: Double) {
        self.kind = kind
        self.theta = theta
    }

    /// One `rope_parameters` / `rope_scaling` object as written in config.json; every key optional.
    struct File: Decodable, Equatable, Sendable {
        var ropeType: String?, type: String?
        var ropeTheta: Double?, partialRotaryFactor: Double?, factor: Double?
        var lowFreqFactor: Double?, highFreqFactor: Double?, originalMaxPositionEmbeddings: Int?
        var attentionFactor: Double?, betaFast: Double?, betaSlow: Double?, mscale: Double?, mscaleAllDim: Double?
        var truncate: Bool?

        enum CodingKeys: String, CodingKey {
            case ropeType = "rope_type", type, ropeTheta = "rope_theta", partialRotaryFactor = "partial_rotary_factor"
            case factor, lowFreqFactor = "low_freq_factor", highFreqFactor = "high_freq_factor"
            case originalMaxPositionEmbeddings = "original_max_position_embeddings"
            case attentionFactor = "attention_factor", betaFast = "beta_fast", betaSlow = "beta_slow", mscale
            case mscaleAllDim = "mscale_all_dim", truncate
        }

        /// Keys given here win over `other`'s (transformers' `dict.update`).
        func overriding(_ other: File) -> File {
            File(ropeType: ropeType ?? other.ropeType, type: type ?? other.type, ropeTheta: ropeTheta ?? other.ropeTheta,
                 partialRotaryFactor: partialRotaryFactor ?? other.partialRotaryFactor, factor: factor ?? other.factor,
                 lowFreqFactor: lowFreqFactor ?? other.lowFreqFactor, highFreqFactor: highFreqFactor ?? other.highFreqFactor,
                 originalMaxPositionEmbeddings: originalMaxPositionEmbeddings ?? other.originalMaxPositionEmbeddings,
                 attentionFactor: attentionFactor ?? other.attentionFactor, betaFast: betaFast ?? other.betaFast,
                 betaSlow: betaSlow ?? other.betaSlow, mscale: mscale ?? other.mscale,
                 mscaleAllDim: mscaleAllDim ?? other.mscaleAllDim, truncate: truncate ?? other.truncate)
        }
    }

    /// The top-level config.json keys a single-RoPE model (Llama, Mistral, Qwen) reads.
    enum ConfigurationKeys: String, CodingKey {
        case ropeTheta = "rope_theta", ropeScaling = "rope_scaling", ropeParameters = "rope_parameters"
        case partialRotaryFactor = "partial_rotary_factor"
    }

    /// Reads a single-RoPE config the way `RotaryEmbeddingConfigMixin.convert_rope_params_to_dict` does:
    /// `rope_scaling` (Hub files) or else `rope_parameters` (transformers 5), with `rope_theta` and
    /// `partial_rotary_factor` from the top level where the object lacks them.
    static func decode(from decoder: any Decoder, defaultTheta: Double) throws -> File {
        let container = try decoder.container(keyedBy: ConfigurationKeys.self)
        var file = try container.decodeIfPresent(File.self, forKey: .ropeScaling)
            ?? container.decodeIfPresent(File.self, forKey: .ropeParameters) ?? File()
        file.ropeTheta = try file.ropeTheta ?? container.decodeIfPresent(Double.self, forKey: .ropeTheta) ?? defaultTheta
        file.partialRotaryFactor = try file.partialRotaryFactor ?? container.decodeIfPresent(Double.self, forKey: .partialRotaryFactor)
        return file
    }

    /// Resolves a file object, rejecting variants Apus does not implement and missing required keys.
    /// `maxPositions` stands in for `original_max_position_embeddings` where transformers defaults it.
    init(_ file: File, defaultTheta: Double, maxPositions: Int, source: String, key: String) throws {
        let name = file.ropeType ?? file.type ?? "default"
        guard let kind = Kind(rawValue: name) else {
            throw ModelError.unsupportedConfigurationValue(file: source, key: key + ".rope_type", value: name,
                                                           supported: Kind.allCases.map(\.rawValue))
        }
        self.init(kind: kind, theta: file.ropeTheta ?? defaultTheta)
        partialRotaryFactor = file.partialRotaryFactor ?? 1
        factor = file.factor
        lowFrequencyFactor = file.lowFreqFactor
        highFrequencyFactor = file.highFreqFactor
        originalMaxPositions = file.originalMaxPositionEmbeddings
        attentionFactor = file.attentionFactor
        betaFast = file.betaFast
        betaSlow = file.betaSlow
        mscale = file.mscale
        mscaleAllDimensions = file.mscaleAllDim
        truncate = file.truncate ?? true
        func require(_ value: Double?, _ name: String) throws {
            if value == nil { throw ModelError.missingConfigurationKey(file: source, key: "\(key).\(name) (rope_type \(kind.rawValue))") }
        }
        switch kind {
        case .default: break
        case .linear, .dynamic: try require(factor, "factor")
        case .llama3:
            try require(factor, "factor")
            try require(lowFrequencyFactor, "low_freq_factor")
            try require(highFrequencyFactor, "high_freq_factor")
            originalMaxPositions = originalMaxPositions ?? maxPositions
        case .yarn:
            originalMaxPositions = originalMaxPositions ?? maxPositions
            factor = factor ?? Double(maxPositions) / Double(originalMaxPositions ?? maxPositions)
        }
        if !(partialRotaryFactor > 0 && partialRotaryFactor <= 1) {
            throw ModelError.invalidConfiguration(file: source, field: "partial_rotary_factor",
                                                  reason: "must be in (0, 1], got \(partialRotaryFactor)")
        }
    }

    /// Features rotated in a head of `headSize` (`int(head_dim · partial_rotary_factor)`, made even).
    public func rotaryDimensions(headSize: Int) -> Int { Int(Double(headSize) * partialRotaryFactor) / 2 * 2 }

    /// Throws unless a head of `headSize` features has at least one pair to rotate.
    func validate(headSize: Int, source: String) throws {
        if rotaryDimensions(headSize: headSize) < 2 {
            throw ModelError.invalidConfiguration(file: source, field: "head_dim",
                                                  reason: "\(headSize) × partial_rotary_factor \(partialRotaryFactor) leaves no pair to rotate")
        }
    }

    /// The inverse frequencies and the cos/sin scale for heads of `headSize` features (`_compute_*_parameters`);
    /// `validate(headSize:source:)` first.
    public func frequencies(headSize: Int) -> RotaryFrequencies {
        let dimensions = rotaryDimensions(headSize: headSize)
        // θ is a Python float that PyTorch rounds to fp32 before `base ** (arange(0, d, 2).float() / d)`.
        let base = Float(theta)
        let defaultFrequencies = RotaryEmbedding(rotaryDimensions: dimensions, base: Double(base)).inverseFrequencies
        switch kind {
        case .default, .dynamic:
            return RotaryFrequencies(inverse: defaultFrequencies, scaling: 1)
        case .linear:
            let divisor = Float(factor ?? 1)
            return RotaryFrequencies(inverse: defaultFrequencies.map { $0 / divisor }, scaling: 1)
        case .llama3:
            return RotaryFrequencies(inverse: llama3(defaultFrequencies), scaling: 1)
        case .yarn:
            // YaRN divides by the powers themselves (`1 / (factor · pos_freqs)`), so it needs them unrounded by 1/x.
            let powers = stride(from: 0, to: dimensions, by: 2).map { index in
                Float(pow(Double(base), Double(Float(index) / Float(dimensions))))
            }
            return yarn(powers: powers, dimensions: dimensions)
        }
    }

    /// `_compute_llama3_parameters`: wavelengths above `original / low_freq_factor` are divided by `factor`, those
    /// below `original / high_freq_factor` kept, and the band between blended by a smooth factor.
    private func llama3(_ frequencies: [Float]) -> [Float] {
        let factor = Float(self.factor ?? 1), low = Float(lowFrequencyFactor ?? 1), high = Float(highFrequencyFactor ?? 1)
        let original = Double(originalMaxPositions ?? 1)
        let lowWavelength = original / Double(lowFrequencyFactor ?? 1), highWavelength = original / Double(highFrequencyFactor ?? 1)
        return frequencies.map { frequency in
            // `2π / inv_freq` and `old_context_len / wavelen` are scalar-over-tensor divisions, which PyTorch
            // evaluates as reciprocal then multiply, in fp32.
            let wavelength = (1 / frequency) * Float(2 * Double.pi)
            let scaled = Double(wavelength) > lowWavelength ? frequency / factor : frequency
            let isMedium = !(Double(wavelength) < highWavelength) && !(Double(wavelength) > lowWavelength)
            guard isMedium else { return scaled }
            let smooth = ((1 / wavelength) * Float(original) - low) / (high - low)
            return (1 - smooth) * scaled / factor + smooth * scaled
        }
    }

    /// `_compute_yarn_parameters`.
    private func yarn(powers: [Float], dimensions: Int) -> RotaryFrequencies {
        let factor = self.factor ?? 1, original = Double(originalMaxPositions ?? 1)
        func mscaleOf(_ scale: Double, _ m: Double = 1) -> Double { scale <= 1 ? 1 : 0.1 * m * Foundation.log(scale) + 1 }
        var attention = attentionFactor ?? mscaleOf(factor)
        if attentionFactor == nil, let mscale, let mscaleAllDimensions, mscale != 0, mscaleAllDimensions != 0 {
            attention = mscaleOf(factor, mscale) / mscaleOf(factor, mscaleAllDimensions)
        }
        let fast = betaFast.flatMap { $0 == 0 ? nil : $0 } ?? 32, slow = betaSlow.flatMap { $0 == 0 ? nil : $0 } ?? 1
        func correctionDimension(_ rotations: Double) -> Double {
            Double(dimensions) * Foundation.log(original / (rotations * 2 * Double.pi)) / (2 * Foundation.log(theta))
        }
        var low = correctionDimension(fast), high = correctionDimension(slow)
        if truncate { low = low.rounded(.down); high = high.rounded(.up) }
        low = max(low, 0)
        high = min(high, Double(dimensions - 1))
        if low == high { high += 0.001 } // upstream's guard against a zero-width ramp
        let factor32 = Float(factor)
        let inverse = powers.enumerated().map { index, power -> Float in
            let ramp = min(max((Float(index) - Float(low)) / Float(high - low), 0), 1)
            let extrapolation = 1 - ramp
            return (1 / (factor32 * power)) * (1 - extrapolation) + (1 / power) * extrapolation
        }
        return RotaryFrequencies(inverse: inverse, scaling: Float(attention))
    }
}

/// The inverse frequencies of one RoPE variant and the factor cos and sin are multiplied by (1 except for YaRN).
public struct RotaryFrequencies: Sendable, Equatable {
    /// `inv_freq`, one per rotated pair.
    public let inverse: [Float]
    /// `attention_scaling`.
    public let scaling: Float

    /// Pairs rotated per head: half the rotary dimension.
    public var pairs: Int { inverse.count }

    /// Fills `cosines` and `sines` (`[count, pairs]` each) for positions `first..<first + count`: the angle is
    /// the fp32 product position · inv_freq, as transformers' `position_ids.float() * inv_freq`.
    public func angles(first: Int, count: Int, cosines: UnsafeMutablePointer<Float>, sines: UnsafeMutablePointer<Float>) {
        for row in 0..<count {
            let position = Float(first + row)
            for pair in 0..<pairs {
                let angle = Double(position * inverse[pair])
                cosines[row * pairs + pair] = Float(Foundation.cos(angle)) * scaling
                sines[row * pairs + pair] = Float(Foundation.sin(angle)) * scaling
            }
        }
    }

    /// Rotates, in place, `heads` heads of `headSize` features in each of `rows` rows (`rowStride` apart), row r by
    /// the angles in row r of `cosines`/`sines`: `x·cos + rotate_half(x)·sin` on the first `2 · pairs` features.
    public func apply(to x: UnsafeMutablePointer<Float>, rows: Int, rowStride: Int, heads: Int, headSize: Int,
                      cosines: UnsafePointer<Float>, sines: UnsafePointer<Float>) {
        let half = pairs
        for row in 0..<rows {
            let cosRow = cosines + row * half, sinRow = sines + row * half
            for head in 0..<heads {
                let base = x + row * rowStride + head * headSize
                for pair in 0..<half {
                    let a = base[pair], b = base[pair + half]
                    base[pair] = a * cosRow[pair] - b * sinRow[pair]
                    base[pair + half] = b * cosRow[pair] + a * sinRow[pair]
                }
            }
        }
    }
}
