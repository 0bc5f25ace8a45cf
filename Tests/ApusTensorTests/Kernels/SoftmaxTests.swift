import CApusKernels
import Foundation
import Testing
@testable import ApusTensor

/// `softmaxRows` and its exponential, on every instruction set, against Double references: widths around
/// the vector widths, masked entries, strided and causal blocks.
struct SoftmaxTests {
    /// Allowed |Δ| per probability against the Double reference (measured worst ≈ 1.2e-7 at width 4097).
    static let probabilityTolerance: Float = 5e-7
    /// Allowed |1 - Σ row| (the sum of `width` probabilities each rounded to float).
    static let rowSumTolerance: Float = 2e-6
    /// Error bound of the C exponential, in units in the last place of the exact result (measured max on a
    /// 10-million-point grid: 0.88 with FMA, 1.18 portable without).
    static let exponentialULPs: Double = 2

    /// Deterministic values in (-scale, scale).
    static func values(_ count: Int, scale: Float, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (Float(state >> 40) / Float(1 << 24) * 2 - 1) * scale
        }
    }

    static func maxDifference(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Float {
        zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    @Test(arguments: [1, 7, 8, 9, 15, 16, 17, 65, 128, 4097])
    func matchesReferenceOnEveryISA(width: Int) {
        for isa in KernelISA.available {
            for scale: Float in [1, 30, 1000] {
                let rows = 3
                var expected = Self.values(rows * width, scale: scale, seed: UInt64(width))
                // Mask a few entries the way attention masks padding.
                for index in stride(from: 2, to: expected.count, by: 5) { expected[index] = -.infinity }
                var actual = expected
                softmaxRowsReference(&expected, rows: rows, width: width)
                softmaxRows(&actual, rows: rows, width: width, isa: isa)
                for row in 0..<rows {
                    let slice = (row * width)..<((row + 1) * width)
                    #expect(Self.maxDifference(actual[slice], expected[slice]) <= Self.probabilityTolerance,
                            "\(isa) width \(width) scale \(scale) row \(row)")
                    let sum = slice.reduce(Float(0)) { $0 + actual[$1] }
                    let fullyMasked = slice.allSatisfy { $0 % 5 == 2 }
                    #expect(abs(sum - (fullyMasked ? 0 : 1)) <= Self.rowSumTolerance,
                            "\(isa) width \(width) scale \(scale) row \(row) sums to \(sum)")
                }
                for index in stride(from: 2, to: actual.count, by: 5) { #expect(actual[index] == 0, "\(isa): masked entry is exactly 0") }
            }
        }
    }

    @Test func largeLogitsAreShiftInvariant() {
        for isa in KernelISA.available {
            var small: [Float] = [1, 2, 3, 0.5, -1, 2.5, 3, 1, 0, 2]
            var large = small.map { $0 + 10_000 }
            softmaxRows(&small, rows: 1, width: 10, isa: isa)
            softmaxRows(&large, rows: 1, width: 10, isa: isa)
            #expect(large.allSatisfy { $0.isFinite }, "\(isa)")
            #expect(zip(small, large).allSatisfy { abs($0 - $1) <= Self.probabilityTolerance }, "\(isa)")
        }
    }

    @Test func fullyMaskedRowBecomesZeros() {
        for isa in KernelISA.available {
            var x: [Float] = [-.infinity, 0, -.infinity, -.infinity, -.infinity, -.infinity]
            softmaxRows(&x, rows: 2, width: 3, isa: isa)
            #expect(x == [0, 1, 0, 0, 0, 0], "\(isa)")
        }
    }

    @Test func extremeLogits() {
        for isa in KernelISA.available {
            // Finite extremes stay finite (the maximum is subtracted first); HF's finfo.min masks become 0.
            var x: [Float] = [.greatestFiniteMagnitude, -.greatestFiniteMagnitude, 0, .greatestFiniteMagnitude]
            softmaxRows(&x, rows: 1, width: 4, isa: isa)
            #expect(x == [0.5, 0, 0, 0.5], "\(isa)")
            // NaN poisons its row, as in PyTorch; other rows are unaffected.
            for width in [3, 17, 40] {
                var rows = [Float](repeating: 1, count: 2 * width)
                rows[width - 1] = .nan
                softmaxRows(&rows, rows: 2, width: width, isa: isa)
                #expect(rows[0..<width].allSatisfy { $0.isNaN }, "\(isa) width \(width): NaN row")
                #expect(rows[width...].allSatisfy { abs($0 - 1 / Float(width)) <= Self.probabilityTolerance }, "\(isa) width \(width)")
            }
        }
    }

    @Test(arguments: [1, 5, 16, 33])
    func stridedScaledCausalBlocks(width: Int) {
        // A [rows, width] block inside rows of `stride` floats: scale and causal limit applied in the kernel,
        // the columns past `width` untouched.
        let rows = 4, stride = width + 3, sentinel: Float = 42
        let scale: Float = 0.125, past = width - 2
        var source = Self.values(rows * stride, scale: 20, seed: UInt64(width) + 100)
        for row in 0..<rows { for column in width..<stride { source[row * stride + column] = sentinel } }
        for isa in KernelISA.available {
            for causalOffset in [nil, past] {
                var actual = source
                softmaxRows(&actual, rows: rows, width: width, rowStride: stride, scale: scale, causalOffset: causalOffset, isa: isa)
                for row in 0..<rows {
                    let visible = causalOffset.map { min(max($0 + row + 1, 0), width) } ?? width
                    var expected = (0..<width).map { $0 < visible ? source[row * stride + $0] * scale : -Float.infinity }
                    softmaxRowsReference(&expected, rows: 1, width: width)
                    let slice = (row * stride)..<(row * stride + width)
                    #expect(Self.maxDifference(actual[slice], expected[...]) <= Self.probabilityTolerance,
                            "\(isa) width \(width) offset \(String(describing: causalOffset)) row \(row)")
                    #expect(actual[(row * stride + visible)..<(row * stride + width)].allSatisfy { $0 == 0 }, "\(isa): hidden columns are 0")
                    #expect(actual[(row * stride + width)..<((row + 1) * stride)].allSatisfy { $0 == sentinel }, "\(isa): gap untouched")
                }
            }
        }
    }

    @Test func validColumnCountsAreClamped() {
        for isa in KernelISA.available {
            var x: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9]
            let valid: [Int32] = [-4, 1, 99]
            apus_softmax_rows_masked(isa.cValue, &x, 3, 3, 3, 1, valid)
            #expect(Array(x[0..<3]) == [0, 0, 0], "\(isa): no valid column gives zeros")
            #expect(Array(x[3..<6]) == [1, 0, 0], "\(isa)")
            var expected: [Float] = [7, 8, 9]
            softmaxRowsReference(&expected, rows: 1, width: 3)
            #expect(Self.maxDifference(x[6..<9], expected[...]) <= Self.probabilityTolerance, "\(isa)")
        }
    }

    static func unitsInLastPlace(_ actual: Float, _ exact: Double) -> Double {
        abs(Double(actual) - exact) / Double(Float(exact).ulp)
    }

    @Test(arguments: KernelISA.available)
    func exponentialIsWithinTwoULPsAcrossTheNormalRange(isa: KernelISA) {
        // Every 2⁻¹⁰-th float step on [-87.33, 88.72], about 2 million points.
        let x = stride(from: Float(-87.33), to: 88.72, by: 0.000_087_3).map { $0 }
        var y = [Float](repeating: 0, count: x.count)
        apus_exp(isa.cValue, x, &y, Int32(x.count))
        var worst = 0.0, worstInput: Float = 0
        for index in x.indices {
            let error = Self.unitsInLastPlace(y[index], Foundation.exp(Double(x[index])))
            if error > worst { worst = error; worstInput = x[index] }
        }
        #expect(worst <= Self.exponentialULPs, "\(isa): worst \(worst) ulp at x = \(worstInput)")
    }

    @Test(arguments: KernelISA.available)
    func exponentialHandlesTheEdges(isa: KernelISA) {
        let x: [Float] = [-.infinity, -1000, -87.5, -87.33654, 0, 1, 88.72283, 88.8, 1000, .infinity, .nan, -.nan]
        var y = [Float](repeating: 7, count: x.count)
        apus_exp(isa.cValue, x, &y, Int32(x.count))
        #expect(y[0] == 0 && y[1] == 0 && y[2] == 0, "\(isa): underflow flushes to 0 (masked softmax entries)")
        #expect(y[3].isNormal && Self.unitsInLastPlace(y[3], Foundation.exp(Double(Float(-87.33654)))) <= Self.exponentialULPs, "\(isa)")
        #expect(y[4] == 1, "\(isa): e^0 is exactly 1")
        #expect(Self.unitsInLastPlace(y[5], M_E) <= Self.exponentialULPs, "\(isa)")
        #expect(y[6].isFinite && Self.unitsInLastPlace(y[6], Foundation.exp(Double(Float(88.72283)))) <= Self.exponentialULPs, "\(isa): largest finite")
        #expect(y[7] == .infinity && y[8] == .infinity && y[9] == .infinity, "\(isa): overflow")
        #expect(y[10].isNaN && y[11].isNaN, "\(isa)")
    }
}
