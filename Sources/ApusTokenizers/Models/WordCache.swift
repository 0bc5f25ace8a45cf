import Foundation

/// Tokens already computed for a word, shared by every thread encoding with one model
/// (tokenizers/src/models/bpe/model.rs keeps the same cache, per thread).
///
/// Bounded as in tokenizers: at most `capacity` words (10 000 by default), each shorter than `maximumWordLength`
/// scalars; once full, nothing is evicted and new words are simply not stored. A lock guards the table —
/// uncontended in one-thread encoding, it costs a few nanoseconds per word.
///
/// Words are found by a 64-bit multiplicative hash of their scalars in an `IntegerHashTable` (Swift's
/// `Dictionary` of `[Unicode.Scalar]` keys spent more time in SipHash than the merges took); the stored word is
/// compared in full, and a second word with the same hash is simply not cached.
final class WordCache: @unchecked Sendable {
    /// tokenizers' `DEFAULT_CACHE_CAPACITY`.
    static let defaultCapacity = 10_000
    /// tokenizers' `MAX_LENGTH` (it counts bytes; scalars bound the same short words).
    static let maximumWordLength = 256

    let capacity: Int
    private var slots: IntegerHashTable<Int32>
    private var words: [[Unicode.Scalar]] = []
    private var tokens: [[ModelToken]] = []
    private let lock = NSLock()

    init(capacity: Int = WordCache.defaultCapacity) {
        self.capacity = capacity
        slots = IntegerHashTable(capacity: capacity)
    }

    @inline(__always)
    private static func hash(_ word: [Unicode.Scalar]) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325 &+ UInt64(word.count)
        for scalar in word { hash = (hash ^ UInt64(scalar.value)) &* 0x0000_0100_0000_01B3 }
        hash ^= hash >> 29
        return hash == .max ? 0 : hash // UInt64.max marks empty slots
    }

    /// Whether two words hold the same scalars, compared as memory (`==` on arrays goes element by element).
    @inline(__always)
    private static func equal(_ first: [Unicode.Scalar], _ second: [Unicode.Scalar]) -> Bool {
        guard first.count == second.count else { return false }
        return first.withUnsafeBytes { a in
            second.withUnsafeBytes { b in
                guard let left = a.baseAddress, let right = b.baseAddress else { return a.count == b.count }
                return memcmp(left, right, a.count) == 0
            }
        }
    }

    /// The cached tokens of `word`, if any.
    func tokens(for word: [Unicode.Scalar]) -> [ModelToken]? {
        let key = Self.hash(word)
        lock.lock()
        defer { lock.unlock() }
        guard let index = slots[key], Self.equal(words[Int(index)], word) else { return nil }
        return tokens[Int(index)]
    }

    /// Remembers `tokens` for `word` while there is room.
    func store(_ tokens: [ModelToken], for word: [Unicode.Scalar]) {
        guard word.count < Self.maximumWordLength else { return }
        let key = Self.hash(word)
        lock.lock()
        defer { lock.unlock() }
        guard words.count < capacity, slots[key] == nil else { return }
        slots.insert(Int32(words.count), for: key)
        words.append(word)
        self.tokens.append(tokens)
    }
}
