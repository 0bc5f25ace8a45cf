import ApusTensor

/// The keys and values of every layer for one sequence, allocated once for `capacity` tokens, plus the activation
/// arena of that sequence's forward passes: after the first decoding step nothing is allocated per token.
///
/// Keys and values are stored in the layout `cachedAttention` reads (see `CachedAttentionOperands`: keys as packed
/// `Kᵀ` panels of 32 positions, values as packed `V` panels of 32 features, per layer and key-value head), so
/// attention multiplies by the cache directly instead of repacking it at every step.
///
/// ```swift
/// let cache = try model.makeCache(maxLength: 256)
/// var logits = try model.prefill(promptIds, cache: cache, pool: pool)
/// logits = try model.decode(nextId, cache: cache, pool: pool)
/// cache.reset() // reuse the memory for another sequence
/// ```
///
/// Not thread-safe: one sequence, one caller at a time.
public final class KVCache {
    /// Layers, key-value heads per layer and features per head.
    public let layerCount: Int, keyValueHeads: Int, headSize: Int
    /// Longest sequence (prompt and generated tokens) the cache holds.
    public let capacity: Int
    /// Tokens stored so far: the position the next token gets.
    public private(set) var length = 0
    /// Scratch memory of this sequence's forward passes.
    public let arena = ActivationArena()

    /// Floats of one (layer, head)'s keys and of its values.
    let keyFloats: Int, valueFloats: Int
    /// Floats from one head's keys to the next head's (`CachedAttentionOperands.headStride`).
    var headStride: Int { keyFloats + valueFloats }
    private let storage: UnsafeMutablePointer<Float>
    private let storageCount: Int

    /// Allocates (zeroed) room for `capacity` tokens of a model with these dimensions.
    public init(layerCount: Int, keyValueHeads: Int, headSize: Int, capacity: Int) {
        precondition(layerCount > 0 && keyValueHeads > 0 && headSize > 0 && capacity > 0, "cache dimensions must be positive")
        self.layerCount = layerCount
        self.keyValueHeads = keyValueHeads
        self.headSize = headSize
        self.capacity = capacity
        let panel = packedPanelWidth
        keyFloats = (capacity + panel - 1) / panel * headSize * panel
        valueFloats = (headSize + panel - 1) / panel * capacity * panel
        storageCount = layerCount * keyValueHeads * (keyFloats + valueFloats)
        storage = UnsafeMutablePointer<Float>.allocate(capacity: storageCount)
        storage.initialize(repeating: 0, count: storageCount)
    }

    deinit {
        storage.deallocate()
    }

    /// Bytes held by keys and values (the arena not included).
    public var bytes: Int { storageCount * MemoryLayout<Float>.stride }

    /// Tokens that still fit.
    public var remaining: Int { capacity - length }

    /// Forgets every stored token; the memory is kept for the next sequence.
    public func reset() { length = 0 }

    /// Drops the tokens after the first `length` (e.g. to re-run from a shared prompt prefix).
    public func truncate(to length: Int) {
        precondition(length >= 0 && length <= self.length, "cannot truncate a cache of \(self.length) tokens to \(length)")
        self.length = length
    }

    /// Marks `count` more tokens as stored, once every layer has written them.
    func advance(by count: Int) {
        precondition(length + count <= capacity, "cache overflow")
        length += count
    }

    /// Packed keys of `head` in `layer`.
    func keys(layer: Int, head: Int) -> UnsafeMutablePointer<Float> {
        storage + (layer * keyValueHeads + head) * (keyFloats + valueFloats)
    }

    /// Packed values of `head` in `layer`.
    func values(layer: Int, head: Int) -> UnsafeMutablePointer<Float> {
        keys(layer: layer, head: head) + keyFloats
    }

    /// Writes the keys and values of `rows` tokens at positions `first..<first + rows` of `layer`: row r's head h
    /// starts at `keys + r · rowStride + h · headSize` (and likewise for values).
    func store(layer: Int, keys: UnsafePointer<Float>, values: UnsafePointer<Float>, rowStride: Int, rows: Int, first: Int) {
        precondition(first + rows <= capacity, "cache overflow")
        let panel = packedPanelWidth
        for head in 0..<keyValueHeads {
            let keyBase = self.keys(layer: layer, head: head), valueBase = self.values(layer: layer, head: head)
            for row in 0..<rows {
                let position = first + row
                let key = keys + row * rowStride + head * headSize, value = values + row * rowStride + head * headSize
                let keyColumn = keyBase + position / panel * headSize * panel + position % panel
                for feature in 0..<headSize { keyColumn[feature * panel] = key[feature] }
                var feature = 0
                while feature < headSize {
                    let count = min(panel, headSize - feature)
                    (valueBase + feature / panel * capacity * panel + position * panel).update(from: value + feature, count: count)
                    feature += count
                }
            }
        }
    }
}
