// DeBERTa's disentangled self-attention on packed batches (He et al. 2021, "DeBERTa: Decoding-enhanced BERT with
// Disentangled Attention", eq. 4; transformers' `DisentangledSelfAttention` in models/deberta_v2/modeling_deberta_v2.py).
// For query i and key j of one sequence and one head, with δ = i − j and r(δ) the row of the relative-position
// tables that distance reads (clamped, or log-bucketed):
//   score(i, j) = s · Qᵢ·Kⱼ  +  Qᵢ·PKᵣ₍δ₎  (content → position, "c2p")  +  Kⱼ·PQᵣ₍δ₎  (position → content, "p2c")
// where PK and PQ are the relative embeddings through the key and query projections, already scaled by s.
// (transformers gathers p2c at r(j − i) and transposes; r is odd, so that is −r(δ) mirrored, i.e. r(δ) here.)
// Rather than the `[L, 2·span]` products transformers computes, each (sequence, head) multiplies only the table
// rows its own distances reach: rows r(−(L−1)) … r(L−1), at most 2L − 1 of them.
import Foundation

/// The relative-position operands of `disentangledAttention`: DeBERTa's projected relative embeddings and which
/// row each query–key distance reads.
public struct DisentangledPositions {
    /// Position keys `[2·span, heads · headSize]` for the c2p term, scaled like the scores; nil without c2p.
    public var positionKeys: UnsafePointer<Float>?
    /// Position queries `[2·span, heads · headSize]` for the p2c term, scaled like the scores; nil without p2c.
    public var positionQueries: UnsafePointer<Float>?
    /// Floats between consecutive rows of the two tables.
    public var tableStride: Int
    /// `rows[δ + reach − 1]`: the table row of distance δ = query − key, for −reach < δ < reach. Must not
    /// decrease with δ (clamped or bucketed distances never do).
    public var rows: UnsafePointer<Int32>
    /// One more than the largest distance `rows` covers: at least the longest sequence of the batch.
    public var reach: Int

    /// Bundles the operands.
    public init(positionKeys: UnsafePointer<Float>?, positionQueries: UnsafePointer<Float>?, tableStride: Int,
                rows: UnsafePointer<Int32>, reach: Int) {
        self.positionKeys = positionKeys
        self.positionQueries = positionQueries
        self.tableStride = tableStride
        self.rows = rows
        self.reach = reach
    }

    /// The table row of distance `delta` (query − key).
    @inline(__always)
    func row(_ delta: Int) -> Int { Int(rows[delta + reach - 1]) }

    /// The table rows the distances of a `length`-token sequence reach.
    func rowRange(length: Int) -> ClosedRange<Int> { row(-(length - 1))...row(length - 1) }
}

/// Floats of scratch `disentangledAttention` needs for sequences of up to `longestSequence` tokens on `threads` threads.
public func disentangledAttentionScratchCount(longestSequence: Int, headSize: Int, positions: DisentangledPositions,
                                              threads: Int) -> Int {
    disentangledScratchPerThread(length: longestSequence, headSize: headSize, positions: positions) * threads
}

private func disentangledScratchPerThread(length: Int, headSize: Int, positions: DisentangledPositions) -> Int {
    guard length > 0 else { return 0 }
    let tableRows = positions.rowRange(length: length).count
    let packing = max(packedScratchCount(n: length, k: headSize), packedScratchCount(n: headSize, k: length),
                      packedScratchCount(n: tableRows, k: headSize))
    return length * length + 2 * length * tableRows + packing
}

/// `softmax(s·Q·Kᵀ + c2p + p2c)·V` for every (sequence, head) of a packed batch, `s` = `scale`; each sequence attends
/// only to itself. `sequenceOffsets` holds each sequence's first row plus the total row count.
///
/// One task per (sequence, head) spread over `pool`; each thread works in its own slice of `scratch`, which must
/// hold `disentangledAttentionScratchCount(longestSequence:headSize:positions:threads:)` floats, so nothing is
/// allocated. The whole `[L, L]` score matrix is materialised per task (DeBERTa takes up to 512 tokens).
public func disentangledAttention(_ operands: AttentionOperands, positions: DisentangledPositions, scale: Float,
                                  sequenceOffsets: [Int], scratch: UnsafeMutablePointer<Float>, pool: ThreadPool,
                                  isa: KernelISA = .detected) {
    let sequenceCount = sequenceOffsets.count - 1
    guard sequenceCount > 0 else { return }
    var longest = 0
    for sequence in 0..<sequenceCount { longest = max(longest, sequenceOffsets[sequence + 1] - sequenceOffsets[sequence]) }
    guard longest > 0 else { return }
    precondition(longest <= positions.reach, "relative rows cover \(positions.reach) tokens, the batch has \(longest)")
    let heads = DisentangledHeads(operands: operands, positions: positions, scale: scale, sequenceOffsets: sequenceOffsets,
                                  scratch: scratch,
                                  scratchPerThread: disentangledScratchPerThread(length: longest, headSize: operands.headSize,
                                                                                 positions: positions),
                                  isa: isa)
    pool.parallelFor(sequenceCount * operands.heads, heads)
}

