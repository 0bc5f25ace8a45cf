import CApusKernels
import Foundation

/// Where one packed batch's attention operands live. Row `t` (a token of the packed batch) of head `h` of the
/// queries starts at `query + t * inputStride + h * headSize`, and likewise for keys and values, so Q, K and V
/// can be column blocks of one fused `[tokens, 3 · width]` projection.
public struct AttentionOperands {
    /// Queries, keys and values.
    public var query, key, value: UnsafePointer<Float>
    /// Floats between consecutive rows of `query`, `key` and `value`.
    public var inputStride: Int
    /// Context output: row `t`, head `h` is written at `output + t * outputStride + h * headSize`.
    public var output: UnsafeMutablePointer<Float>
    /// Floats between consecutive output rows.
    public var outputStride: Int
    /// Number of heads and the width of each.
    public var heads: Int, headSize: Int
    /// A bias added to every scaled score by relative position (MPNet), or nil.
    public var relativeBias: RelativePositionBias?

    /// Bundles the operands; strides are in floats.
    public init(query: UnsafePointer<Float>, key: UnsafePointer<Float>, value: UnsafePointer<Float>, inputStride: Int,
                output: UnsafeMutablePointer<Float>, outputStride: Int, heads: Int, headSize: Int,
                relativeBias: RelativePositionBias? = nil) {
        self.query = query
        self.key = key
        self.value = value
        self.inputStride = inputStride
        self.output = output
        self.outputStride = outputStride
        self.heads = heads
        self.headSize = headSize
        self.relativeBias = relativeBias
    }
}

/// An additive attention bias that depends only on the head and the distance key − query (MPNet's bucketed
/// relative positions): `table[h · (2·span − 1) + (j − i + span − 1)]` for |j − i| < `span`.
public struct RelativePositionBias {
    /// `heads × (2·span − 1)` floats.
    public var table: UnsafePointer<Float>
    /// One more than the largest distance covered: at least the longest sequence of the batch.
    public var span: Int

    /// A bias over `table`.
    public init(table: UnsafePointer<Float>, span: Int) {
        self.table = table
        self.span = span
    }

    /// The bias of head `head` for query `row`, indexed by key position: entry `j` is the bias for key `j`.
    @inline(__always)
    func row(head: Int, query: Int) -> UnsafePointer<Float> {
        table + head * (2 * span - 1) + (span - 1) - query
    }
}

/// Which keys each query of a sequence may see: all of them, those up to itself (`causal`), and/or those within
/// `window` positions on either side (bidirectional sliding window: ModernBERT's local layers, |i − j| ≤ window).
public struct AttentionMask: Sendable, Equatable {
    /// Each token sees only itself and earlier tokens.
    public var causal: Bool
    /// Largest distance |query − key| that is visible, or nil for no limit.
    public var window: Int?

    /// No mask: every token sees its whole sequence.
    public static let none = AttentionMask(causal: false, window: nil)
    /// Decoder masking.
    public static let causal = AttentionMask(causal: true, window: nil)

    /// A mask from its two rules.
    public init(causal: Bool, window: Int?) {
        precondition(window.map { $0 >= 0 } ?? true, "a sliding window cannot be negative")
        self.causal = causal
        self.window = window
    }

    /// Keys visible to query `row` of a sequence of `length` tokens.
    @inline(__always)
    public func visibleKeys(row: Int, length: Int) -> Range<Int> {
        let lower = window.map { max(0, row - $0) } ?? 0
        var upper = causal ? row + 1 : length
        if let window { upper = min(upper, row + window + 1) }
        return lower..<min(upper, length)
    }

    /// True when the mask hides nothing from a sequence of `length` tokens.
    func isEmpty(length: Int) -> Bool { !causal && (window.map { $0 >= length - 1 } ?? true) }
}

/// Sequences up to this length materialise their whole `[length, length]` score matrix (at most 1 MiB per thread);
/// longer ones run in tiles with an online softmax, so memory grows linearly with length. 512 covers every BERT-
/// style model in one product and the C softmax. Measured with `apus bench packing` (31 × 16 + 1 × 512 tokens,
/// MiniLM): 72 ms with the 512-token sequence on this path, 74 ms tiled (112 ms tiled before the row steps moved
/// to C), so the limit mostly bounds scratch memory.
public let attentionFullScoresLimit = 512
/// Query rows and key columns per tile of the tiled path (a 64 × 128 tile of scores is 32 KiB, L1-sized).
let attentionQueryTile = 64
let attentionKeyTile = 128

