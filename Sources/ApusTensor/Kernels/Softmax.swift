import CApusKernels
import Foundation

/// Softmax along each row of a `[rows, width]` matrix, in place.
///
/// Subtracts the row maximum first so large logits do not overflow; `-inf` entries (masked positions)
/// become 0, and a row of only `-inf` becomes zeros rather than NaN. A NaN makes its whole row NaN, as in
/// PyTorch. e^x is a minimax polynomial in C, within 1.2 ulp (see CApusKernels/elementwise.c).
public func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, isa: KernelISA = .detected) {
    apus_softmax_rows(isa.cValue, x, int32(width, "width"), int32(rows, "rows"), int32(width, "width"))
}

/// Softmax of `scale · x` along each row of a `[rows, width]` block of a matrix with `rowStride` floats per
/// row, in place; with `causalOffset`, row `r` sees only columns `0...causalOffset + r` and the rest become 0.
///
/// Attention applies 1/√headSize and the causal mask here instead of in separate passes over the scores:
/// decoding a query block at positions `past..<past + rows` against `past + rows` keys is
/// `softmaxRows(scores, rows: rows, width: past + rows, rowStride: ldScores, scale: 1 / headSize.squareRoot(), causalOffset: past)`.
/// `scale` must be positive (it is applied before taking the maximum).
public func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, rowStride: Int, scale: Float,
                        causalOffset: Int?, isa: KernelISA = .detected) {
    precondition(scale > 0, "softmax scale must be positive, got \(scale)")
    precondition(rowStride >= width, "row stride \(rowStride) is smaller than the width \(width)")
    let stride = int32(rowStride, "rowStride"), columns = int32(width, "width")
    guard let causalOffset else {
        apus_softmax_rows_masked(isa.cValue, x, stride, int32(rows, "rows"), columns, scale, nil)
        return
    }
    for row in 0..<rows {
        // Clamped here so the count fits the C int; the kernel clamps to [0, width] again.
        var valid = Int32(clamping: min(max(causalOffset + row + 1, 0), width))
        apus_softmax_rows_masked(isa.cValue, x + row * rowStride, stride, 1, columns, scale, &valid)
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

/// `value` as the C kernels' `int`; sizes beyond it are a programming error (a 2³¹-float row is 8 GiB).
func int32(_ value: Int, _ name: StaticString) -> Int32 {
    precondition(value >= 0 && value <= Int(Int32.max), "\(name) \(value) does not fit the kernels' 32-bit sizes")
    return Int32(value)
}
