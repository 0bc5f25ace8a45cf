/// Layer normalisation of each row of `x` (`[rows, width]`) into `output`, as `torch.nn.LayerNorm`:
/// `(x - mean) / sqrt(var + ε) · γ + β` with the biased variance. Two passes (mean, then centred squares),
/// both accumulated in Double, keep accuracy for wide rows with a large mean. `output` may alias `x`.
public func layerNorm(_ x: UnsafePointer<Float>, rows: Int, width: Int, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
                      epsilon: Float, output: UnsafeMutablePointer<Float>) {
    for row in 0..<rows {
        let values = x + row * width, result = output + row * width
        var sum: Double = 0
        for column in 0..<width { sum += Double(values[column]) }
        let mean = Float(sum / Double(width))
        var squares: Double = 0
        for column in 0..<width {
            let centred = Double(values[column] - mean)
            squares += centred * centred
        }
        let inverseDeviation = Float(1 / (squares / Double(width) + Double(epsilon)).squareRoot())
        for column in 0..<width {
            result[column] = (values[column] - mean) * inverseDeviation * gamma[column] + beta[column]
        }
    }
}

/// `output = LayerNorm(x + residual)` row by row; `x` receives the sum (it is scratch afterwards).
public func addResidualLayerNorm(_ x: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>, rows: Int, width: Int,
                                 gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, epsilon: Float,
                                 output: UnsafeMutablePointer<Float>) {
    for index in 0..<(rows * width) { x[index] += residual[index] }
    layerNorm(x, rows: rows, width: width, gamma: gamma, beta: beta, epsilon: epsilon, output: output)
}

/// Layer normalisation computed in Double, for tests.
public func layerNormReference(_ x: UnsafePointer<Float>, rows: Int, width: Int, gamma: UnsafePointer<Float>,
                               beta: UnsafePointer<Float>, epsilon: Float, output: UnsafeMutablePointer<Float>) {
    for row in 0..<rows {
        let values = (0..<width).map { Double(x[row * width + $0]) }
        let mean = values.reduce(0, +) / Double(width)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(width)
        let inverse = 1 / (variance + Double(epsilon)).squareRoot()
        for column in 0..<width {
            output[row * width + column] = Float((values[column] - mean) * inverse * Double(gamma[column]) + Double(beta[column]))
        }
    }
}
