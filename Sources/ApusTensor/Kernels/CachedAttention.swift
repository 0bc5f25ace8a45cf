import Foundation

/// Where one decoder layer's attention operands live: new queries in rows of a fused projection, and keys and values
/// of every position so far in a KV cache laid out for the packed-product kernels.
///
/// Cache layout, per key-value head `h` (`headStride` floats apart, starting at `keys` and `values`):
/// - keys are `Kᵀ` packed in panels of `packedPanelWidth` positions, each `[headSize, 32]`: position `j`, feature `f`
///   at `(j / 32) · headSize · 32 + f · 32 + j % 32`;
/// - values are `V` packed by 32 features: position `j`, feature `f` at `(f / 32) · capacity · 32 + j · 32 + f % 32`.
/// So `Q · Kᵀ` and `P · V` run on `multiplyPackedPanels` straight from the cache, with no repacking per step.
public struct CachedAttentionOperands {
    /// Queries of the new tokens: token t, head h at `queries + t · queryStride + h · headSize`.
    public var queries: UnsafePointer<Float>
    public var queryStride: Int
    /// Output: token t, head h at `context + t · contextStride + h · headSize`.
    public var context: UnsafeMutablePointer<Float>
    public var contextStride: Int
    /// New tokens, at positions `first ..< first + tokens`; the cache already holds their keys and values.
    public var tokens: Int, first: Int
    /// Query heads, key-value heads (dividing `heads`: GQA groups) and features per head.
    public var heads: Int, keyValueHeads: Int, headSize: Int
    /// Key-value head 0's keys and values, and the floats between consecutive heads.
    public var keys: UnsafePointer<Float>, values: UnsafePointer<Float>, headStride: Int
    /// Positions the cache has room for (the value panels' height).
    public var capacity: Int
    /// Multiplies Q·Kᵀ.
    public var scale: Float
    /// A query sees itself and the `window − 1` positions before it (transformers' `kv_idx > q_idx − window`),
    /// or every earlier position when nil.
    public var window: Int?
    /// `tanh(scores / cap) · cap` after scaling (Gemma 2's `attn_logit_softcapping`), or nil.
    public var softcap: Float?

    /// Bundles the operands; strides are in floats.
    public init(queries: UnsafePointer<Float>, queryStride: Int, context: UnsafeMutablePointer<Float>, contextStride: Int,
                tokens: Int, first: Int, heads: Int, keyValueHeads: Int, headSize: Int, keys: UnsafePointer<Float>,
                values: UnsafePointer<Float>, headStride: Int, capacity: Int, scale: Float, window: Int?, softcap: Float?) {
        precondition(heads % keyValueHeads == 0, "\(keyValueHeads) key-value heads do not divide \(heads) heads")
        precondition(first + tokens <= capacity, "positions past the cache's capacity")
        self.queries = queries
        self.queryStride = queryStride
        self.context = context
        self.contextStride = contextStride
        self.tokens = tokens
        self.first = first
        self.heads = heads
        self.keyValueHeads = keyValueHeads
        self.headSize = headSize
        self.keys = keys
        self.values = values
        self.headStride = headStride
        self.capacity = capacity
        self.scale = scale
        self.window = window
        self.softcap = softcap
    }

    var groups: Int { heads / keyValueHeads }

    /// Keys visible to the query at `position`.
    @inline(__always)
    func visibleKeys(position: Int) -> Range<Int> {
        (window.map { max(0, position - $0 + 1) } ?? 0)..<(position + 1)
    }

    var tokensPerTask: Int { cachedAttentionTokensPerTask(tokens: tokens, groups: groups) }
}

/// New tokens per task: a task's rows are its tokens × the query heads of one group, about 64 rows so the
/// micro-kernels have rows to work on and a task's scores (`rows × capacity`) stay small.
func cachedAttentionTokensPerTask(tokens: Int, groups: Int) -> Int { min(tokens, max(1, 64 / max(groups, 1))) }

/// Floats of scratch `cachedAttention` needs per call on `threads` threads.
public func cachedAttentionScratchCount(tokens: Int, heads: Int, keyValueHeads: Int, headSize: Int, capacity: Int,
                                        threads: Int) -> Int {
    let groups = heads / max(keyValueHeads, 1)
    let rows = cachedAttentionTokensPerTask(tokens: tokens, groups: groups) * groups
    return threads * rows * (2 * headSize + capacity)
}

/// Causal (optionally windowed, soft-capped) grouped-query attention of new tokens against a KV cache:
/// `softmax(mask(scale · Q·Kᵀ)) · V` per query head, query head h reading key-value head `h / (heads / keyValueHeads)`.
///
/// Task i is key-value head `i % keyValueHeads` for one tile of new tokens: the group's query heads of those tokens
/// are gathered into one `[rows, headSize]` block, multiplied by the packed keys over the positions any row sees,
/// masked and soft-maxed row by row, and multiplied by the packed values; tasks spread over `pool`, each in its own
/// slice of `scratch` (`cachedAttentionScratchCount` floats), so nothing is allocated.
public func cachedAttention(_ operands: CachedAttentionOperands, scratch: UnsafeMutablePointer<Float>, pool: ThreadPool) {
    let perTask = operands.tokensPerTask
    guard perTask > 0 else { return }
    let tiles = (operands.tokens + perTask - 1) / perTask
    let rows = perTask * operands.groups
    pool.parallelFor(operands.keyValueHeads * tiles,
                     CachedAttentionTasks(operands: operands, scratch: scratch,
                                          scratchPerThread: rows * (2 * operands.headSize + operands.capacity)))
}