/// Scaled dot-product attention `softmax(Q·Kᵀ/√d)·V` for every (sequence, head) of a packed batch; each
/// sequence attends only to itself (no padding, so no padding mask), and within it `mask` limits each token
/// to earlier tokens (causal) and/or a sliding window. `sequenceOffsets` holds each sequence's first row plus the total row count.
///
/// One task per (sequence, head) spread over `pool`; each thread works in its own slice of `scratch`, which
/// must hold `attentionScratchCount(longestSequence:headSize:threads:)` floats, so nothing is allocated. Short
/// sequences (≤ `attentionFullScoresLimit`) compute the score matrix in one product; longer ones stream key
/// tiles through an online softmax (flash-attention style).
public func packedAttention(_ operands: AttentionOperands, sequenceOffsets: [Int], mask: AttentionMask = .none,
                            scratch: UnsafeMutablePointer<Float>, pool: ThreadPool, isa: KernelISA = .detected) {
    let sequenceCount = sequenceOffsets.count - 1
    guard sequenceCount > 0 else { return }
    var longest = 0
    for sequence in 0..<sequenceCount { longest = max(longest, sequenceOffsets[sequence + 1] - sequenceOffsets[sequence]) }
    guard longest > 0 else { return }
    let heads = AttentionHeads(operands: operands, sequenceOffsets: sequenceOffsets, mask: mask, scratch: scratch,
                               scratchPerThread: attentionScratchCount(length: longest, headSize: operands.headSize), isa: isa)
    pool.parallelFor(sequenceCount * operands.heads, heads)
}

/// The tasks of `packedAttention`: iteration `i` is head `i % heads` of sequence `i / heads`.
private struct AttentionHeads: ParallelLoopBody {
    let operands: AttentionOperands
    let sequenceOffsets: [Int]
    let mask: AttentionMask
    let scratch: UnsafeMutablePointer<Float>
    let scratchPerThread: Int
    let isa: KernelISA

    func run(index: Int, thread: Int) {
        let sequence = index / operands.heads, headIndex = index % operands.heads
        let start = sequenceOffsets[sequence]
        let length = sequenceOffsets[sequence + 1] - start
        guard length > 0 else { return }
        let head = AttentionHead(operands, firstRow: start, head: headIndex, length: length, mask: mask, isa: isa)
        if length <= attentionFullScoresLimit {
            head.runWithFullScores(scratch: scratch + thread * scratchPerThread)
        } else {
            head.runTiled(scratch: scratch + thread * scratchPerThread)
        }
    }
}

/// Floats of scratch `packedAttention` needs for sequences of up to `longestSequence` tokens on `threads` threads.
public func attentionScratchCount(longestSequence: Int, headSize: Int, threads: Int) -> Int {
    attentionScratchCount(length: longestSequence, headSize: headSize) * threads
}

/// Floats of scratch one thread needs for sequences of up to `length` tokens: enough for the whole-score path of
/// the shorter sequences of a batch and for the tiled path of the longest.
func attentionScratchCount(length: Int, headSize: Int) -> Int {
    let short = min(length, attentionFullScoresLimit)
    let fullScores = short * short + max(packedScratchCount(n: short, k: headSize), packedScratchCount(n: headSize, k: short))
    guard length > attentionFullScoresLimit else { return fullScores }
    let keyTiles = (length + attentionKeyTile - 1) / attentionKeyTile
    let tiled = packedScratchCount(n: length, k: headSize)                  // all keys, packed
        + keyTiles * packedScratchCount(n: headSize, k: attentionKeyTile)   // values, packed per key tile
        + attentionQueryTile * attentionKeyTile                             // one score tile
        + 2 * attentionQueryTile * headSize                                 // context accumulator, P·V of a tile
        + 2 * attentionQueryTile                                            // running maximum and sum per row
    return max(fullScores, tiled)
}

/// One (sequence, head) of `packedAttention`.
private struct AttentionHead {
    let q, k, v: UnsafePointer<Float>
    let out: UnsafeMutablePointer<Float>
    let inputStride, outputStride, headSize, length: Int
    let mask: AttentionMask
    let scale: Float
    let isa: KernelISA
    let relativeBias: RelativePositionBias?
    let headIndex: Int

