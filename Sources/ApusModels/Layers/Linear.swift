import ApusTensor

/// A fully connected layer `y = x · Wᵀ + b`, with `W` as checkpoints store it: `[outFeatures, inFeatures]`.
public struct Linear: Sendable {
    /// `[outFeatures, inFeatures]`.
    public let weight: Tensor
    /// `[outFeatures]`, or nil for layers trained without a bias.
    public let bias: Tensor?
    /// `weight` repacked once at load for the matrix-product kernels of the chosen precision.
    let kernelWeights: KernelWeights
    /// The number format the product computes in.
    public var precision: Precision {
        switch kernelWeights {
        case .fp32: return .fp32
        case .bf16: return .bf16
        }
    }

    /// Packed weights in the layout of one precision's kernels.
    enum KernelWeights: Sendable {
        case fp32(PackedWeights)
        case bf16(PackedWeightsBF16)
    }
    /// Width of the input rows.
    public var inFeatures: Int { weight.shape[1] }
    /// Width of the output rows.
    public var outFeatures: Int { weight.shape[0] }

    /// Loads `<name>.weight` (and `<name>.bias` when `bias` is true) from `weights`.
    public init(_ weights: WeightScope, _ name: String, inFeatures: Int, outFeatures: Int, bias: Bool = true,
                precision: Precision = .fp32) throws {
        let scope = weights.scope(name)
        self.init(weight: try scope.tensor("weight", shape: [outFeatures, inFeatures]),
                  bias: bias ? try scope.tensor("bias", shape: [outFeatures]) : nil, precision: precision)
    }

    /// A layer over given tensors: `weight` `[out, in]`, `bias` `[out]`.
    public init(weight: Tensor, bias: Tensor?, precision: Precision = .fp32) {
        precondition(weight.shape.count == 2, "Linear weight must be a matrix, got \(weight.shape)")
        precondition(bias == nil || bias?.shape == [weight.shape[0]], "Linear bias must be [\(weight.shape[0])]")
        self.weight = weight
        self.bias = bias
        switch precision {
        case .fp32: kernelWeights = .fp32(PackedWeights(weight))
        case .bf16: kernelWeights = .bf16(PackedWeightsBF16(weight))
        }
    }

    /// Several layers reading the same input fused into one, their outputs side by side (`[q | k | v]`):
    /// one product with a wider output instead of several narrow ones, which reads the input once and
    /// gives the threads more columns to share.
    public init(concatenating layers: [Linear], precision: Precision = .fp32) {
        precondition(!layers.isEmpty && layers.allSatisfy { $0.inFeatures == layers[0].inFeatures },
                     "fused layers must share their input width")
        let inFeatures = layers[0].inFeatures
        let outFeatures = layers.reduce(0) { $0 + $1.outFeatures }
        let weight = Tensor(zeros: [outFeatures, inFeatures])
        let hasBias = layers.contains { $0.bias != nil }
        let bias = hasBias ? Tensor(zeros: [outFeatures]) : nil
        var row = 0
        for layer in layers {
            (weight.storage.pointer + row * inFeatures).update(from: layer.weight.pointer, count: layer.weight.count)
            if let bias, let layerBias = layer.bias {
                (bias.storage.pointer + row).update(from: layerBias.pointer, count: layer.outFeatures)
            }
            row += layer.outFeatures
        }
        self.init(weight: weight, bias: bias, precision: precision)
    }

    /// Bytes of scratch `forward` needs for `rows` rows (0 for fp32).
    public func scratchBytes(rows: Int) -> Int {
        precision == .bf16 ? bf16ScratchCount(rows: rows, inFeatures: inFeatures) * MemoryLayout<UInt16>.stride : 0
    }

    /// `x` is `[rows, inFeatures]`; the result is `[rows, outFeatures]`.
    public func callAsFunction(_ x: Tensor, pool: ThreadPool) -> Tensor {
        precondition(x.shape.count == 2 && x.shape[1] == inFeatures, "Linear expects [rows, \(inFeatures)], got \(x.shape)")
        let rows = x.shape[0]
        let output = Tensor(zeros: [rows, outFeatures])
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: max(scratchBytes(rows: rows), 1), alignment: 64)
        defer { scratch.deallocate() }
        forward(x.pointer, rows: rows, into: output.storage.pointer, pool: pool, scratch: scratch)
        return output
    }

    /// `output[rows, outFeatures] = activation(x[rows, inFeatures] · Wᵀ + b)`, writing into caller memory
    /// (the allocation-free path the models run). `scratch` must hold `scratchBytes(rows:)` bytes: bf16 layers
    /// round `x` into it.
    public func forward(_ x: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>,
                        activation: Activation? = nil, pool: ThreadPool, scratch: UnsafeMutableRawPointer) {
        switch kernelWeights {
        case .fp32(let packed):
            matmul(x, rows: rows, packed: packed, bias: bias?.pointer, activation: activation, output: output, pool: pool)
        case .bf16(let packed):
            let rounded = scratch.bindMemory(to: UInt16.self, capacity: bf16ScratchCount(rows: rows, inFeatures: inFeatures))
            matmulBF16(x, rows: rows, packed: packed, bias: bias?.pointer, activation: activation, output: output,
                       scratch: rounded, pool: pool)
        }
    }
}
