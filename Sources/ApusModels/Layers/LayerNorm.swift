import ApusTensor

/// Layer normalisation over the last dimension, as `torch.nn.LayerNorm` (biased variance, ε inside the root).
public struct LayerNorm: Sendable {
    /// Scale, `[width]` (checkpoint name `weight`, `gamma` in some old BERT files).
    public let weight: Tensor
    /// Shift, `[width]`, or nil for norms trained without one (ModernBERT's `norm_bias: false`).
    public let bias: Tensor?
    /// Added to the variance before the square root.
    public let epsilon: Float
    /// Size of the normalised dimension.
    public var width: Int { weight.shape[0] }

    /// Loads `<name>.weight` and, when `bias` is true, `<name>.bias`.
    public init(_ weights: WeightScope, _ name: String, width: Int, epsilon: Float, bias: Bool = true) throws {
        let scope = weights.scope(name)
        weight = try scope.tensor("weight", shape: [width])
        self.bias = bias ? try scope.tensor("bias", shape: [width]) : nil
        self.epsilon = epsilon
    }

    /// Normalises each row of `x` (`[rows, width]`).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let output = Tensor(zeros: x.shape)
        forward(x.pointer, rows: x.count / width, into: output.storage.pointer, pool: nil)
        return output
    }

    /// `LayerNorm(x + residual)`, the post-norm step of BERT-style layers, in one pass.
    public func callAsFunction(_ x: Tensor, residual: Tensor) -> Tensor {
        precondition(x.shape == residual.shape, "residual \(residual.shape) does not match \(x.shape)")
        let output = Tensor(zeros: x.shape)
        let sum = Tensor(shape: x.shape, values: x.scalars)
        forward(sum.storage.pointer, residual: residual.pointer, rows: x.count / width, into: output.storage.pointer, pool: nil)
        return output
    }

    /// Normalises `rows` rows of `x` into `output` (which may alias `x`), rows split over `pool`.
    public func forward(_ x: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>, pool: ThreadPool?) {
        RowBlocks(layer: self, x: UnsafeMutablePointer(mutating: x), residual: nil, output: output, rows: rows).run(pool: pool)
    }

    /// `output = LayerNorm(x + residual)`; `x` receives the sum and is scratch afterwards.
    public func forward(_ x: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>, rows: Int,
                        into output: UnsafeMutablePointer<Float>, pool: ThreadPool?) {
        RowBlocks(layer: self, x: x, residual: residual, output: output, rows: rows).run(pool: pool)
    }

    /// Blocks of about 32 Ki floats (≈ 10 µs), so waking a second thread pays for itself.
    private struct RowBlocks: ParallelLoopBody {
        let layer: LayerNorm
        let x: UnsafeMutablePointer<Float>
        let residual: UnsafePointer<Float>?
        let output: UnsafeMutablePointer<Float>
        let rows: Int
        var rowsPerBlock: Int { max(1, 32_768 / max(layer.width, 1)) }

        func run(pool: ThreadPool?) {
            let blocks = (rows + rowsPerBlock - 1) / rowsPerBlock
            if let pool, blocks > 1 { pool.parallelFor(blocks, self) } else if rows > 0 { normalise(first: 0, count: rows) }
        }

        func run(index: Int, thread: Int) {
            let first = index * rowsPerBlock
            normalise(first: first, count: min(rowsPerBlock, rows - first))
        }

        func normalise(first: Int, count: Int) {
            let width = layer.width, offset = first * width
            if let residual {
                addResidualLayerNorm(x + offset, residual: residual + offset, rows: count, width: width, gamma: layer.weight.pointer,
                                     beta: layer.bias?.pointer, epsilon: layer.epsilon, output: output + offset)
            } else {
                layerNorm(x + offset, rows: count, width: width, gamma: layer.weight.pointer, beta: layer.bias?.pointer,
                          epsilon: layer.epsilon, output: output + offset)
            }
        }
    }
}