/// The tasks of `disentangledAttention`: iteration `i` is head `i % heads` of sequence `i / heads`.
private struct DisentangledHeads: ParallelLoopBody {
    let operands: AttentionOperands
    let positions: DisentangledPositions
    let scale: Float
    let sequenceOffsets: [Int]
    let scratch: UnsafeMutablePointer<Float>
    let scratchPerThread: Int
    let isa: KernelISA

    func run(index: Int, thread: Int) {
        let sequence = index / operands.heads, head = index % operands.heads
        let first = sequenceOffsets[sequence], length = sequenceOffsets[sequence + 1] - first
        guard length > 0 else { return }
        let headSize = operands.headSize, stride = operands.inputStride, column = head * headSize
        let q = operands.query + first * stride + column, k = operands.key + first * stride + column
        let v = operands.value + first * stride + column
        let tableRows = positions.rowRange(length: length)
        let rowCount = tableRows.count
        let scores = scratch + thread * scratchPerThread           // [L, L]
        let contentToPosition = scores + length * length           // [L, rows]: Qᵢ·PKᵣ
        let positionToContent = contentToPosition + length * rowCount // [L, rows]: Kⱼ·PQᵣ
        let packing = positionToContent + length * rowCount

        gemmPacked(m: length, n: length, k: headSize, a: q, lda: stride, b: k, ldb: stride, bTransposed: true,
                   c: scores, ldc: length, alpha: scale, scratch: packing, isa: isa)
        let tableOffset = tableRows.lowerBound * positions.tableStride + column
        if let positionKeys = positions.positionKeys {
            gemmPacked(m: length, n: rowCount, k: headSize, a: q, lda: stride, b: positionKeys + tableOffset,
                       ldb: positions.tableStride, bTransposed: true, c: contentToPosition, ldc: rowCount, alpha: 1,
                       scratch: packing, isa: isa)
            for query in 0..<length {
                let scoreRow = scores + query * length, products = contentToPosition + query * rowCount - tableRows.lowerBound
                for key in 0..<length { scoreRow[key] += products[positions.row(query - key)] }
            }
        }
        if let positionQueries = positions.positionQueries {
            gemmPacked(m: length, n: rowCount, k: headSize, a: k, lda: stride, b: positionQueries + tableOffset,
                       ldb: positions.tableStride, bTransposed: true, c: positionToContent, ldc: rowCount, alpha: 1,
                       scratch: packing, isa: isa)
            for query in 0..<length {
                let scoreRow = scores + query * length, products = positionToContent - tableRows.lowerBound
                for key in 0..<length { scoreRow[key] += products[key * rowCount + positions.row(query - key)] }
            }
        }
        softmaxRows(scores, rows: length, width: length, isa: isa)
        gemmPacked(m: length, n: headSize, k: length, a: UnsafePointer(scores), lda: length, b: v, ldb: stride,
                   bTransposed: false, c: operands.output + first * operands.outputStride + column,
                   ldc: operands.outputStride, alpha: 1, scratch: packing, isa: isa)
    }
}

/// Disentangled attention computed in Double from the definition above, one (sequence, head) at a time, for tests.
public func disentangledAttentionReference(_ operands: AttentionOperands, positions: DisentangledPositions, scale: Float,
                                           sequenceOffsets: [Int]) {
    for sequence in 0..<(sequenceOffsets.count - 1) {
        let start = sequenceOffsets[sequence], length = sequenceOffsets[sequence + 1] - start
        for head in 0..<operands.heads {
            let column = head * operands.headSize
            func dot(_ a: UnsafePointer<Float>, _ aRow: Int, _ b: UnsafePointer<Float>, _ bRow: Int, _ bStride: Int) -> Double {
                (0..<operands.headSize).reduce(0.0) {
                    $0 + Double(a[aRow * operands.inputStride + column + $1]) * Double(b[bRow * bStride + column + $1])
                }
            }
            for query in 0..<length {
                var scores = (0..<length).map { key -> Double in
                    let row = positions.row(query - key)
                    var score = Double(scale) * dot(operands.query, start + query, operands.key + start * operands.inputStride,
                                                    key, operands.inputStride)
                    if let keys = positions.positionKeys {
                        score += dot(operands.query, start + query, keys, row, positions.tableStride)
                    }
                    if let queries = positions.positionQueries {
                        score += dot(operands.key, start + key, queries, row, positions.tableStride)
                    }
                    return score
                }
                let maximum = scores.max() ?? 0
                scores = scores.map { Foundation.exp($0 - maximum) }
                let total = scores.reduce(0, +)
                for index in 0..<operands.headSize {
                    let value = scores.indices.reduce(0.0) {
                        $0 + scores[$1] * Double(operands.value[(start + $1) * operands.inputStride + column + index])
                    }
                    operands.output[(start + query) * operands.outputStride + column + index] = Float(value / total)
                }
            }
        }
    }
}
