import ApusTensor

/// A fully connected layer `y = x · Wᵀ + b`, with `W` as checkpoints store it: `[outFeatures, inFeatures]`.
public struct Linear: Sendable {
    /// `[outFeatures, inFeatures]`.
    public let weight: Tensor
    /// `[outFeatures]`, or nil for layers trained without a bias.
    public let bias: Tensor?
    /// `weight` repacked once at load for the matrix-product kernels.
    public let packed: PackedWeights
    /// Width of the input rows.
    public var inFeatures: Int { weight.shape[1] }
    /// Width of the output rows.
    public var outFeatures: Int { weight.shape[0] }

    /// Loads `<name>.weight` (and `<name>.bias` when `bias` is true) from `weights`.
    public init(_ weights: WeightScope, _ name: String, inFeatures: Int, outFeatures: Int, bias: Bool = true) throws {
        let scope = weights.scope(name)
        weight = try scope.tensor("weight", shape: [outFeatures, inFeatures])
        self.bias = bias ? try scope.tensor("bias", shape: [outFeatures]) : nil
        packed = PackedWeights(weight)
    }

    /// `x` is `[rows, inFeatures]`; the result is `[rows, outFeatures]`.
    public func callAsFunction(_ x: Tensor, pool: ThreadPool) -> Tensor {
        precondition(x.shape.count == 2 && x.shape[1] == inFeatures, "Linear expects [rows, \(inFeatures)], got \(x.shape)")
        let rows = x.shape[0]
        let output = Tensor(zeros: [rows, outFeatures])
        matmul(x.pointer, rows: rows, packed: packed, bias: bias?.pointer, output: output.storage.pointer, pool: pool)
        return output
    }
}
