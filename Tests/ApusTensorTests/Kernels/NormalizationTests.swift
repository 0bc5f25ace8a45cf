import Testing
@testable import ApusTensor

/// LayerNorm (plain and with the residual added) and RMSNorm on every instruction set against their Double
/// references, on widths around the vector widths and rows with a large common offset.
struct NormalizationTests {
    /// Allowed |Δ| against the Double reference for outputs of magnitude up to ~3 (|γ|, |β| < 1); a few ulp
    /// of the largest outputs. The fp32 kernels keep this even with a 1e3 offset, where a one-pass variance
    /// or a mean rounded to float (as the earlier Swift kernel did: 3.8e-5 there) would be far off.
    static let normalizationFP32: Float = 1e-6

    static let widths = [1, 2, 7, 15, 16, 17, 31, 33, 100, 384, 1000, 1024, 4096, 4097]

    /// Deterministic values in (-1, 1).
    static func values(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 23) - 1
        }
    }

    static func maxDifference(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) } }

    @Test(arguments: widths)
    func layerNormMatchesReferenceOnEveryISA(width: Int) {
        let rows = 3
        let gamma = Self.values(width, seed: 7), beta = Self.values(width, seed: 8)
        // Offsets: none, and 1e3 with noise of 1 and of 0.01 (a mean estimate rounded to float is off by ~ulp(1e3)).
        for (offset, noise): (Float, Float) in [(0, 1), (1000, 1), (1000, 0.01)] {
            let x = Self.values(rows * width, seed: UInt64(width)).map { offset + noise * $0 }
            for withBeta in [true, false] {
                var expected = [Float](repeating: 0, count: rows * width)
                layerNormReference(x, rows: rows, width: width, gamma: gamma, beta: withBeta ? beta : nil, epsilon: 1e-12, output: &expected)
                for isa in KernelISA.available {
                    var actual = [Float](repeating: .nan, count: rows * width)
                    layerNorm(x, rows: rows, width: width, gamma: gamma, beta: withBeta ? beta : nil, epsilon: 1e-12,
                              output: &actual, isa: isa)
                    let difference = Self.maxDifference(actual, expected)
                    #expect(difference <= Self.normalizationFP32,
                            "\(isa) width \(width) offset \(offset) noise \(noise) beta \(withBeta): |Δ| \(difference)")
                }
            }
        }
    }

    @Test(arguments: widths)
    func residualLayerNormMatchesReferenceOnEveryISA(width: Int) {
        let rows = 3
        let x = Self.values(rows * width, seed: 6).map { $0 + 1000 }, residual = Self.values(rows * width, seed: 9)
        let gamma = Self.values(width, seed: 7), beta = Self.values(width, seed: 8)
        // The reference sees the sum rounded to float, as PyTorch's `LayerNorm(x + residual)` does.
        let added = zip(x, residual).map { $0 + $1 }
        var expected = [Float](repeating: 0, count: rows * width)
        layerNormReference(added, rows: rows, width: width, gamma: gamma, beta: beta, epsilon: 1e-12, output: &expected)
        for isa in KernelISA.available {
            var input = x, fused = [Float](repeating: .nan, count: rows * width)
            addResidualLayerNorm(&input, residual: residual, rows: rows, width: width, gamma: gamma, beta: beta, epsilon: 1e-12,
                                 output: &fused, isa: isa)
            #expect(Self.maxDifference(fused, expected) <= Self.normalizationFP32, "\(isa) width \(width)")
            #expect(input == x, "\(isa): x is left as it was")

            // In place: output aliases x, then residual.
            var inPlace = x
            inPlace.withUnsafeMutableBufferPointer { buffer in
                guard let pointer = buffer.baseAddress else { return }
                addResidualLayerNorm(pointer, residual: residual, rows: rows, width: width, gamma: gamma, beta: beta,
                                     epsilon: 1e-12, output: pointer, isa: isa)
            }
            #expect(Self.maxDifference(inPlace, expected) <= Self.normalizationFP32, "\(isa) width \(width) output = x")
            var residualInPlace = residual
            residualInPlace.withUnsafeMutableBufferPointer { buffer in
                guard let pointer = buffer.baseAddress else { return }
                addResidualLayerNorm(&input, residual: pointer, rows: rows, width: width, gamma: gamma, beta: beta,
                                     epsilon: 1e-12, output: pointer, isa: isa)
            }
            #expect(Self.maxDifference(residualInPlace, expected) <= Self.normalizationFP32, "\(isa) width \(width) output = residual")
        }
    }

    @Test func layerNormEdgeCases() {
        let gamma: [Float] = [2, 3, 4, 5, 6, 7, 8, 9, 10], beta: [Float] = [1, 1, 1, 1, 1, 1, 1, 1, 1]
        for isa in KernelISA.available {
            // A constant row normalises to β (the deviations are exactly 0), not NaN.
            var constant = [Float](repeating: 0, count: 9)
            layerNorm([Float](repeating: 3.5, count: 9), rows: 1, width: 9, gamma: gamma, beta: beta, epsilon: 1e-12,
                      output: &constant, isa: isa)
            #expect(constant == beta, "\(isa)")
            // NaN poisons its own row only.
            var x = Self.values(27, seed: 3)
            x[13] = .nan
            var output = [Float](repeating: 0, count: 27)
            layerNorm(x, rows: 3, width: 9, gamma: gamma, beta: beta, epsilon: 1e-5, output: &output, isa: isa)
            #expect(output[9..<18].allSatisfy { $0.isNaN }, "\(isa)")
            #expect(output[0..<9].allSatisfy { $0.isFinite } && output[18..<27].allSatisfy { $0.isFinite }, "\(isa)")
            // Zero rows or zero width write nothing.
            layerNorm(x, rows: 0, width: 9, gamma: gamma, beta: beta, epsilon: 1e-5, output: &output, isa: isa)
            layerNorm(x, rows: 3, width: 0, gamma: gamma, beta: beta, epsilon: 1e-5, output: &output, isa: isa)
            #expect(output[0..<9].allSatisfy { $0.isFinite }, "\(isa)")
        }
    }

    @Test(arguments: widths)
    func rmsNormMatchesReferenceOnEveryISA(width: Int) {
        let rows = 3
        let weight = Self.values(width, seed: 11)
        for scale: Float in [1, 1000] {
            let x = Self.values(rows * width, seed: UInt64(width) + 50).map { $0 * scale }
            for offset: Float in [0, 1] { // LlamaRMSNorm, Gemma's (1 + w)
                var expected = [Float](repeating: 0, count: rows * width)
                rmsNormReference(x, rows: rows, width: width, weight: weight, weightOffset: offset, epsilon: 1e-6, output: &expected)
                for isa in KernelISA.available {
                    var actual = [Float](repeating: .nan, count: rows * width)
                    rmsNorm(x, rows: rows, width: width, weight: weight, weightOffset: offset, epsilon: 1e-6, output: &actual, isa: isa)
                    let difference = Self.maxDifference(actual, expected)
                    #expect(difference <= Self.normalizationFP32, "\(isa) width \(width) scale \(scale) offset \(offset): |Δ| \(difference)")

                    var inPlace = x
                    inPlace.withUnsafeMutableBufferPointer { buffer in
                        guard let pointer = buffer.baseAddress else { return }
                        rmsNorm(pointer, rows: rows, width: width, weight: weight, weightOffset: offset, epsilon: 1e-6,
                                output: pointer, isa: isa)
                    }
                    #expect(inPlace == actual, "\(isa): in place gives the same result")
                }
            }
        }
    }

    @Test func rmsNormEdgeCases() {
        let weight: [Float] = [1, 2, 3, 4, 5]
        for isa in KernelISA.available {
            // An all-zero row stays zero (ε keeps the root finite).
            var zeros = [Float](repeating: 7, count: 5)
            rmsNorm([0, 0, 0, 0, 0], rows: 1, width: 5, weight: weight, epsilon: 1e-6, output: &zeros, isa: isa)
            #expect(zeros == [0, 0, 0, 0, 0], "\(isa)")
            var x: [Float] = [1, 2, 3, 4, 5, 1, .nan, 3, 4, 5]
            var output = [Float](repeating: 0, count: 10)
            rmsNorm(x, rows: 2, width: 5, weight: weight, epsilon: 1e-6, output: &output, isa: isa)
            #expect(output[0..<5].allSatisfy { $0.isFinite } && output[5..<10].allSatisfy { $0.isNaN }, "\(isa)")
            x = [3, -4]
            rmsNorm(x, rows: 1, width: 2, weight: [1, 1], weightOffset: 1, epsilon: 0, output: &output, isa: isa)
            // rms = √12.5; Gemma's offset doubles unit weights.
            #expect(abs(output[0] - 2 * 3 / Float(12.5).squareRoot()) <= 1e-6 && abs(output[1] + 2 * 4 / Float(12.5).squareRoot()) <= 1e-6,
                    "\(isa)")
        }
    }
}
