import ApusTensor

/// Layer normalisation over the last dimension, as `torch.nn.LayerNorm` (biased variance, ε inside the root).
public struct LayerNorm: Sendable {
    /// Scale, `[width]` (checkpoint name `weight`, `gamma` in some old BERT files).
    public let weight: Tensor
    /// Shift, `[width]`.
    public let bias: Tensor
    /// Added to the variance before the square root.
    public let epsilon: Float
    /// Size of the normalised dimension.
    public var width: Int { weight.shape[0] }

    /// Loads `<name>.weight` and `<name>.bias`.
    public init(_ weights: WeightScope, _ name: String, width: Int, epsilon: Float) throws {
        let scope = weights.scope(name)
        weight = try scope.tensor("weight", shape: [width])
        bias = try scope.tensor("bias", shape: [width])
        self.epsilon = epsilon
    }

    /// Normalises each row of `x` (`[rows, width]`).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let rows = x.count / width
        let output = Tensor(zeros: x.shape)
        layerNorm(x.pointer, rows: rows, width: width, gamma: weight.pointer, beta: bias.pointer, epsilon: epsilon,
                  output: output.storage.pointer)
        return output
    }

    /// `LayerNorm(x + residual)`, the post-norm step of BERT-style layers, in one pass.
    public func callAsFunction(_ x: Tensor, residual: Tensor) -> Tensor {
        precondition(x.shape == residual.shape, "residual \(residual.shape) does not match \(x.shape)")
        let rows = x.count / width
        let output = Tensor(zeros: x.shape)
        addResidualLayerNorm(x.storage.pointer, residual: residual.pointer, rows: rows, width: width,
                             gamma: weight.pointer, beta: bias.pointer, epsilon: epsilon, output: output.storage.pointer)
        return output
    }
}
