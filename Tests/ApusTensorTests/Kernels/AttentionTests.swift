import Testing
@testable import ApusTensor

/// `packedAttention` against the Double definition: both paths (whole score matrix, tiled online softmax),
/// packed batches of unequal sequences, causal masking, strided fused inputs, and every kernel ISA.
struct AttentionTests {
    /// Fused `[tokens, 3 · width]` projections with seeded values, plus an output with a wider stride.
    struct Problem {
        let heads: Int, headSize: Int, lengths: [Int]
        let offsets: [Int]
        let inputs: [Float]
        var width: Int { heads * headSize }
        var tokens: Int { offsets.last ?? 0 }
        let outputStride: Int

        init(heads: Int, headSize: Int, lengths: [Int], seed: UInt64, magnitude: Float = 1) {
            self.heads = heads
            self.headSize = headSize
            self.lengths = lengths
            offsets = lengths.reduce(into: [0]) { $0.append($0.last! + $1) }
            let count = (lengths.reduce(0, +)) * 3 * heads * headSize
            inputs = KernelTests.values(count, seed: seed).map { $0 * magnitude }
            outputStride = heads * headSize + 3
        }

        /// Runs `body` with operands over `inputs` and a NaN-filled output (so unwritten cells show).
        func run(_ body: (AttentionOperands) -> Void) -> [Float] { run(bias: nil, body) }

        func run(bias currentBias: RelativePositionBias?, _ body: (AttentionOperands) -> Void) -> [Float] {
            var output = [Float](repeating: .nan, count: max(tokens, 1) * outputStride)
            inputs.withUnsafeBufferPointer { input in
                output.withUnsafeMutableBufferPointer { out in
                    let base = input.baseAddress!
                    body(AttentionOperands(query: base, key: base + width, value: base + 2 * width, inputStride: 3 * width,
                                           output: out.baseAddress!, outputStride: outputStride, heads: heads, headSize: headSize,
                                           relativeBias: currentBias))
                }
            }
            return output
        }

        func compare(causal: Bool, window: Int? = nil, threads: Int, isa: KernelISA, biasSpan: Int? = nil) -> Float {
            let mask = AttentionMask(causal: causal, window: window)
            // A random relative-position bias table when asked for, kept alive for the whole comparison.
            let biasValues = biasSpan.map { KernelTests.values(heads * (2 * $0 - 1), seed: 99).map { $0 * 3 } } ?? []
            return biasValues.withUnsafeBufferPointer { biasBuffer in
                let bias = biasSpan.flatMap { span in biasBuffer.baseAddress.map { RelativePositionBias(table: $0, span: span) } }
                return compare(mask: mask, threads: threads, isa: isa, bias: bias)
            }
        }

        func compare(mask: AttentionMask, threads: Int, isa: KernelISA, bias: RelativePositionBias?) -> Float {
            let expected = run(bias: bias) { packedAttentionReference($0, sequenceOffsets: offsets, mask: mask) }
            let pool = ThreadPool(threadCount: threads)
            let longest = lengths.max() ?? 0
            // A guard region after the scratch the function asks for: it must stay untouched.
            let needed = attentionScratchCount(longestSequence: longest, headSize: headSize, threads: threads), guardCount = 4096
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: needed + guardCount)
            scratch.initialize(repeating: 0, count: needed)
            (scratch + needed).initialize(repeating: 12345, count: guardCount)
            defer { scratch.deallocate() }
            let actual = run(bias: bias) { packedAttention($0, sequenceOffsets: offsets, mask: mask, scratch: scratch, pool: pool, isa: isa) }
            if !(0..<guardCount).allSatisfy({ scratch[needed + $0] == 12345 }) { return .infinity } // wrote past its scratch
            var worst: Float = 0
            for row in 0..<tokens {
                for column in 0..<outputStride {
                    let index = row * outputStride + column
                    if column >= width {
                        if !actual[index].isNaN { return .infinity } // the stride gap must stay untouched
                        continue
                    }
                    worst = max(worst, abs(actual[index] - expected[index]))
                }
            }
            return worst
        }
    }

    @Test(arguments: [false, true])
    func shortSequencesMatchTheDefinition(causal: Bool) {
        let problem = Problem(heads: 3, headSize: 8, lengths: [1, 5, 0, 33, 17], seed: 1, magnitude: 2)
        for isa in KernelISA.available {
            for threads in [1, 2] {
                let error = problem.compare(causal: causal, threads: threads, isa: isa)
                #expect(error < 2e-6, "\(isa), \(threads) threads, causal \(causal): max error \(error)")
            }
        }
    }

    /// Sequences past `attentionFullScoresLimit` take the tiled path, including partial query and key tiles.
    @Test(arguments: [false, true])
    func longSequencesMatchTheDefinition(causal: Bool) {
        let long = attentionFullScoresLimit + 77
        // A sequence at the limit beside longer ones: the whole-score path needs more scratch than the tiled one.
        let problem = Problem(heads: 2, headSize: 32, lengths: [long, 3, attentionFullScoresLimit, attentionFullScoresLimit + 1],
                              seed: 2, magnitude: 1.5)
        for isa in KernelISA.available {
            let error = problem.compare(causal: causal, threads: 2, isa: isa)
            #expect(error < 2e-6, "\(isa), causal \(causal): max error \(error)")
        }
    }

    /// Large logits (scores up to ~140): the running maximum must rescale earlier tiles without overflow or
    /// loss. fp32 scores of that size carry ~1e-5 absolute rounding, which exp turns into ~1e-5 relative error
    /// in the weights — against outputs of magnitude ~6 — so the bound is looser than for unit inputs.
    @Test func tiledPathIsStableForLargeScores() {
        let problem = Problem(heads: 1, headSize: 16, lengths: [attentionFullScoresLimit * 2 + 5], seed: 3, magnitude: 6)
        let error = problem.compare(causal: false, threads: 1, isa: .detected)
        #expect(error < 6e-5, "max error \(error)")
    }

    /// Head sizes that are not a multiple of the 32-column panels.
    @Test(arguments: [1, 20, 64, 80])
    func oddHeadSizes(headSize: Int) {
        let problem = Problem(heads: 2, headSize: headSize, lengths: [7, attentionFullScoresLimit + 9], seed: 4)
        let error = problem.compare(causal: true, threads: 2, isa: .detected)
        #expect(error < 2e-6, "head size \(headSize): max error \(error)")
    }

    /// Bidirectional sliding windows (ModernBERT's local layers) and causal windows (Mistral-style), on both
    /// paths: windows narrower than a key tile, wider than the sequence, and zero (each token sees itself).
    @Test(arguments: [0, 3, 64, 200, 1000])
    func slidingWindowsMatchTheDefinition(window: Int) {
        let problem = Problem(heads: 2, headSize: 16, lengths: [9, attentionFullScoresLimit, attentionFullScoresLimit + 150], seed: 5)
        for causal in [false, true] {
            let error = problem.compare(causal: causal, window: window, threads: 2, isa: .detected)
            #expect(error < 2e-6, "window \(window), causal \(causal): max error \(error)")
        }
    }

    /// A relative-position bias (MPNet) on both paths, with and without a causal mask.
    @Test func relativePositionBiasMatchesTheDefinition() {
        let problem = Problem(heads: 3, headSize: 8, lengths: [6, 40, attentionFullScoresLimit + 30], seed: 6)
        for causal in [false, true] {
            let error = problem.compare(causal: causal, threads: 2, isa: .detected, biasSpan: attentionFullScoresLimit + 35)
            #expect(error < 2e-6, "causal \(causal): max error \(error)")
        }
    }
}