    init(_ operands: AttentionOperands, firstRow: Int, head: Int, length: Int, mask: AttentionMask, isa: KernelISA) {
        let column = head * operands.headSize
        q = operands.query + firstRow * operands.inputStride + column
        k = operands.key + firstRow * operands.inputStride + column
        v = operands.value + firstRow * operands.inputStride + column
        out = operands.output + firstRow * operands.outputStride + column
        inputStride = operands.inputStride
        outputStride = operands.outputStride
        headSize = operands.headSize
        self.length = length
        self.mask = mask
        relativeBias = operands.relativeBias
        headIndex = head
        precondition(operands.relativeBias.map { $0.span >= length } ?? true, "relative bias table shorter than the sequence")
        scale = 1 / Float(operands.headSize).squareRoot()
        self.isa = isa
    }

    /// scores = scale·Q·Kᵀ, row softmax, context = P·V.
    func runWithFullScores(scratch: UnsafeMutablePointer<Float>) {
        let scores = scratch, packing = scratch + length * length
        gemmPacked(m: length, n: length, k: headSize, a: q, lda: inputStride, b: k, ldb: inputStride, bTransposed: true,
                   c: scores, ldc: length, alpha: scale, scratch: packing, isa: isa)
        if let relativeBias {
            for row in 0..<length {
                let bias = relativeBias.row(head: headIndex, query: row), scoreRow = scores + row * length
                for key in 0..<length { scoreRow[key] += bias[key] }
            }
        }
        if !mask.isEmpty(length: length) {
            for row in 0..<length {
                let visible = mask.visibleKeys(row: row, length: length), scoreRow = scores + row * length
                scoreRow.update(repeating: -.infinity, count: visible.lowerBound)
                (scoreRow + visible.upperBound).update(repeating: -.infinity, count: length - visible.upperBound)
            }
        }
        softmaxRows(scores, rows: length, width: length)
        gemmPacked(m: length, n: headSize, k: length, a: UnsafePointer(scores), lda: length, b: v, ldb: inputStride,
                   bTransposed: false, c: out, ldc: outputStride, alpha: 1, scratch: packing, isa: isa)
    }

    /// Flash-attention order: for each tile of query rows, stream the key tiles, keeping per row the running
    /// maximum m and sum l of exp(score − m), and rescaling the context accumulator whenever m grows.
    func runTiled(scratch: UnsafeMutablePointer<Float>) {
        let keyTiles = (length + attentionKeyTile - 1) / attentionKeyTile
        let packedKeys = scratch
        let valueTileStride = packedScratchCount(n: headSize, k: attentionKeyTile)
        let packedValues = packedKeys + packedScratchCount(n: length, k: headSize)
        let scores = packedValues + keyTiles * valueTileStride
        let context = scores + attentionQueryTile * attentionKeyTile
        let tileProduct = context + attentionQueryTile * headSize
        let runningMax = tileProduct + attentionQueryTile * headSize
        let runningSum = runningMax + attentionQueryTile

        // Pack K (scaled) once for all query tiles, and V tile by tile (each key tile is one product's k range).
        packOperand(k, ldb: inputStride, n: length, k: headSize, bTransposed: true, into: packedKeys, scale: scale)
        for tile in 0..<keyTiles {
            let first = tile * attentionKeyTile, count = min(attentionKeyTile, length - first)
            packOperand(v + first * inputStride, ldb: inputStride, n: headSize, k: count, bTransposed: false,
                        into: packedValues + tile * valueTileStride, scale: 1)
        }
        // Key tiles are whole 32-column panels of the packed keys, so a tile's panels start at this offset.
        let keyTilePanelFloats = attentionKeyTile * headSize

        var queryStart = 0
        while queryStart < length {
            let rows = min(attentionQueryTile, length - queryStart)
            runningMax.update(repeating: -.infinity, count: rows)
            runningSum.update(repeating: 0, count: rows)
            context.update(repeating: 0, count: rows * headSize)
            // Key tiles wholly outside every row's visible range (past the diagonal, outside the window) are skipped.
            let keyBegin = mask.visibleKeys(row: queryStart, length: length).lowerBound
            let keyEnd = mask.visibleKeys(row: queryStart + rows - 1, length: length).upperBound
            let tiles = (keyBegin / attentionKeyTile)..<((keyEnd + attentionKeyTile - 1) / attentionKeyTile)
            let masked = !mask.isEmpty(length: length)
            for tile in tiles {
                let keyStart = tile * attentionKeyTile, keys = min(attentionKeyTile, length - keyStart)
                multiplyPacked(m: rows, n: keys, k: headSize, a: q + queryStart * inputStride, lda: inputStride,
                               packed: packedKeys + tile * keyTilePanelFloats, c: scores, ldc: attentionKeyTile)
                for row in 0..<rows {
                    let scoreRow = scores + row * attentionKeyTile
                    if let relativeBias {
                        let bias = relativeBias.row(head: headIndex, query: queryStart + row) + keyStart
                        for key in 0..<keys { scoreRow[key] += bias[key] }
                    }
                    if masked {
                        let visible = mask.visibleKeys(row: queryStart + row, length: length)
                        let lower = min(max(visible.lowerBound - keyStart, 0), keys)
                        let upper = min(max(visible.upperBound - keyStart, lower), keys)
                        scoreRow.update(repeating: -.infinity, count: lower)
                        (scoreRow + upper).update(repeating: -.infinity, count: keys - upper)
                    }
                    let correction = onlineSoftmaxStep(scoreRow, count: keys, maximum: runningMax + row, sum: runningSum + row, isa: isa)
                    if correction != 1 {
                        let contextRow = context + row * headSize
                        for column in 0..<headSize { contextRow[column] *= correction }
                    }
                }
                multiplyPacked(m: rows, n: headSize, k: keys, a: UnsafePointer(scores), lda: attentionKeyTile,
                               packed: packedValues + tile * valueTileStride, c: tileProduct, ldc: headSize)
                for index in 0..<(rows * headSize) { context[index] += tileProduct[index] }
            }
            for row in 0..<rows {
                let sum = runningSum[row]
                let inverse: Float = sum > 0 ? 1 / sum : 0
                let source = context + row * headSize, destination = out + (queryStart + row) * outputStride
                for column in 0..<headSize { destination[column] = source[column] * inverse }
            }
            queryStart += rows
        }
    }

