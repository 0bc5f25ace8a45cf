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

/// One word being merged: a doubly linked list of symbols over an array, and a min-heap of candidate merges
/// ordered by rank, then position — tokenizers/src/models/bpe/word.rs (`Word::merge_all`), whose exact
/// behaviour (including which stale heap entries it still applies) this reproduces.
///
/// ```
/// symbols  h e l l o      merges (l,l)=0 (h,e)=1 (he,ll)=2 …
/// heap     (0, pos 2) (1, pos 0)  → merge "ll", push (he? no: e,ll) … until the heap is empty
/// ```
struct BPEWord {
    /// A symbol: its id, its neighbours (-1 at the ends), and its length in UTF-8 bytes of the word
    /// (0 once merged into its left neighbour).
    struct Symbol {
        var id: Int32
        var previous: Int32
        var next: Int32
        var byteLength: Int32
    }

    private(set) var symbols: [Symbol] = []

    init(capacity: Int) { symbols.reserveCapacity(capacity) }

    /// Appends a symbol of `byteLength` bytes.
    mutating func append(id: Int32, byteLength: Int) {
        let index = Int32(symbols.count)
        if !symbols.isEmpty { symbols[symbols.count - 1].next = index }
        symbols.append(Symbol(id: id, previous: index - 1, next: -1, byteLength: Int32(byteLength)))
    }

    /// A heap entry: rank in the high 32 bits and position in the low 32, so one integer comparison orders
    /// by rank, then by position, as `Merge`'s `Ord` does; the merged id travels alongside.
    private struct Candidate {
        var order: UInt64
        var result: Int32
        var position: Int { Int(order & 0xFFFF_FFFF) }
    }

    /// Applies every merge the table allows, lowest rank first, leftmost first among equal ranks.
    mutating func mergeAll(_ table: BPEMerges) {
        guard symbols.count > 1 else { return }
        var heap: [Candidate] = []
        heap.reserveCapacity(symbols.count)
        func push(_ candidate: Candidate) {
            heap.append(candidate)
            var child = heap.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard heap[child].order < heap[parent].order else { break }
                heap.swapAt(child, parent)
                child = parent
            }
        }
        func pop() -> Candidate? {
            guard let last = heap.popLast() else { return nil }
            guard !heap.isEmpty else { return last }
            let top = heap[0]
            heap[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                guard left < heap.count else { break }
                let right = left + 1
                let smaller = right < heap.count && heap[right].order < heap[left].order ? right : left
                guard heap[smaller].order < heap[parent].order else { break }
                heap.swapAt(smaller, parent)
                parent = smaller
            }
            return top
        }
        func candidate(_ merge: BPEMerges.Merge, at position: Int) -> Candidate {
            Candidate(order: UInt64(UInt32(bitPattern: merge.rank)) << 32 | UInt64(position), result: merge.result)
        }

        for position in 0..<(symbols.count - 1) {
            if let merge = table.merge(symbols[position].id, symbols[position + 1].id) {
                push(candidate(merge, at: position))
            }
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
                push(candidate(merge, at: Int(merged.previous)))
            }
            if merged.next >= 0, let merge = table.merge(merged.id, symbols[Int(merged.next)].id) {
                push(candidate(merge, at: position))
            }
        }
    }
}
