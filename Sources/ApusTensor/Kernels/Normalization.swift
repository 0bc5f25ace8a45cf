import CApusKernels

/// Layer normalisation of each row of `x` (`[rows, width]`) into `output`, as `torch.nn.LayerNorm`:
/// `(x - mean) / sqrt(var + ε) · γ + β` with the biased variance; `beta` may be nil (no shift).
///
/// The C kernel accumulates in fp32 but takes the mean in two steps (a first estimate, then the mean of the
/// deviations from it), so rows with a large common offset keep full precision. `output` may alias `x`.
public func layerNorm(_ x: UnsafePointer<Float>, rows: Int, width: Int, gamma: UnsafePointer<Float>,
                      beta: UnsafePointer<Float>?, epsilon: Float, output: UnsafeMutablePointer<Float>,
                      isa: KernelISA = .detected) {
    apus_layer_norm_rows(isa.cValue, x, nil, int32(rows, "rows"), int32(width, "width"), gamma, beta, epsilon, output)
}

/// `output = LayerNorm(x + residual)` row by row, the post-norm step of BERT-style layers: the sum is formed
/// in `output` on the way, so nothing else is written; `x` is left as it was (it stays mutable only so that
/// earlier callers compile) and `output` may alias `x` or `residual`.
public func addResidualLayerNorm(_ x: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>, rows: Int, width: Int,
                                 gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>?, epsilon: Float,
                                 output: UnsafeMutablePointer<Float>, isa: KernelISA = .detected) {
    apus_layer_norm_rows(isa.cValue, x, residual, int32(rows, "rows"), int32(width, "width"), gamma, beta, epsilon, output)
}

/// Layer normalisation computed in Double, for tests and readers.
public func layerNormReference(_ x: UnsafePointer<Float>, rows: Int, width: Int, gamma: UnsafePointer<Float>,
                               beta: UnsafePointer<Float>?, epsilon: Float, output: UnsafeMutablePointer<Float>) {
    for row in 0..<rows {
        let values = (0..<width).map { Double(x[row * width + $0]) }
        let mean = values.reduce(0, +) / Double(width)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(width)
        let inverse = 1 / (variance + Double(epsilon)).squareRoot()
        for column in 0..<width {
            let shift = beta.map { Double($0[column]) } ?? 0
            output[row * width + column] = Float((values[column] - mean) * inverse * Double(gamma[column]) + shift)
        }
    }
}

/// Root-mean-square normalisation of each row of `x` (`[rows, width]`) into `output`, as `LlamaRMSNorm`:
/// `x / sqrt(mean(x²) + ε) · (weight + weightOffset)`. Gemma stores its scale as `weight = γ - 1` and needs
/// `weightOffset: 1`. `output` may alias `x`.
public func rmsNorm(_ x: UnsafePointer<Float>, rows: Int, width: Int, weight: UnsafePointer<Float>, weightOffset: Float = 0,
                    epsilon: Float, output: UnsafeMutablePointer<Float>, isa: KernelISA = .detected) {
    apus_rms_norm_rows(isa.cValue, x, int32(rows, "rows"), int32(width, "width"), weight, weightOffset, epsilon, output)
}

/// RMS normalisation computed in Double, for tests and readers.
public func rmsNormReference(_ x: UnsafePointer<Float>, rows: Int, width: Int, weight: UnsafePointer<Float>,
                             weightOffset: Float = 0, epsilon: Float, output: UnsafeMutablePointer<Float>) {
    for row in 0..<rows {
        let values = (0..<width).map { Double(x[row * width + $0]) }
        let meanSquare = values.reduce(0) { $0 + $1 * $1 } / Double(width)
        let inverse = 1 / (meanSquare + Double(epsilon)).squareRoot()
        for column in 0..<width {
            output[row * width + column] = Float(values[column] * inverse * (Double(weight[column]) + Double(weightOffset)))
        }
    }
}
