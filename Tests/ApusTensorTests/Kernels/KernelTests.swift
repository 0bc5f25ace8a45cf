import Foundation
import Testing
@testable import ApusTensor

/// Each fast kernel against its reference twin on awkward shapes.
struct KernelTests {
    /// Max |Δ| between the fp32 kernels and the Double-accumulating references, relative to √k-scaled
    /// magnitudes of uniform(-1, 1) inputs.
    static let kernelFP32: Float = 2e-5
    /// Max |Δ| of softmax and the activations against their Double references and PyTorch.
    static let elementwiseFP32: Float = 2e-6

    /// Deterministic values in (-1, 1).
    static func values(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed &* 6364136223846793005 &+ 1442695040888963407
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2_000_000) / 1_000_000 - 1
        }
    }

    static func maxDifference(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) } }

    @Test(arguments: [(1, 1, 1), (1, 7, 65), (7, 65, 1), (5, 384, 384), (65, 33, 7), (13, 1536, 384), (4, 4097, 3),
                      (130, 384, 96), (12, 0, 5), (25, 129, 33)])
    func packedMatmulMatchesReferenceOnEveryISA(rows: Int, inFeatures: Int, outFeatures: Int) {
        let x = Self.values(rows * inFeatures, seed: 1), weight = Self.values(outFeatures * inFeatures, seed: 2)
        let bias = Self.values(outFeatures, seed: 3)
        let packed = PackedWeights(Tensor(shape: [outFeatures, inFeatures], values: weight))
        #expect(KernelISA.available.contains(.portable))
        for withBias in [false, true] {
            var expected = [Float](repeating: 0, count: rows * outFeatures)
            matmulReference(x, rows: rows, inFeatures: inFeatures, weight: weight, outFeatures: outFeatures,
                            bias: withBias ? bias : nil, output: &expected)
            for isa in KernelISA.available {
                for threads in [1, 2] {
                    var actual = [Float](repeating: .nan, count: rows * outFeatures)
                    matmul(x, rows: rows, packed: packed, bias: withBias ? bias : nil, output: &actual,
                           pool: ThreadPool(threadCount: threads), isa: isa)
                    #expect(Self.maxDifference(actual, expected) <= Self.kernelFP32 * max(Float(inFeatures), 1).squareRoot(),
                            "\(isa) \(rows)×\(inFeatures)→\(outFeatures) bias \(withBias) threads \(threads)")
                    #expect(!actual.contains { $0.isNaN }, "\(isa): every output written")
                }
            }
        }
    }

    /// The activation fused into the product's epilogue equals the product followed by the activation, on every
    /// ISA, including k = 0 (output = act(bias)), k longer than one cache block, and a partial last panel.
    @Test(arguments: [(1, 0, 5), (3, 7, 65), (13, 300, 33), (40, 384, 96)])
    func fusedActivationEqualsSeparateActivation(rows: Int, inFeatures: Int, outFeatures: Int) {
        let x = Self.values(rows * inFeatures, seed: 11).map { $0 * 3 }, weight = Self.values(outFeatures * inFeatures, seed: 12)
        let bias = Self.values(outFeatures, seed: 13)
        let packed = PackedWeights(Tensor(shape: [outFeatures, inFeatures], values: weight))
        for activation in [Activation.geluErf, .geluTanh, .quickGelu, .relu, .silu] {
            var expected = [Float](repeating: 0, count: rows * outFeatures)
            matmulReference(x, rows: rows, inFeatures: inFeatures, weight: weight, outFeatures: outFeatures, bias: bias, output: &expected)
            applyActivationReference(activation, &expected, count: expected.count)
            for isa in KernelISA.available {
                for threads in [1, 2] {
                    var actual = [Float](repeating: .nan, count: rows * outFeatures)
                    matmul(x, rows: rows, packed: packed, bias: bias, activation: activation, output: &actual,
                           pool: ThreadPool(threadCount: threads), isa: isa)
                    #expect(Self.maxDifference(actual, expected) <= 3 * Self.kernelFP32 * max(Float(inFeatures), 1).squareRoot(),
                            "\(activation) \(isa) \(rows)×\(inFeatures)→\(outFeatures) threads \(threads)")
                }
            }
        }
    }

    @Test(arguments: [(1, 1, 1, true), (7, 7, 32, true), (17, 9, 33, false), (5, 40, 40, false), (65, 65, 3, true)])
    func gemmMatchesReferenceOnStridedBlocks(m: Int, n: Int, k: Int, bTransposed: Bool) {
        // Operands are column blocks of wider matrices (leading dimensions larger than the block).
        let lda = k + 3, ldb = (bTransposed ? k : n) + 5, ldc = n + 2
        let a = Self.values(m * lda, seed: 4), b = Self.values((bTransposed ? n : k) * ldb, seed: 5)
        var expected = [Float](repeating: 7, count: m * ldc)
        gemmReference(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, bTransposed: bTransposed, c: &expected, ldc: ldc, alpha: 0.125)
        for isa in KernelISA.available {
            var packed = [Float](repeating: 7, count: m * ldc)
            var scratch = [Float](repeating: .nan, count: packedScratchCount(n: n, k: k))
            gemmPacked(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, bTransposed: bTransposed, c: &packed, ldc: ldc,
                       alpha: 0.125, scratch: &scratch, isa: isa)
            #expect(Self.maxDifference(packed, expected) <= Self.kernelFP32 * Float(k).squareRoot(), "\(isa)")
            for row in 0..<m { #expect(packed[(row * ldc + n)..<(row * ldc + ldc)].allSatisfy { $0 == 7 }, "\(isa): padding untouched") }
        }
    }

    @Test func softmaxIsStableAndHandlesMaskedEntries() {
        var rows: [Float] = [1, 2, 3, 1000, 1001, 1002, -.infinity, 0, -.infinity, -.infinity, -.infinity, -.infinity]
        var expected = rows
        softmaxRows(&rows, rows: 4, width: 3)
        softmaxRowsReference(&expected, rows: 4, width: 3)
        #expect(Self.maxDifference(rows, expected) <= Self.elementwiseFP32)
        #expect(abs(rows[0..<3].reduce(0, +) - 1) <= Self.elementwiseFP32)
        #expect(Array(rows[3..<6]) == Array(rows[0..<3]) || Self.maxDifference(Array(rows[3..<6]), Array(rows[0..<3])) <= Self.elementwiseFP32)
        #expect(Array(rows[6..<9]) == [0, 1, 0])
        #expect(Array(rows[9..<12]) == [0, 0, 0])
    }

    @Test func activationsMatchPyTorch() {
        // torch.nn.functional.gelu(x), gelu(x, approximate="tanh"), relu, silu on x = [-3, -0.5, 0, 0.7, 2.5] (fp32):
        let x: [Float] = [-3, -0.5, 0, 0.7, 2.5]
        let expected: [Activation: [Float]] = [
            .geluErf: [-0.004050225019454956, -0.1542687714099884, 0, 0.5306254625320435, 2.48447585105896],
            .geluTanh: [-0.0036374330520629883, -0.1542859971523285, 0, 0.5305701494216919, 2.4849157333374023],
            .relu: [0, 0, 0, 0.7, 2.5],
            .silu: [-0.14227761328220367, -0.1887703388929367, 0, 0.46773141622543335, 2.310354471206665],
        ]
        for (activation, values) in expected {
            var y = x
            applyActivation(activation, &y, count: y.count, pool: nil)
            #expect(Self.maxDifference(y, values) <= Self.elementwiseFP32, "\(activation)")
        }
        #expect(Activation(huggingFaceName: "gelu") == .geluErf)
        #expect(Activation(huggingFaceName: "gelu_pytorch_tanh") == .geluTanh)
        #expect(Activation(huggingFaceName: "mish") == nil)
    }
}
