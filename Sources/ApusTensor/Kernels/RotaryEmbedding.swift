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

    /// cos and sin of every position below `positions`, computed once (a model's forward pass then only reads).
    public func table(positions: Int) -> RotaryTable { RotaryTable(self, positions: positions) }
}

/// Precomputed cos/sin of a `RotaryEmbedding` for positions `0..<positions`: `apply` costs two loads per pair
/// instead of two transcendental calls.
public struct RotaryTable: Sendable {
    /// The embedding the table was computed from.
    public let rotary: RotaryEmbedding
    /// Number of positions covered.
    public let positions: Int
    private let cosines: [Float]
    private let sines: [Float]

    init(_ rotary: RotaryEmbedding, positions: Int) {
        self.rotary = rotary
        self.positions = positions
        let half = rotary.inverseFrequencies.count
        var cosines = [Float](repeating: 0, count: positions * half), sines = cosines
        for position in 0..<positions {
            for pair in 0..<half {
                let angle = Float(position) * rotary.inverseFrequencies[pair] // fp32 product, as transformers
                cosines[position * half + pair] = Float(cos(Double(angle)))
                sines[position * half + pair] = Float(sin(Double(angle)))
            }
        }
        self.cosines = cosines
        self.sines = sines
    }

    /// Rotates `rows` consecutive rows of `x` (row stride `rowStride`, `heads` heads of `headSize` each), the
    /// first at position `firstPosition`; the caller keeps `firstPosition + rows ≤ positions`.
    public func apply(to x: UnsafeMutablePointer<Float>, rows: Int, rowStride: Int, heads: Int, headSize: Int, firstPosition: Int = 0) {
        precondition(firstPosition >= 0 && firstPosition + rows <= positions, "RoPE table covers \(positions) positions")
        let half = rotary.inverseFrequencies.count
        let halves = rotary.layout == .halves
        cosines.withUnsafeBufferPointer { cosines in
            sines.withUnsafeBufferPointer { sines in
                guard let cosineBase = cosines.baseAddress, let sineBase = sines.baseAddress else { return }
                for row in 0..<rows {
                    let cosRow = cosineBase + (firstPosition + row) * half
                    let sinRow = sineBase + (firstPosition + row) * half
                    for head in 0..<heads {
                        let base = x + row * rowStride + head * headSize
                        for pair in 0..<half {
                            let (first, second) = halves ? (pair, pair + half) : (2 * pair, 2 * pair + 1)
                            let a = base[first], b = base[second]
                            base[first] = a * cosRow[pair] - b * sinRow[pair]
                            base[second] = b * cosRow[pair] + a * sinRow[pair]
                        }
                    }
                }
            }
        }
    }
}
