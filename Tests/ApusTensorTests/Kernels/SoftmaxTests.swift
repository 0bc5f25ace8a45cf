import Testing
@testable import ApusTensor

/// `softmaxRows` against its Double reference, on widths around the vector width and with masked entries.
struct SoftmaxTests {
    /// Allowed |Δ| per probability against the Double reference (measured worst ≈ 1.2e-7 at width 4097).
    static let probabilityTolerance: Float = 5e-7
    /// Allowed |1 - Σ row| (the sum of `width` probabilities each rounded to float).
    static let rowSumTolerance: Float = 2e-6

    /// Deterministic values in (-scale, scale).
    static func values(_ count: Int, scale: Float, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (Float(state >> 40) / Float(1 << 24) * 2 - 1) * scale
        }
    }

    @Test(arguments: [1, 7, 8, 9, 65, 4097])
    func matchesReference(width: Int) {
        for scale: Float in [1, 30, 1000] {
            let rows = 3
            var expected = Self.values(rows * width, scale: scale, seed: UInt64(width))
            // Mask a few entries the way attention masks padding.
            for index in stride(from: 2, to: expected.count, by: 5) { expected[index] = -.infinity }
            var actual = expected
            softmaxRowsReference(&expected, rows: rows, width: width)
            softmaxRows(&actual, rows: rows, width: width)
            for row in 0..<rows {
                let slice = (row * width)..<((row + 1) * width)
                let difference = slice.map { abs(actual[$0] - expected[$0]) }.max() ?? 0
                #expect(difference <= Self.probabilityTolerance, "width \(width) scale \(scale) row \(row)")
                let sum = slice.reduce(Float(0)) { $0 + actual[$1] }
                let fullyMasked = slice.allSatisfy { $0 % 5 == 2 }
                #expect(abs(sum - (fullyMasked ? 0 : 1)) <= Self.rowSumTolerance,
                        "width \(width) scale \(scale) row \(row) sums to \(sum)")
            }
            for index in stride(from: 2, to: actual.count, by: 5) { #expect(actual[index] == 0, "masked entry is exactly 0") }
        }
    }

    @Test func largeLogitsAreShiftInvariant() {
        var small: [Float] = [1, 2, 3, 0.5, -1, 2.5, 3, 1, 0, 2]
        var large = small.map { $0 + 10_000 }
        softmaxRows(&small, rows: 1, width: 10)
        softmaxRows(&large, rows: 1, width: 10)
        #expect(large.allSatisfy { $0.isFinite })
        #expect(zip(small, large).allSatisfy { abs($0 - $1) <= Self.probabilityTolerance })
    }

    @Test func fullyMaskedRowBecomesZeros() {
        var x: [Float] = [-.infinity, 0, -.infinity, -.infinity, -.infinity, -.infinity]
        softmaxRows(&x, rows: 2, width: 3)
        #expect(x == [0, 1, 0, 0, 0, 0])
    }
}
