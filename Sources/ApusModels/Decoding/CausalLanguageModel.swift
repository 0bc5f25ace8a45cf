import ApusTensor

/// A decoder-only language model: token ids in, next-token logits out, keys and values kept in a `KVCache`.
///
/// ```swift
/// let model = try DecoderRegistry.load(directory: url)
/// let cache = try model.makeCache(maxLength: 128)
/// var logits = try model.prefill(prompt, cache: cache, pool: pool)   // the prompt in one batched pass
/// for _ in 0..<20 {
///     let next = logits.indices.max { logits[$0] < logits[$1] }!
///     logits = try model.decode(next, cache: cache, pool: pool)      // one token, against the cache
/// }
/// ```
public protocol CausalLanguageModel: AnyObject, Sendable {
    /// Entries of a logits vector (`vocab_size`).
    var vocabularySize: Int { get }
    /// Longest sequence the model was built for (`max_position_embeddings`, GPT-2's `n_positions`).
    var maxPositions: Int { get }
    /// An empty cache for one sequence of up to `maxLength` tokens (at most `maxPositions`).
    func makeCache(maxLength: Int) throws -> KVCache
    /// Runs `tokens` at positions `cache.length ..< cache.length + tokens.count` as one batch, appends their keys
    /// and values to `cache`, and writes the logits of the last token to `logits` (`vocabularySize` floats).
    /// Activations come from `cache.arena`: once warm, a call with no more tokens than before allocates nothing.
    func forward(_ tokens: UnsafeBufferPointer<Int>, cache: KVCache, logits: UnsafeMutablePointer<Float>, pool: ThreadPool) throws
}

extension CausalLanguageModel {
    /// Runs the prompt (or a continuation of what `cache` holds) in one batched pass; the logits of its last token.
    public func prefill(_ tokens: [Int], cache: KVCache, pool: ThreadPool) throws -> [Float] {
        var logits = [Float](repeating: 0, count: vocabularySize)
        try logits.withUnsafeMutableBufferPointer { output in
            guard let base = output.baseAddress else { return } // an empty vocabulary is rejected at load
            try tokens.withUnsafeBufferPointer { input in
                try forward(input, cache: cache, logits: base, pool: pool)
            }
        }
        return logits
    }

    /// One decoding step: the logits after `token`.
    public func decode(_ token: Int, cache: KVCache, pool: ThreadPool) throws -> [Float] {
        try prefill([token], cache: cache, pool: pool)
    }

    /// One decoding step writing into caller memory: no allocation once the cache's arena is warm.
    public func decode(_ token: Int, cache: KVCache, logits: UnsafeMutablePointer<Float>, pool: ThreadPool) throws {
        try withUnsafePointer(to: token) { pointer in
            try forward(UnsafeBufferPointer(start: pointer, count: 1), cache: cache, logits: logits, pool: pool)
        }
    }

    /// Greedy decoding (transformers' `generate(do_sample=False)` without stopping criteria): runs `prompt` in a
    /// fresh cache, then appends the arg-max token `count` times; returns the new tokens. Ties go to the lowest id,
    /// as `torch.argmax`.
    public func greedyGenerate(_ prompt: [Int], count: Int, pool: ThreadPool) throws -> [Int] {
        let cache = try makeCache(maxLength: prompt.count + count)
        var logits = try prefill(prompt, cache: cache, pool: pool)
        var generated: [Int] = []
        for step in 0..<count {
            let next = largestIndex(logits)
            generated.append(next)
            if step + 1 < count { logits = try decode(next, cache: cache, pool: pool) }
        }
        return generated
    }
}

/// Index of the largest value, the first on ties (`torch.argmax`); 0 for an empty array. Internal: sampling and its
/// helpers belong to the generation pipeline.
func largestIndex(_ values: [Float]) -> Int {
    var best = 0
    for index in values.indices where values[index] > values[best] { best = index }
    return best
}

