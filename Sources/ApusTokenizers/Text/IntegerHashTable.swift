/// A hash map from `UInt64` keys to small values, open addressing with linear probing: the lookups inside
/// tokenisation loops (trie edges, BPE merge pairs) without Swift `Dictionary`'s per-lookup SipHash.
///
/// `UInt64.max` is reserved (it marks empty slots). Kept at most half full.
struct IntegerHashTable<Value: Sendable>: Sendable {
    private static var emptyKey: UInt64 { .max }
    private var keys: [UInt64]
    private var values: [Value?]
    private var mask: Int
    /// Number of keys stored.
    private(set) var count = 0

    /// An empty table with room for `capacity` keys before it grows.
    init(capacity: Int = 8) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        keys = Array(repeating: Self.emptyKey, count: size)
        values = Array(repeating: nil, count: size)
        mask = size - 1
    }

    @inline(__always)
    private func slot(of key: UInt64) -> Int {
        // Fibonacci hashing: the multiply mixes every bit of the key into the high half, which picks the slot.
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    /// The value stored under `key`.
    @inline(__always)
    subscript(key: UInt64) -> Value? {
        var index = slot(of: key)
        while true {
            let stored = keys[index]
            if stored == key { return values[index] }
            if stored == Self.emptyKey { return nil }
            index = (index + 1) & mask
        }
    }

    /// Stores `value` under `key`, replacing any earlier value.
    mutating func insert(_ value: Value, for key: UInt64) {
        precondition(key != Self.emptyKey, "UInt64.max is reserved")
        if (count + 1) * 2 > keys.count { grow() }
        var index = slot(of: key)
        while keys[index] != Self.emptyKey && keys[index] != key { index = (index + 1) & mask }
        if keys[index] == Self.emptyKey { count += 1 }
        keys[index] = key
        values[index] = value
    }

    private mutating func grow() {
        var larger = IntegerHashTable(capacity: keys.count)
        for (index, key) in keys.enumerated() where key != Self.emptyKey {
            if let value = values[index] { larger.insert(value, for: key) }
        }
        self = larger
    }
}
