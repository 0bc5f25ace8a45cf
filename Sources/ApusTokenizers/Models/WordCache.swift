import Foundation

/// Tokens already computed for a word, shared by every thread encoding with one model
/// (tokenizers/src/models/bpe/model.rs keeps the same cache, per thread).
///
/// Bounded as in tokenizers: at most `capacity` words (10 000 by default), each shorter than `maximumWordLength`
/// scalars; once full, nothing is evicted and new words are simply not stored. A lock guards the table —
/// uncontended in one-thread encoding, it costs a few nanoseconds per word.
final class WordCache: @unchecked Sendable {
    /// tokenizers' `DEFAULT_CACHE_CAPACITY`.
    static let defaultCapacity = 10_000
    /// tokenizers' `MAX_LENGTH` (it counts bytes; scalars bound the same short words).
    static let maximumWordLength = 256

    let capacity: Int
    private var entries: [[Unicode.Scalar]: [ModelToken]] = [:]
    private let lock = NSLock()

    init(capacity: Int = WordCache.defaultCapacity) {
        self.capacity = capacity
        entries.reserveCapacity(min(capacity, 1024))
    }

    /// The cached tokens of `word`, if any.
    func tokens(for word: [Unicode.Scalar]) -> [ModelToken]? {
        lock.lock()
        defer { lock.unlock() }
        return entries[word]
    }

    /// Remembers `tokens` for `word` while there is room.
    func store(_ tokens: [ModelToken], for word: [Unicode.Scalar]) {
        guard word.count < Self.maximumWordLength else { return }
        lock.lock()
        defer { lock.unlock() }
        if entries.count < capacity { entries[word] = tokens }
    }
}