    private func packOperand(_ b: UnsafePointer<Float>, ldb: Int, n: Int, k: Int, bTransposed: Bool,
                             into packed: UnsafeMutablePointer<Float>, scale: Float) {
        packPanels(b, ldb: ldb, n: n, k: k, bTransposed: bTransposed, into: packed)
        if scale != 1 {
            for index in 0..<packedScratchCount(n: n, k: k) { packed[index] *= scale }
        }
    }

    private func multiplyPacked(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, packed: UnsafePointer<Float>,
                                c: UnsafeMutablePointer<Float>, ldc: Int) {
        multiplyPackedPanels(m: m, n: n, k: k, a: a, lda: lda, packed: packed, c: c, ldc: ldc, isa: isa)
    }
}

/// One key tile of the online softmax for one query row: raises the running `maximum` to cover `scores`,
/// replaces the scores by exp(score − maximum), adds them to the running `sum` (rescaled to the new maximum),
/// and returns the factor exp(old − new maximum) by which earlier context must be rescaled (C kernel: these row
/// loops are reductions Swift leaves scalar).
@inline(__always)
func onlineSoftmaxStep(_ scores: UnsafeMutablePointer<Float>, count: Int, maximum: UnsafeMutablePointer<Float>,
                       sum: UnsafeMutablePointer<Float>, isa: KernelISA) -> Float {
    apus_online_softmax_step(isa.cValue, scores, Int32(count), maximum, sum)
}

/// Attention computed in Double from the definition, one (sequence, head) at a time, for tests.
public func packedAttentionReference(_ operands: AttentionOperands, sequenceOffsets: [Int], mask: AttentionMask = .none) {
    let scale = 1 / Double(operands.headSize).squareRoot()
    for sequence in 0..<(sequenceOffsets.count - 1) {
        let start = sequenceOffsets[sequence], length = sequenceOffsets[sequence + 1] - start
        for head in 0..<operands.heads {
            let column = head * operands.headSize
            func element(_ base: UnsafePointer<Float>, _ row: Int, _ index: Int) -> Double {
                Double(base[(start + row) * operands.inputStride + column + index])
            }
            for row in 0..<length {
                // The mask's definition, written out independently of `visibleKeys`.
                let visible = (0..<length).filter { key in
                    (!mask.causal || key <= row) && (mask.window.map { abs(row - key) <= $0 } ?? true)
                }
                var scores = visible.map { key in
                    (0..<operands.headSize).reduce(0.0) { $0 + element(operands.query, row, $1) * element(operands.key, key, $1) } * scale
                        + Double(operands.relativeBias.map { $0.table[head * (2 * $0.span - 1) + key - row + $0.span - 1] } ?? 0)
                }
                let maximum = scores.max() ?? 0
                scores = scores.map { Foundation.exp($0 - maximum) }
                let total = scores.reduce(0, +)
                for index in 0..<operands.headSize {
                    let value = zip(visible, scores).reduce(0.0) { $0 + $1.1 * element(operands.value, $1.0, index) }
                    operands.output[(start + row) * operands.outputStride + column + index] = Float(value / total)
                }
            }
        }
    }
}