/// The activation buffers of one decoder forward pass, taken from the cache's arena and reused by every layer.
struct DecoderWorkspace {
    let hidden: UnsafeMutablePointer<Float>         // [tokens, hidden]: the residual stream
    let normed: UnsafeMutablePointer<Float>         // [tokens, hidden]: a norm's output
    let queryKeyValue: UnsafeMutablePointer<Float>  // [tokens, (heads + 2 · kvHeads) · headSize]
    let context: UnsafeMutablePointer<Float>        // [tokens, heads · headSize]: attention output
    let projected: UnsafeMutablePointer<Float>      // [tokens, hidden]: o_proj / down_proj output
    let expanded: UnsafeMutablePointer<Float>       // [tokens, expandedWidth]: gate | up (or GPT-2's c_fc)
    let activated: UnsafeMutablePointer<Float>      // [tokens, intermediate]: act(gate) · up
    let attentionScratch: UnsafeMutablePointer<Float>
    let linearScratch: UnsafeMutableRawPointer      // bf16 layers' rounded inputs

    init(arena: ActivationArena, tokens: Int, dimensions: DecoderDimensions, attentionScratch: Int) {
        hidden = arena.floats(tokens * dimensions.hiddenSize)
        normed = arena.floats(tokens * dimensions.hiddenSize)
        queryKeyValue = arena.floats(tokens * (dimensions.heads + 2 * dimensions.keyValueHeads) * dimensions.headSize)
        context = arena.floats(tokens * dimensions.heads * dimensions.headSize)
        projected = arena.floats(tokens * dimensions.hiddenSize)
        expanded = arena.floats(tokens * dimensions.expandedWidth)
        activated = arena.floats(tokens * dimensions.intermediateSize)
        self.attentionScratch = arena.floats(attentionScratch)
        linearScratch = UnsafeMutableRawPointer(arena.floats((tokens * dimensions.linearScratchBytesPerRow + 3) / 4))
    }
}

/// The sizes a decoder's workspace and cache are made from.
struct DecoderDimensions: Sendable {
    var hiddenSize: Int, heads: Int, keyValueHeads: Int, headSize: Int, intermediateSize: Int
    /// Width of the feed-forward block's first product (2 · intermediate when gate and up are fused).
    var expandedWidth: Int
    var layerCount: Int, vocabularySize: Int, maxPositions: Int
    /// Scratch bytes per token row of the linear layer with the widest input (bf16 layers round their input into
    /// it; proportional to the rows, 0 for fp32).
    var linearScratchBytesPerRow = 0

    /// The largest `scratchBytes(rows: 1)` of `linears`, computed once at load.
    static func scratchBytesPerRow(_ linears: [Linear]) -> Int {
        linears.map { $0.scratchBytes(rows: 1) }.max() ?? 0
    }
}

/// The checks and bookkeeping every decoder's `forward` shares.
enum DecoderPass {
    /// Throws unless `tokens` is non-empty, every id is in the vocabulary and the cache has room.
    static func validate(_ tokens: UnsafeBufferPointer<Int>, cache: KVCache, dimensions: DecoderDimensions) throws {
        guard !tokens.isEmpty else { throw ModelError.inconsistentBatch(reason: "no tokens to run") }
        for id in tokens where id < 0 || id >= dimensions.vocabularySize {
            throw ModelError.tokenIdOutOfRange(id: id, vocabularySize: dimensions.vocabularySize)
        }
        guard cache.layerCount == dimensions.layerCount, cache.keyValueHeads == dimensions.keyValueHeads,
              cache.headSize == dimensions.headSize else {
            throw ModelError.inconsistentBatch(reason: "the KV cache was made for another model")
        }
        if tokens.count > cache.remaining {
            throw ModelError.sequenceTooLong(length: cache.length + tokens.count, maximum: cache.capacity)
        }
    }

    /// A cache for `maxLength` tokens, which must not exceed the model's positions.
    static func makeCache(maxLength: Int, dimensions: DecoderDimensions) throws -> KVCache {
        guard maxLength > 0 else { throw ModelError.inconsistentBatch(reason: "a KV cache needs room for at least one token") }
        if maxLength > dimensions.maxPositions {
            throw ModelError.sequenceTooLong(length: maxLength, maximum: dimensions.maxPositions)
        }
        return KVCache(layerCount: dimensions.layerCount, keyValueHeads: dimensions.keyValueHeads,
                       headSize: dimensions.headSize, capacity: maxLength)
    }
}