private struct CachedAttentionTasks: ParallelLoopBody {
    let operands: CachedAttentionOperands
    let scratch: UnsafeMutablePointer<Float>
    let scratchPerThread: Int

    func run(index: Int, thread: Int) {
        let o = operands, headSize = o.headSize, groups = o.groups, capacity = o.capacity, panel = packedPanelWidth
        let keyValueHead = index % o.keyValueHeads, tile = index / o.keyValueHeads
        let firstToken = tile * o.tokensPerTask, tileTokens = min(o.tokensPerTask, o.tokens - firstToken)
        let rows = tileTokens * groups
        let gathered = scratch + thread * scratchPerThread      // [rows, headSize]: row t · groups + g
        let output = gathered + rows * headSize                 // [rows, headSize]
        let scores = output + rows * headSize                   // [rows, capacity], indexed by key position

        for token in 0..<tileTokens {
            let source = o.queries + (firstToken + token) * o.queryStride + keyValueHead * groups * headSize
            (gathered + token * groups * headSize).update(from: source, count: groups * headSize)
        }
        // Keys any row of the tile sees, computed from the start of the first one's panel.
        let lower = o.visibleKeys(position: o.first + firstToken).lowerBound
        let upper = o.first + firstToken + tileTokens
        let panelStart = lower / panel * panel
        let keys = o.keys + keyValueHead * o.headStride, values = o.values + keyValueHead * o.headStride
        multiplyPackedPanels(m: rows, n: upper - panelStart, k: headSize, a: gathered, lda: headSize,
                             packed: keys + panelStart * headSize, c: scores + panelStart, ldc: capacity)
        for row in 0..<rows {
            let visible = o.visibleKeys(position: o.first + firstToken + row / groups)
            let scoreRow = scores + row * capacity
            var scale = o.scale
            if let cap = o.softcap {
                for key in visible { scoreRow[key] = Foundation.tanh(scoreRow[key] * scale / cap) * cap }
                scale = 1
            }
            softmaxRows(scoreRow + visible.lowerBound, rows: 1, width: visible.count, rowStride: visible.count,
                        scale: scale, causalOffset: nil)
            (scoreRow + lower).update(repeating: 0, count: visible.lowerBound - lower)
            (scoreRow + visible.upperBound).update(repeating: 0, count: upper - visible.upperBound)
        }
        var feature = 0
        while feature < headSize {
            let width = min(panel, headSize - feature)
            multiplyPackedPanels(m: rows, n: width, k: upper - lower, a: scores + lower, lda: capacity,
                                 packed: values + feature * capacity + lower * panel, c: output + feature, ldc: headSize)
            feature += width
        }
        for token in 0..<tileTokens {
            let destination = o.context + (firstToken + token) * o.contextStride + keyValueHead * groups * headSize
            destination.update(from: output + token * groups * headSize, count: groups * headSize)
        }
    }
}

/// The same attention in Double from the definition, reading the cache through its layout formula, for tests and
/// readers.
public func cachedAttentionReference(_ operands: CachedAttentionOperands) {
    let o = operands, panel = packedPanelWidth
    func key(_ head: Int, _ position: Int, _ feature: Int) -> Double {
        Double(o.keys[head * o.headStride + position / panel * o.headSize * panel + feature * panel + position % panel])
    }
    func value(_ head: Int, _ position: Int, _ feature: Int) -> Double {
        Double(o.values[head * o.headStride + feature / panel * o.capacity * panel + position * panel + feature % panel])
    }
    for token in 0..<o.tokens {
        let position = o.first + token
        let visible = (0...position).filter { key in o.window.map { position - key < $0 } ?? true }
        for head in 0..<o.heads {
            let keyValueHead = head / o.groups
            let query = o.queries + token * o.queryStride + head * o.headSize
            var scores = visible.map { position in
                let dot = (0..<o.headSize).reduce(0.0) { $0 + Double(query[$1]) * key(keyValueHead, position, $1) }
                var score = dot * Double(o.scale)
                if let cap = o.softcap { score = Foundation.tanh(score / Double(cap)) * Double(cap) }
                return score
            }
            let maximum = scores.max() ?? 0
            scores = scores.map { Foundation.exp($0 - maximum) }
            let total = scores.reduce(0, +)
            for feature in 0..<o.headSize {
                let sum = zip(visible, scores).reduce(0.0) { $0 + $1.1 * value(keyValueHead, $1.0, feature) }
                o.context[token * o.contextStride + head * o.headSize + feature] = Float(sum / total)
            }
        }
    }
}
