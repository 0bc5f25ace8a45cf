import Foundation

/// Rotary position embedding (RoPE), applied in place to query or key rows before attention.
///
/// Frequencies follow transformers' `_compute_default_rope_parameters`: `inv_freq[i] = 1 / base^(2i / d)` for
/// the first `rotaryDimensions` (d) features of each head, and the angle of position p is `p · inv_freq[i]`
/// rounded to fp32 — transformers multiplies in fp32, and at positions in the thousands that rounding moves the
/// result by more than the parity tolerance, so Apus rounds the same way. Scaled variants (linear, llama3…)
/// pass their adjusted `inverseFrequencies`.
public struct RotaryEmbedding: Sendable {
    /// How the rotated pairs are laid out within a head.
    public enum Layout: Sendable {
        /// Feature i pairs with i + d/2 (`rotate_half`: Llama, Qwen, Mistral, Gemma, GPT-NeoX).
        case halves
        /// Feature 2i pairs with 2i + 1 (GPT-J, the original RoFormer).
        case interleaved
    }

    /// `1 / base^(2i / d)` for i in 0..<d/2 (fp32, as transformers computes it).
    public let inverseFrequencies: [Float]
    /// Features rotated per head (the rest pass through, as with `partial_rotary_factor`).
    public var rotaryDimensions: Int { inverseFrequencies.count * 2 }
    /// Pair layout.
    public let layout: Layout

    /// Default RoPE with `base` (config `rope_theta`) over the first `rotaryDimensions` features (even).
    public init(rotaryDimensions: Int, base: Double, layout: Layout = .halves) {
        precondition(rotaryDimensions > 0 && rotaryDimensions % 2 == 0, "RoPE needs an even, positive dimension")
        // transformers: 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim)), all in fp32.
        inverseFrequencies = stride(from: 0, to: rotaryDimensions, by: 2).map { index in
            Float(1.0 / Double(Float(pow(base, Double(Float(index) / Float(rotaryDimensions))))))
        }
        self.layout = layout
    }

    /// Given frequencies (for scaled variants computed by the caller).
    public init(inverseFrequencies: [Float], layout: Layout = .halves) {
        precondition(!inverseFrequencies.isEmpty, "RoPE needs at least one frequency")
        self.inverseFrequencies = inverseFrequencies
        self.layout = layout
    }

    /// Rotates `rows` rows of `x` in place: row r holds `heads` heads of `headSize` features starting at
    /// `x + r · rowStride`, and sits at position `positions[r]`.
    public func apply(to x: UnsafeMutablePointer<Float>, rows: Int, rowStride: Int, heads: Int, headSize: Int,
                      positions: UnsafePointer<Int>) {
        precondition(rotaryDimensions <= headSize, "RoPE dimension \(rotaryDimensions) exceeds head size \(headSize)")
        let half = inverseFrequencies.count
        inverseFrequencies.withUnsafeBufferPointer { frequencies in
            for row in 0..<rows {
                let position = Float(positions[row])
                for pair in 0..<half {
                    let angle = position * frequencies[pair] // fp32 product, as transformers
                    let cosine = Float(cos(Double(angle))), sine = Float(sin(Double(angle)))
                    for head in 0..<heads {
                        let base = x + row * rowStride + head * headSize
                        let (first, second) = layout == .halves ? (pair, pair + half) : (2 * pair, 2 * pair + 1)
                        let a = base[first], b = base[second]
                        base[first] = a * cosine - b * sine
                        base[second] = b * cosine + a * sine
                    }
                }
            }
        }
    }

    /// transformers' formula `x·cos + rotate_half(x)·sin` in Double on one head vector (angles rounded to fp32
    /// first, as `apply` and transformers do), for tests and readers.
    public func applyReference(to head: [Float], position: Int) -> [Float] {
        let half = inverseFrequencies.count
        var result = head.map(Double.init)
        for pair in 0..<half {
            let angle = Double(Float(position) * inverseFrequencies[pair])
            let (first, second) = layout == .halves ? (pair, pair + half) : (2 * pair, 2 * pair + 1)
            // rotate_half: the partner of `first` contributes −x[second]·sin, of `second` +x[first]·sin.
            result[first] = Double(head[first]) * cos(angle) - Double(head[second]) * sin(angle)
            result[second] = Double(head[second]) * cos(angle) + Double(head[first]) * sin(angle)
        }
        return result.map { Float($0) }
    }
}
