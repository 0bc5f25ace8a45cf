import ApusTensor

/// Root-mean-square normalisation over the last dimension, as `LlamaRMSNorm`: `x / √(mean(x²) + ε) · w`, or
/// Gemma's `· (1 + w)` (`Gemma3RMSNorm` stores its scale as an offset from 1, so `weightOffset` is 1).
public struct RMSNorm: Sendable {
    /// Scale, `[width]` (checkpoint name `weight`).
    public let weight: Tensor
    /// Added to every weight before scaling: 0 for Llama-style norms, 1 for Gemma's.
    public let weightOffset: Float
    /// Added to the mean square before the square root.
    public let epsilon: Float
    /// Size of the normalised dimension.
    public var width: Int { weight.shape[0] }

    /// Loads `<name>.weight` with shape `[width]`.
    public init(_ weights: WeightScope, _ name: String, width: Int, epsilon: Float, weightOffset: Float = 0) throws {
        weight = try weights.scope(name).tensor("weight", shape: [width])
        self.epsilon = epsilon
        self.weightOffset = weightOffset
    }

    /// Normalises `rows` contiguous rows of `x` into `output` (which may alias `x`), on the calling thread: the
    /// rows of one decoding step are too few to be worth another thread.
    public func forward(_ x: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>) {
        rmsNorm(x, rows: rows, width: width, weight: weight.pointer, weightOffset: weightOffset, epsilon: epsilon, output: output)
    }

    /// Normalises, in place, `heads` vectors of `width` floats in each of `rows` rows `rowStride` floats apart: the
    /// per-head query and key norms of Qwen3 and Gemma 3, applied to the projections inside the fused QKV rows.
    public func forwardHeads(_ x: UnsafeMutablePointer<Float>, rows: Int, rowStride: Int, heads: Int) {
        for row in 0..<rows {
            forward(x + row * rowStride, rows: heads, into: x + row * rowStride)
        }
    }
}
