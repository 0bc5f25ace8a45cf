import Foundation

/// Softmax along each row of a `[rows, width]` matrix, in place.
///
/// Subtracts the row maximum first so large logits do not overflow; `-inf` entries (masked positions)
/// become 0, and a row of only `-inf` becomes zeros rather than NaN. Exponentials are taken eight at a
/// time with `exponential` (≤ 1.2 ulp), sums kept in eight Float lanes.
public func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
    for row in 0..<rows {
        let values = x + row * width
        let vectorEnd = width - width % 8

        var maxima = SIMD8<Float>(repeating: -.infinity)
        var column = 0
        while column < vectorEnd {
            let vector = load8(values + column)
            maxima.replace(with: vector, where: vector .> maxima) // not pointwiseMax: that is a library call
            column += 8
        }
        var maximum = maxima.max()
        for tail in vectorEnd..<width { maximum = max(maximum, values[tail]) }
        if maximum == -.infinity {
            values.update(repeating: 0, count: width)
            continue
        }

        let shift = SIMD8<Float>(repeating: maximum)
        var sums = SIMD8<Float>()
        column = 0
        while column < vectorEnd {
            let e = exponential(load8(values + column) - shift)
            store8(e, to: values + column)
            sums += e
            column += 8
        }
        var sum = sums.sum()
        if vectorEnd < width {
            let rest = width - vectorEnd
            let e = exponential(loadPartial(values + vectorEnd, count: rest) - shift)
            storePartial(e, to: values + vectorEnd, count: rest)
            for lane in 0..<rest { sum += e[lane] }
        }

        let inverse = SIMD8<Float>(repeating: 1 / sum)
        column = 0
        while column < vectorEnd {
            store8(load8(values + column) * inverse, to: values + column)
            column += 8
        }
        for tail in vectorEnd..<width { values[tail] *= inverse[0] }
    }
}

/// The textbook softmax in Double, for tests and readers.
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
