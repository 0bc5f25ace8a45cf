import ApusTensor

/// Multi-head scaled dot-product attention over a packed batch, each sequence attending only to itself.
///
/// `query`, `key` and `value` are `[totalTokens, heads * headSize]`; the result has the same shape, with
/// each head's context written to its own column block, ready for the output projection. No mask is
/// needed: packed sequences contain no padding. The score matrix of one (sequence, head) at a time is
/// materialised — `[length, length]` floats per task, bounded by the model's maximum positions.
public func packedSelfAttention(query: Tensor, key: Tensor, value: Tensor, heads: Int, sequenceOffsets: [Int],
                                pool: ThreadPool) -> Tensor {
    precondition(query.shape == key.shape && key.shape == value.shape && query.shape.count == 2, "q/k/v shapes differ")
    let width = query.shape[1]
    precondition(width % heads == 0, "width \(width) is not a multiple of \(heads) heads")
    let headSize = width / heads
    let scale = 1 / Float(headSize).squareRoot()
    let context = Tensor(zeros: query.shape)
    let sequenceCount = sequenceOffsets.count - 1
    let longest = (0..<max(sequenceCount, 0)).map { sequenceOffsets[$0 + 1] - sequenceOffsets[$0] }.max() ?? 0
    guard sequenceCount > 0, longest > 0 else { return context }

    let q = query.pointer, k = key.pointer, v = value.pointer
    let out = context.storage.pointer
    // One task per (sequence, head): independent, and plenty of them to keep every thread busy.
    pool.parallelFor(sequenceCount * heads) { task in
        let sequence = task / heads, head = task % heads
        let start = sequenceOffsets[sequence]
        let length = sequenceOffsets[sequence + 1] - start
        if length == 0 { return }
        let column = start * width + head * headSize
        let scratchCount = max(packedScratchCount(n: length, k: headSize), packedScratchCount(n: headSize, k: length))
        withUnsafeTemporaryAllocation(of: Float.self, capacity: length * length + scratchCount) { buffer in
            guard let scoresBase = buffer.baseAddress else { return }
            let scratch = scoresBase + length * length
            // scores[length, length] = scale · Q_h · K_hᵀ
            gemmPacked(m: length, n: length, k: headSize, a: q + column, lda: width, b: k + column, ldb: width,
                       bTransposed: true, c: scoresBase, ldc: length, alpha: scale, scratch: scratch)
            softmaxRows(scoresBase, rows: length, width: length)
            // context_h[length, headSize] = P · V_h
            gemmPacked(m: length, n: headSize, k: length, a: UnsafePointer(scoresBase), lda: length, b: v + column, ldb: width,
                       bTransposed: false, c: out + column, ldc: width, alpha: 1, scratch: scratch)
        }
    }
    return context
}
