import CApusKernels
import Foundation
import Testing
@testable import ApusTensor

/// The bf16 product on every available path: rounding bit for bit, sums against a Double reference on the same
/// bf16 inputs, and the accuracy cost against the plain fp32 product.
struct PackedMatmulBF16Tests {
    /// Max |Δ| between a bf16 path and `matmulBF16Reference`, relative to Σ|bias| + Σₚ|x·w| of that output:
    /// both see the same bf16 inputs and the products are exact in fp32, so only the fp32 additions differ.
    static let bf16Accumulation: Double = 1e-5
    /// Max |Δ| between the portable and AVX-512 BF16 paths on the same scale: they add in a different order.
    static let bf16PathAgreement: Double = 1e-5
    /// Max ‖Δ‖₂ / ‖y‖₂ between the bf16 product and the fp32 `matmulReference` on uniform(-1, 1) data: each
    /// input rounding has relative error ≤ 2⁻⁸ (measured here: ≈ 2.1e-3).
    static let bf16VersusFP32Normwise: Double = 1e-2
    /// Max |Δ| / (Σ|bias| + Σₚ|x·w|) against the fp32 reference: a product of two rounded inputs is off by at
    /// most 2·2⁻⁸ + 2⁻¹⁶ of itself, whatever the data (measured here: ≤ 6.2e-4).
    static let bf16VersusFP32PerTerm: Double = 2.0 / 256 + 1.0 / 65_536

    /// Inputs of one product: x [rows, inFeatures], W [outFeatures, inFeatures] and bias, uniform in (-1, 1).
    struct Product {
        let rows: Int, inFeatures: Int, outFeatures: Int
        let x: [Float], weight: [Float], bias: [Float]
        let packed: PackedWeightsBF16

        init(rows: Int, inFeatures: Int, outFeatures: Int, seed: UInt64) {
            self.rows = rows
            self.inFeatures = inFeatures
            self.outFeatures = outFeatures
            x = KernelTests.values(rows * inFeatures, seed: seed)
            weight = KernelTests.values(outFeatures * inFeatures, seed: seed + 1)
            bias = KernelTests.values(outFeatures, seed: seed + 2)
            packed = PackedWeightsBF16(Tensor(shape: [outFeatures, inFeatures], values: weight))
        }

        var label: String { "\(rows)×\(inFeatures)→\(outFeatures)" }

        /// `matmulBF16` on a fresh output (NaN-filled, so unwritten outputs show).
        func run(isa: BF16KernelISA, bias withBias: Bool, threads: Int = 1) -> [Float] {
            var output = [Float](repeating: .nan, count: rows * outFeatures)
            var scratch = [UInt16](repeating: 0xDEAD, count: bf16ScratchCount(rows: rows, inFeatures: inFeatures))
            matmulBF16(x, rows: rows, packed: packed, bias: withBias ? bias : nil, output: &output, scratch: &scratch,
                       pool: ThreadPool(threadCount: threads), isa: isa)
            return output
        }

        func reference(bias withBias: Bool) -> [Float] {
            var output = [Float](repeating: 0, count: rows * outFeatures)
            matmulBF16Reference(x, rows: rows, inFeatures: inFeatures, weight: weight, outFeatures: outFeatures,
                                bias: withBias ? bias : nil, output: &output)
            return output
        }

        /// Σ|bias[j]| + Σₚ |x[r, p] · w[j, p]| for every output, on the inputs as `round` maps them: the scale
        /// rounding and summation errors are measured against.
        func termMagnitudes(bias withBias: Bool, round: (Float) -> Float = bfloat16Rounded) -> [Double] {
            let roundedX = x.map { Double(round($0)) }, roundedWeight = weight.map { Double(round($0)) }
            var result = [Double](repeating: 0, count: rows * outFeatures)
            for row in 0..<rows {
                for column in 0..<outFeatures {
                    var sum = withBias ? abs(Double(bias[column])) : 0
                    for p in 0..<inFeatures {
                        sum += abs(roundedX[row * inFeatures + p] * roundedWeight[column * inFeatures + p])
                    }
                    result[row * outFeatures + column] = sum
                }
            }
            return result
        }
    }

    static func bits(_ value: Float) -> UInt16 { UInt16(truncatingIfNeeded: value.bitPattern >> 16) }

    /// Largest |a - b| / scale over all outputs (scale floored so all-zero outputs compare absolutely).
    static func worstScaledDifference(_ a: [Float], _ b: [Float], scale: [Double]) -> Double {
        zip(zip(a, b), scale).reduce(0) { worst, item in
            max(worst, abs(Double(item.0.0) - Double(item.0.1)) / max(item.1, Double(Float.leastNormalMagnitude)))
        }
    }

