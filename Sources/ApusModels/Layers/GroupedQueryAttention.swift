// Causal self-attention of decoder-only models over a KV cache, with grouped key-value heads (GQA: `heads /
// keyValueHeads` query heads share one key-value head, transformers' `repeat_kv`), optional per-head query/key
// RMSNorm (Qwen3, Gemma 3), RoPE, a sliding window (Mistral, Gemma 3's local layers) and score soft-capping
// (Gemma 2). The attention itself is ApusTensor's `cachedAttention`; transformers' eager path is the reference:
//   scores = (Q·Kᵀ) · scale  [→ tanh(scores / cap) · cap]  + causal/window mask,  softmax,  · V
import ApusTensor

/// cos and sin of one RoPE variant for the positions of the current forward pass (`[tokens, pairs]` each).
struct RotaryAngles {
    let frequencies: RotaryFrequencies
    let cosines: UnsafeMutablePointer<Float>
    let sines: UnsafeMutablePointer<Float>

    /// Takes the buffers from `arena` and fills them for positions `first..<first + tokens`.
    init(_ frequencies: RotaryFrequencies, first: Int, tokens: Int, arena: ActivationArena) {
        self.frequencies = frequencies
        cosines = arena.floats(tokens * frequencies.pairs)
        sines = arena.floats(tokens * frequencies.pairs)
        frequencies.angles(first: first, count: tokens, cosines: cosines, sines: sines)
    }

    func apply(to x: UnsafeMutablePointer<Float>, rows: Int, rowStride: Int, heads: Int, headSize: Int) {
        frequencies.apply(to: x, rows: rows, rowStride: rowStride, heads: heads, headSize: headSize,
                          cosines: cosines, sines: sines)
    }
}

/// Projections, norms and masking of one decoder layer's self-attention; the keys and values live in a `KVCache`.
struct GroupedQueryAttention: Sendable {
    /// `q_proj`, `k_proj` and `v_proj` fused: each row of its output is `[queries | keys | values]`.
    let queryKeyValue: Linear
    /// `o_proj` (GPT-2: `c_proj`).
    let output: Linear
    let heads: Int, keyValueHeads: Int, headSize: Int
    /// Per-head RMSNorm of queries and keys before RoPE (Qwen3 `q_norm`/`k_norm`, Gemma 3), or nil.
    let queryNorm: RMSNorm?, keyNorm: RMSNorm?
    /// Multiplies Q·Kᵀ: `head_dim^-0.5`, Gemma's `query_pre_attn_scalar^-0.5`, GPT-2's `/ (layer + 1)`.
    let scale: Float
    /// `sliding_window`: each query sees itself and the `window − 1` tokens before it (transformers'
    /// `kv_idx > q_idx − sliding_window`); nil for full causal attention.
    let window: Int?
    /// `attn_logit_softcapping`, or nil.
    let softcap: Float?

    var queryWidth: Int { heads * headSize }
    var keyValueWidth: Int { keyValueHeads * headSize }

    /// Floats of attention scratch one forward pass of `tokens` tokens needs on `threads` threads.
    func scratchCount(tokens: Int, capacity: Int, threads: Int) -> Int {
        cachedAttentionScratchCount(tokens: tokens, heads: heads, keyValueHeads: keyValueHeads, headSize: headSize,
                                    capacity: capacity, threads: threads)
    }

    /// Self-attention of `tokens` rows of `input` (`[tokens, hidden]`, already normalised) at positions
    /// `cache.length ..< cache.length + tokens`; stores their keys and values in `layer` of `cache` and writes the
    /// output projection to `projected` (`[tokens, hidden]`).
    func forward(_ input: UnsafePointer<Float>, tokens: Int, layer: Int, cache: KVCache, rotary: RotaryAngles?,
                 workspace: DecoderWorkspace, pool: ThreadPool) {
        let qkv = workspace.queryKeyValue, stride = queryWidth + 2 * keyValueWidth
        queryKeyValue.forward(input, rows: tokens, into: qkv, pool: pool, scratch: workspace.linearScratch)
        // [tokens, heads · headSize | keyValueHeads · headSize | keyValueHeads · headSize]
        let keys = qkv + queryWidth, values = qkv + queryWidth + keyValueWidth
        queryNorm?.forwardHeads(qkv, rows: tokens, rowStride: stride, heads: heads)
        keyNorm?.forwardHeads(keys, rows: tokens, rowStride: stride, heads: keyValueHeads)
        if let rotary {
            rotary.apply(to: qkv, rows: tokens, rowStride: stride, heads: heads, headSize: headSize)
            rotary.apply(to: keys, rows: tokens, rowStride: stride, heads: keyValueHeads, headSize: headSize)
        }
        let first = cache.length
        cache.store(layer: layer, keys: keys, values: values, rowStride: stride, rows: tokens, first: first)
        let operands = CachedAttentionOperands(
            queries: qkv, queryStride: stride, context: workspace.context, contextStride: queryWidth, tokens: tokens,
            first: first, heads: heads, keyValueHeads: keyValueHeads, headSize: headSize,
            keys: cache.keys(layer: layer, head: 0), values: cache.values(layer: layer, head: 0), headStride: cache.headStride,
            capacity: cache.capacity, scale: scale, window: window, softcap: softcap)
        cachedAttention(operands, scratch: workspace.attentionScratch, pool: pool)
        output.forward(workspace.context, rows: tokens, into: workspace.projected, pool: pool, scratch: workspace.linearScratch)
    }
}

