import Foundation

/// Softmax along each row of a `[rows, width]` matrix, in place. Subtracts the row maximum first so large
/// logits do not overflow; `-inf` entries (masked positions) become 0. A row of only `-inf` becomes zeros.
public func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
    for row in 0..<rows {
        let values = x + row * width
        var maximum = -Float.infinity
        for column in 0..<width { maximum = max(maximum, values[column]) }
        if maximum == -.infinity {
            for column in 0..<width { values[column] = 0 }
            continue
        }
        var sum: Float = 0
        for column in 0..<width {
            let e = exp(values[column] - maximum)
            values[column] = e
            sum += e
        }
        let inverse = 1 / sum
        for column in 0..<width { values[column] *= inverse }
    }
}

/// The textbook softmax in Double, for tests.
public func softmaxRowsReference(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
    for row in 0..<rows {
        let values = x + row * width
        let maximum = (0..<width).map { Double(values[$0]) }.max() ?? 0
        if maximum == -.infinity { for column in 0..<width { values[column] = 0 }; continue }
        let exps = (0..<width).map { Foundation.exp(Double(values[$0]) - maximum) }
        let sum = exps.reduce(0, +)
        for column in 0..<width { values[column] = Float(exps[column] / sum) }
    }
}