    @Test func roundingMatchesHandPickedValues() {
        // (fp32 bits, bf16 bits): ties go to the even neighbour, just past a tie rounds away, NaN stays NaN (a
        // signalling NaN whose payload sits in the low half must not truncate to infinity), subnormals flush.
        let cases: [(UInt32, UInt16)] = [
            (0x3F80_0000, 0x3F80), // 1.0
            (0xC000_0000, 0xC000), // -2.0
            (0x4049_0FDB, 0x4049), // π rounds down to 3.140625
            (0x3F80_8000, 0x3F80), // 1 + 2⁻⁸: tie, 0x3F80 is even
            (0x3F81_8000, 0x3F82), // tie, 0x3F82 is even
            (0x3F80_8001, 0x3F81), // just past the tie
            (0x3F80_7FFF, 0x3F80), // just short of the tie
            (0xBF81_8000, 0xBF82), // negative tie
            (0x3FFF_FFFF, 0x4000), // carries into the exponent: just under 2 rounds to 2
            (0x7F7F_7FFF, 0x7F7F), // stays the largest finite bf16
            (0x7F7F_FFFF, 0x7F80), // fp32's largest finite overflows bf16 to infinity
            (0x7F80_0000, 0x7F80), // +inf
            (0xFF80_0000, 0xFF80), // -inf
            (0x7FC0_0000, 0x7FC0), // quiet NaN
            (0x7F80_0001, 0x7FC0), // signalling NaN, payload only in the low half
            (0xFFA0_0000, 0xFFE0), // negative signalling NaN keeps sign and payload top
            (0x0080_0000, 0x0080), // smallest normal
            (0x0080_7FFF, 0x0080),
            (0x0080_FFFF, 0x0081),
            (0x0040_0000, 0x0000), // subnormal → +0
            (0x8000_0001, 0x8000), // subnormal → -0
            (0x0000_0000, 0x0000),
            (0x8000_0000, 0x8000),
            (0x3380_0000, 0x3380), // 2⁻²⁴: small but normal, exact
        ]
        for (input, expected) in cases {
            let value = Float(bitPattern: input), name = "0x" + String(input, radix: 16)
            #expect(apus_bf16_round(value) == expected, "C rounding of \(name)")
            #expect(Self.bits(bfloat16Rounded(value)) == expected, "Swift reference rounding of \(name)")
            #expect(bfloat16Rounded(value).bitPattern & 0xFFFF == 0, "the reference returns a bf16 value")
        }
        let inputs = cases.map { Float(bitPattern: $0.0) }
        for isa in BF16KernelISA.available {
            var converted = [UInt16](repeating: 0xDEAD, count: inputs.count)
            apus_convert_rows_bf16_isa(isa.cValue, inputs, Int32(inputs.count), 1, Int32(inputs.count), &converted)
            #expect(converted == cases.map(\.1), "\(isa) conversion")
        }
    }

    @Test func everyConversionPathGivesTheReferenceBits() {
        // Random bit patterns cover every exponent (NaNs, infinities, subnormals included); ties and their
        // neighbours are where round-to-nearest-even differs from simpler roundings.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var patterns: [UInt32] = (0..<60_000).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt32(truncatingIfNeeded: state >> 29)
        }
        for high in stride(from: UInt32(0), through: 0xFFFF, by: 97) {
            for low: UInt32 in [0x0000, 0x0001, 0x7FFF, 0x8000, 0x8001, 0xFFFF] { patterns.append(high << 16 | low) }
        }
        let values = patterns.map { Float(bitPattern: $0) }
        #expect(values.map { apus_bf16_round($0) } == values.map { Self.bits(bfloat16Rounded($0)) }, "scalar C")

        // Rows of awkward widths (odd ones get a zero pad), read with a row stride wider than the row.
        for width in [1, 2, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100] {
            let rows = 7, ldx = width + 3, padded = (width + 1) / 2 * 2
            let source = (0..<rows * ldx).map { values[$0 % values.count] }
            for isa in BF16KernelISA.available {
                var converted = [UInt16](repeating: 0xDEAD, count: bf16ScratchCount(rows: rows, inFeatures: width) + 8)
                apus_convert_rows_bf16_isa(isa.cValue, source, Int32(ldx), Int32(rows), Int32(width), &converted)
                for row in 0..<rows {
                    let actual = Array(converted[(row * padded)..<(row * padded + width)])
                    let wanted = (0..<width).map { Self.bits(bfloat16Rounded(source[row * ldx + $0])) }
                    #expect(actual == wanted, "\(isa) width \(width) row \(row)")
                    if padded > width { #expect(converted[row * padded + width] == 0, "\(isa) width \(width): pad") }
                }
                #expect(converted[(rows * padded)...].allSatisfy { $0 == 0xDEAD }, "\(isa) width \(width): overrun")
            }
        }
    }

