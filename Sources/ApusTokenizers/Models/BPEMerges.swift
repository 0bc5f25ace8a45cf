/// The merge table of a BPE model: (left id, right id) → (rank, merged id), keyed by the two ids packed into one
/// `UInt64` — the merge loop's innermost lookup.
///
/// A pair listed twice keeps its last rank and result, as the `collect` into a map of
/// tokenizers/src/models/bpe/model.rs (`BpeBuilder::build`) does.
struct BPEMerges: Sendable {
    /// One merge: its rank (position in the file) and the id it produces.
    struct Merge: Equatable, Sendable {
        var rank: Int32
        var result: Int32
    }

    private var table: IntegerHashTable<Merge>

    /// A table with room for `capacity` pairs.
    init(capacity: Int) { table = IntegerHashTable(capacity: capacity) }

    /// Number of distinct pairs stored.
    var count: Int { table.count }

    @inline(__always)
    private static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    /// Stores the merge of `left` and `right`, replacing an earlier one for the same pair.
    mutating func insert(left: Int32, right: Int32, merge: Merge) { table.insert(merge, for: Self.key(left, right)) }

    /// The merge of `left` followed by `right`, if the file lists one.
    @inline(__always)
    func merge(_ left: Int32, _ right: Int32) -> Merge? { table[Self.key(left, right)] }
}

/// One word being merged: a doubly linked list of symbols over a buffer, and a min-heap of candidate merges
/// ordered by rank, then position — tokenizers/src/models/bpe/word.rs (`Word::merge_all`), whose exact
/// behaviour (including which stale heap entries it still applies) this reproduces.
///
/// ```
/// symbols  h e l l o      merges (l,l)=0 (h,e)=1 (he,ll)=2 (hell,o)=3
/// heap     (0, pos 2) (1, pos 0)  → merge "ll" at 2, push (e,ll)? none … → "he" → (he,ll) → "hell" → "hello"
/// ```
///
/// The buffers are the caller's (`withBuffers`): a word is merged without touching the heap allocator.
struct BPEWord {
    /// A symbol: its id, its neighbours (-1 at the ends), and its length in UTF-8 bytes of the word
    /// (0 once merged into its left neighbour).
    struct Symbol {
        var id: Int32
        var previous: Int32
        var next: Int32
        var byteLength: Int32
    }

    /// A heap entry: rank in the high 32 bits and position in the low 32, so one integer comparison orders
    /// by rank, then by position, as `Merge`'s `Ord` does; the merged id travels alongside.
    struct Candidate {
        var order: UInt64
        var result: Int32
        var position: Int { Int(order & 0xFFFF_FFFF) }
    }

    private let storage: UnsafeMutableBufferPointer<Symbol>
    private let heap: UnsafeMutableBufferPointer<Candidate>
    /// Number of symbols appended (merged-away ones included).
    private(set) var count = 0

    /// Runs `body` with a word that can hold `capacity` symbols, on temporary (usually stack) memory.
    static func withBuffers<Result>(capacity: Int, _ body: (inout BPEWord) -> Result) -> Result {
        withUnsafeTemporaryAllocation(of: Symbol.self, capacity: max(capacity, 1)) { symbols in
            // Each merge pushes at most two candidates after the initial `capacity - 1`.
            withUnsafeTemporaryAllocation(of: Candidate.self, capacity: max(3 * capacity, 1)) { heap in
                var word = BPEWord(storage: symbols, heap: heap)
                return body(&word)
            }
        }
    }

    private init(storage: UnsafeMutableBufferPointer<Symbol>, heap: UnsafeMutableBufferPointer<Candidate>) {
        self.storage = storage
        self.heap = heap
    }

    /// The symbols, merged-away ones (byte length 0) included.
    var symbols: UnsafeMutableBufferPointer<Symbol>.SubSequence { storage[0..<count] }

    /// Appends a symbol of `byteLength` bytes.
    mutating func append(id: Int32, byteLength: Int) {
        precondition(count < storage.count, "the word's capacity covers every symbol")
        let index = Int32(count)
        if count > 0 { storage[count - 1].next = index }
        storage.initializeElement(at: count, to: Symbol(id: id, previous: index - 1, next: -1, byteLength: Int32(byteLength)))
        count += 1
    }

    /// Applies every merge the table allows, lowest rank first, leftmost first among equal ranks.
    mutating func mergeAll(_ table: BPEMerges) {
        guard count > 1 else { return }
        let symbols = storage, heap = self.heap
        var heapCount = 0
        func push(_ merge: BPEMerges.Merge, at position: Int) {
            precondition(heapCount < heap.count, "at most 3 × symbols candidates")
            heap[heapCount] = Candidate(order: UInt64(UInt32(bitPattern: merge.rank)) << 32 | UInt64(position), result: merge.result)
            var child = heapCount
            heapCount += 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard heap[child].order < heap[parent].order else { break }
                heap.swapAt(child, parent)
                child = parent
            }
        }
        func pop() -> Candidate? {
            guard heapCount > 0 else { return nil }
            let top = heap[0]
            heapCount -= 1
            heap[0] = heap[heapCount]
            var parent = 0
            while true {
                let left = 2 * parent + 1
                guard left < heapCount else { break }
                let right = left + 1
                let smaller = right < heapCount && heap[right].order < heap[left].order ? right : left
                guard heap[smaller].order < heap[parent].order else { break }
                heap.swapAt(smaller, parent)
                parent = smaller
            }
            return top
        }

        for position in 0..<(count - 1) {
            if let merge = table.merge(symbols[position].id, symbols[position + 1].id) { push(merge, at: position) }
        }
        while let top = pop() {
            let position = top.position
            let current = symbols[position]
            // Merged away, or last in the word: a stale entry.
            if current.byteLength == 0 || current.next == -1 { continue }
            let nextPosition = Int(current.next)
            let right = symbols[nextPosition]
            // Stale unless the pair now there still merges into the same id (word.rs checks only the id).
            guard let merge = table.merge(current.id, right.id), merge.result == top.result else { continue }

            symbols[position].id = top.result
            symbols[position].byteLength += right.byteLength
            symbols[position].next = right.next
            symbols[nextPosition].byteLength = 0
            if right.next >= 0 { symbols[Int(right.next)].previous = Int32(position) }

            let merged = symbols[position]
            if merged.previous >= 0, let merge = table.merge(symbols[Int(merged.previous)].id, merged.id) {
                push(merge, at: Int(merged.previous))
            }
            if merged.next >= 0, let merge = table.merge(merged.id, symbols[Int(merged.next)].id) {
                push(merge, at: position)
            }
        }
    }
}
