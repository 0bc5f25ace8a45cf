import Testing
@testable import ApusTensor

/// `disentangledAttention` against its Double definition: packed batches of unequal sequences (1, 7, 65 tokens),
/// c2p and p2c alone and together, clamped and bucket-like table rows, 1 and 2 threads, and a guard region after
/// the scratch it asks for.
struct DisentangledAttentionTests {
    static let heads = 3, headSize = 8, span = 12
    static var width: Int { heads * headSize }

    /// Table rows of distance δ: clamped at ±`span` (DeBERTa-v2), or compressed beyond ±4 like log buckets (v3).
    static func rows(reach: Int, bucketed: Bool) -> [Int32] {
        ((1 - reach)..<reach).map { delta in
            let bucket = bucketed && abs(delta) > 4 ? (delta > 0 ? 1 : -1) * (4 + (abs(delta) - 4) / 3) : delta
            return Int32(min(max(bucket + span, 0), 2 * span - 1))
        }
    }

    func compare(lengths: [Int], contentToPosition: Bool, positionToContent: Bool, bucketed: Bool, threads: Int) -> Float {
        let width = Self.width, offsets = lengths.reduce(into: [0]) { $0.append($0.last! + $1) }
        let tokens = offsets.last!, reach = lengths.max()!, outputStride = width + 3
        let inputs = KernelTests.values(tokens * 3 * width, seed: 21)
        let keys = KernelTests.values(2 * Self.span * width, seed: 22), queries = KernelTests.values(2 * Self.span * width, seed: 23)
        let rows = Self.rows(reach: reach, bucketed: bucketed)
        func run(_ body: (AttentionOperands, DisentangledPositions) -> Void) -> [Float] {
            var output = [Float](repeating: .nan, count: tokens * outputStride)
            inputs.withUnsafeBufferPointer { input in
                keys.withUnsafeBufferPointer { keys in
                    queries.withUnsafeBufferPointer { queries in
                        rows.withUnsafeBufferPointer { rows in
                            output.withUnsafeMutableBufferPointer { out in
                                let base = input.baseAddress!
                                body(AttentionOperands(query: base, key: base + width, value: base + 2 * width, inputStride: 3 * width,
                                                       output: out.baseAddress!, outputStride: outputStride, heads: Self.heads,
                                                       headSize: Self.headSize),
                                     DisentangledPositions(positionKeys: contentToPosition ? keys.baseAddress : nil,
                                                           positionQueries: positionToContent ? queries.baseAddress : nil,
                                                           tableStride: width, rows: rows.baseAddress!, reach: reach))
                            }
                        }
                    }
                }
            }
            return output
        }
        let scale: Float = 0.2
        let expected = run { disentangledAttentionReference($0, positions: $1, scale: scale, sequenceOffsets: offsets) }
        let pool = ThreadPool(threadCount: threads)
        var needed = 0, guardCount = 4096
        let actual = run { operands, positions in
            needed = disentangledAttentionScratchCount(longestSequence: reach, headSize: Self.headSize, positions: positions,
                                                       threads: threads)
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: needed + guardCount)
            defer { scratch.deallocate() }
            scratch.initialize(repeating: 0, count: needed)
            (scratch + needed).initialize(repeating: 12345, count: guardCount)
            disentangledAttention(operands, positions: positions, scale: scale, sequenceOffsets: offsets, scratch: scratch, pool: pool)
            if !(0..<guardCount).allSatisfy({ scratch[needed + $0] == 12345 }) { guardCount = -1 }
        }
        if guardCount < 0 { return .infinity } // wrote past its scratch
        var worst: Float = 0
        for row in 0..<tokens {
            for column in 0..<outputStride {
                let index = row * outputStride + column
                if column >= width {
                    if !actual[index].isNaN { return .infinity } // the stride gap must stay untouched
                } else {
                    worst = max(worst, abs(actual[index] - expected[index]))
                }
            }
        }
        return worst
    }

    @Test(arguments: ["c2p|p2c", "c2p", "p2c"])
    func matchesTheDefinition(terms: String) {
        for bucketed in [false, true] {
            for threads in [1, 2] {
                let error = compare(lengths: [7, 1, 65], contentToPosition: terms.contains("c2p"),
                                    positionToContent: terms.contains("p2c"), bucketed: bucketed, threads: threads)
                #expect(error < 2e-6, "\(terms), bucketed \(bucketed), \(threads) threads: \(error)")
            }
        }
    }
}