    /// (inFeatures, outFeatures): k odd, even, 1 and 0; past the 512-value k block; n off multiples of 32.
    @Test(arguments: [(1, 1), (2, 33), (7, 31), (64, 65), (257, 40), (513, 97), (0, 5), (1536, 3)])
    func matchesReferenceOnEveryISAForEveryTileHeight(inFeatures: Int, outFeatures: Int) {
        #expect(BF16KernelISA.available.contains(.portable))
        for rows in 1...25 { // every remainder of the 12-row tile, twice
            let product = Product(rows: rows, inFeatures: inFeatures, outFeatures: outFeatures, seed: UInt64(rows))
            for withBias in [false, true] {
                let expected = product.reference(bias: withBias), scale = product.termMagnitudes(bias: withBias)
                for isa in BF16KernelISA.available {
                    let actual = product.run(isa: isa, bias: withBias)
                    let label = "\(isa) \(product.label) bias \(withBias)"
                    #expect(!actual.contains { $0.isNaN }, "\(label): every output written")
                    #expect(Self.worstScaledDifference(actual, expected, scale: scale) <= Self.bf16Accumulation, "\(label)")

                    // The C entry point on its own, one panel at a time, with a row stride past n wider than a
                    // panel's overhang (31 columns), so a store past n in any row lands in a gap that must stay 7.
                    let ldy = outFeatures + 35
                    var scratch = [UInt16](repeating: 0, count: bf16ScratchCount(rows: rows, inFeatures: inFeatures))
                    apus_convert_rows_bf16(product.x, Int32(inFeatures), Int32(rows), Int32(inFeatures), &scratch)
                    var strided = [Float](repeating: 7, count: rows * ldy)
                    for panel in 0..<(outFeatures + 31) / 32 {
                        apus_sbgemm_bf16_packed(isa.cValue, scratch, Int32(rows), Int32(inFeatures),
                                                product.packed.storage.pointer, Int32(outFeatures), Int32(panel),
                                                Int32(panel + 1), withBias ? product.bias : nil, 0, &strided, Int32(ldy))
                    }
                    for row in 0..<rows {
                        #expect(strided[(row * ldy)..<(row * ldy + outFeatures)]
                                    == actual[(row * outFeatures)..<((row + 1) * outFeatures)], "\(label): ldy \(ldy)")
                        #expect(strided[(row * ldy + outFeatures)..<((row + 1) * ldy)].allSatisfy { $0 == 7 },
                                "\(label): gap untouched")
                    }
                }
            }
        }
    }

    @Test(arguments: [(100, 385, 161), (64, 768, 200)])
    func splitsAcrossThreadsWithTheSameResult(rows: Int, inFeatures: Int, outFeatures: Int) {
        // Above the 8 MFLOP threshold, so two threads share the panels.
        #expect(2 * rows * inFeatures * outFeatures >= 8_000_000)
        let product = Product(rows: rows, inFeatures: inFeatures, outFeatures: outFeatures, seed: 21)
        let expected = product.reference(bias: true), scale = product.termMagnitudes(bias: true)
        for isa in BF16KernelISA.available {
            let single = product.run(isa: isa, bias: true, threads: 1), split = product.run(isa: isa, bias: true, threads: 2)
            #expect(single == split, "\(isa): a panel gives the same bits on any thread")
            #expect(Self.worstScaledDifference(split, expected, scale: scale) <= Self.bf16Accumulation, "\(isa)")
        }
    }

    @Test(.enabled(if: BF16KernelISA.available.contains(.avx512bf16), "needs AVX-512 BF16"),
          arguments: [(1, 1, 1), (25, 385, 97), (13, 1536, 384), (12, 4097, 33)])
    func portableAndAVX512BF16Agree(rows: Int, inFeatures: Int, outFeatures: Int) {
        let product = Product(rows: rows, inFeatures: inFeatures, outFeatures: outFeatures, seed: 31)
        let portable = product.run(isa: .portable, bias: true), vector = product.run(isa: .avx512bf16, bias: true)
        let worst = Self.worstScaledDifference(portable, vector, scale: product.termMagnitudes(bias: true))
        let identical = zip(portable, vector).filter { $0.0.bitPattern == $0.1.bitPattern }.count
        print("bf16 portable vs avx512bf16 \(product.label): worst scaled Δ \(worst), "
              + "\(identical)/\(portable.count) bit-identical")
        #expect(worst <= Self.bf16PathAgreement)
    }

    @Test(arguments: [(64, 384, 384), (32, 1536, 384), (16, 3072, 768)])
    func accuracyAgainstFP32(rows: Int, inFeatures: Int, outFeatures: Int) {
        let product = Product(rows: rows, inFeatures: inFeatures, outFeatures: outFeatures, seed: 41)
        var fp32 = [Float](repeating: 0, count: rows * outFeatures)
        matmulReference(product.x, rows: rows, inFeatures: inFeatures, weight: product.weight, outFeatures: outFeatures,
                        bias: product.bias, output: &fp32)
        let scale = product.termMagnitudes(bias: true, round: { $0 })
        let norm = fp32.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        let largest = fp32.reduce(0) { max($0, abs($1)) }
        for isa in BF16KernelISA.available {
            let bf16 = product.run(isa: isa, bias: true)
            let normwise = zip(bf16, fp32).reduce(0.0) { $0 + pow(Double($1.0) - Double($1.1), 2) }.squareRoot() / norm
            let worst = zip(bf16, fp32).reduce(0) { max($0, abs($1.0 - $1.1)) }
            let perTerm = Self.worstScaledDifference(bf16, fp32, scale: scale)
            print("bf16 \(isa) vs fp32 \(product.label): ‖Δ‖/‖y‖ \(normwise), max|Δ|/max|y| \(worst / largest), "
                  + "max|Δ|/Σ|terms| \(perTerm)")
            #expect(normwise <= Self.bf16VersusFP32Normwise, "\(isa)")
            #expect(perTerm <= Self.bf16VersusFP32PerTerm, "\(isa)")
        }
    }

    @Test func packsPairsInterleavedPerColumn() {
        // W [3, 3]: pair p of the panel holds column j's (W[j, 2p], W[j, 2p+1]) at 2j and 2j+1; k pads with 0 and
        // columns past n are 0.
        let packed = PackedWeightsBF16(Tensor(shape: [3, 3], values: [1, 2, 3, 4, 5, 6, 7, 8, 9]))
        #expect(packed.storage.count == 2 * 64)
        let values = (0..<packed.storage.count).map { Float(bitPattern: UInt32(packed.storage.pointer[$0]) << 16) }
        #expect(Array(values[0..<6]) == [1, 2, 4, 5, 7, 8])
        #expect(Array(values[64..<70]) == [3, 0, 6, 0, 9, 0])
        #expect(values[6..<64].allSatisfy { $0 == 0 } && values[70...].allSatisfy { $0 == 0 })
    }

    /// The fused epilogue gives exactly what the product followed by `applyActivation` gives (same kernels), on
    /// every path, on tall (row-block) and short (per-panel) shapes.
    @Test(arguments: [(3, 40, 70), (150, 96, 33)])
    func fusedActivationEqualsSeparateActivation(rows: Int, inFeatures: Int, outFeatures: Int) {
        let x = KernelTests.values(rows * inFeatures, seed: 21).map { $0 * 3 }
        let weight = KernelTests.values(outFeatures * inFeatures, seed: 22), bias = KernelTests.values(outFeatures, seed: 23)
        let packed = PackedWeightsBF16(Tensor(shape: [outFeatures, inFeatures], values: weight))
        var scratch = [UInt16](repeating: 0, count: bf16ScratchCount(rows: rows, inFeatures: inFeatures))
        for isa in BF16KernelISA.available {
            for threads in [1, 2] {
                let pool = ThreadPool(threadCount: threads)
                var separate = [Float](repeating: .nan, count: rows * outFeatures), fused = separate
                matmulBF16(x, rows: rows, packed: packed, bias: bias, output: &separate, scratch: &scratch, pool: pool, isa: isa)
                applyActivation(.geluErf, &separate, count: separate.count, pool: nil)
                matmulBF16(x, rows: rows, packed: packed, bias: bias, activation: .geluErf, output: &fused, scratch: &scratch,
                           pool: pool, isa: isa)
                #expect(fused == separate, "\(isa), \(threads) threads, \(rows)×\(inFeatures)→\(outFeatures)")
            }
        }
    }
}
