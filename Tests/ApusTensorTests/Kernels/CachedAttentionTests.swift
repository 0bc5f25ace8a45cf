import ApusTensor
import Foundation
import Testing

/// `cachedAttention` against its Double reference on awkward shapes: head sizes that leave partial value panels,
/// caches spanning several key panels, GQA groups of 1 and 3, one and many new tokens after a prefix, windows and
/// soft-capping, on 1 and 2 threads.
struct CachedAttentionTests {
    /// Max |Δ| of attention outputs (averages of values in [-1, 1]) against the Double reference.
    static let tolerance: Float = 2e-6

    struct Shape: CustomTestStringConvertible, Sendable {
        var heads: Int, keyValueHeads: Int, headSize: Int, capacity: Int, first: Int, tokens: Int
        var window: Int? = nil
        var softcap: Float? = nil
        var testDescription: String {
            "\(heads)/\(keyValueHeads) heads × \(headSize), cache \(capacity), tokens \(first)..<\(first + tokens)"
                + (window.map { ", window \($0)" } ?? "") + (softcap.map { ", softcap \($0)" } ?? "")
        }
    }

    @Test(arguments: [
        Shape(heads: 4, keyValueHeads: 2, headSize: 8, capacity: 20, first: 0, tokens: 1),
        Shape(heads: 6, keyValueHeads: 2, headSize: 40, capacity: 70, first: 0, tokens: 65),
        Shape(heads: 3, keyValueHeads: 3, headSize: 7, capacity: 100, first: 33, tokens: 9),
        Shape(heads: 9, keyValueHeads: 3, headSize: 64, capacity: 130, first: 97, tokens: 1),
        Shape(heads: 4, keyValueHeads: 1, headSize: 33, capacity: 90, first: 40, tokens: 30, window: 5),
        Shape(heads: 4, keyValueHeads: 2, headSize: 16, capacity: 80, first: 0, tokens: 80, window: 37, softcap: 3),
    ])
    func matchesReference(shape: Shape) {
        let headStride = 100_000
        let keys = KernelTests.values(shape.keyValueHeads * headStride, seed: 11)
        let values = KernelTests.values(shape.keyValueHeads * headStride, seed: 12)
        let queryWidth = shape.heads * shape.headSize
        let queries = KernelTests.values(shape.tokens * (queryWidth + 3), seed: 13).map { $0 * 3 } // sharper softmax, row stride ≠ width
        var expected = [Float](repeating: 0, count: shape.tokens * queryWidth)
        for threads in [1, 2] {
            var actual = [Float](repeating: .nan, count: expected.count)
            let scratch = [Float](repeating: 0, count: cachedAttentionScratchCount(
                tokens: shape.tokens, heads: shape.heads, keyValueHeads: shape.keyValueHeads, headSize: shape.headSize,
                capacity: shape.capacity, threads: threads))
            keys.withUnsafeBufferPointer { keys in
                values.withUnsafeBufferPointer { values in
                    queries.withUnsafeBufferPointer { queries in
                        func operands(_ output: UnsafeMutablePointer<Float>) -> CachedAttentionOperands {
                            CachedAttentionOperands(
                                queries: queries.baseAddress!, queryStride: queryWidth + 3, context: output, contextStride: queryWidth,
                                tokens: shape.tokens, first: shape.first, heads: shape.heads, keyValueHeads: shape.keyValueHeads,
                                headSize: shape.headSize, keys: keys.baseAddress!, values: values.baseAddress!, headStride: headStride,
                                capacity: shape.capacity, scale: 1 / Float(shape.headSize).squareRoot(), window: shape.window,
                                softcap: shape.softcap)
                        }
                        if threads == 1 { expected.withUnsafeMutableBufferPointer { cachedAttentionReference(operands($0.baseAddress!)) } }
                        actual.withUnsafeMutableBufferPointer { output in
                            scratch.withUnsafeBufferPointer { scratch in
                                cachedAttention(operands(output.baseAddress!), scratch: UnsafeMutablePointer(mutating: scratch.baseAddress!),
                                                pool: ThreadPool(threadCount: threads))
                            }
                        }
                    }
                }
            }
            let difference = zip(actual, expected).map { abs($0 - $1) }.max() ?? .infinity
            #expect(difference <= Self.tolerance, "\(shape.testDescription), \(threads) threads: \(difference)")
            #expect(!actual.contains { $0.isNaN })
        }
    }
}
