/// A prefix tree over Unicode scalars mapping keys to integer values, for longest-match lookups that never
/// build a String: WordPiece's greedy longest-match-first and the added-token search both ask "which key is the
/// longest prefix of the text from here?".
///
/// Keys compare by exact scalars (no canonical equivalence): "é" and "e\u{301}" are different keys, as they are
/// different vocabulary entries in tokenizers.
///
/// ```swift
/// var trie = ScalarTrie()
/// trie.insert("un".unicodeScalars, value: 1)
/// trie.insert("unable".unicodeScalars, value: 2)
/// trie.longestMatch(in: Array("unables".unicodeScalars), from: 0)   // (end: 6, value: 2)
/// ```
struct ScalarTrie: Sendable {
    /// The node every key starts from.
    static let root = 0

    /// (parent node, scalar) packed as `node << 21 | scalar` → child node.
    private var children = IntegerHashTable<Int32>()
    /// The value stored at each node, or -1 when no key ends there.
    private var values: [Int] = [-1]

    /// Number of keys stored.
    private(set) var count = 0

    init() {}

    private static func edge(_ node: Int, _ scalar: Unicode.Scalar) -> UInt64 {
        UInt64(node) << 21 | UInt64(scalar.value)
    }

    /// Stores `value` under `key`, replacing the value of an equal key.
    mutating func insert(_ key: some Sequence<Unicode.Scalar>, value: Int) {
        precondition(value >= 0, "trie values are non-negative")
        var node = Self.root
        for scalar in key {
            if let child = children[Self.edge(node, scalar)] {
                node = Int(child)
            } else {
                let child = values.count
                values.append(-1)
                children.insert(Int32(child), for: Self.edge(node, scalar))
                node = child
            }
        }
        if values[node] < 0 { count += 1 }
        values[node] = value
    }

    /// The node reached from `start` by following `key`, nil when no stored key continues that way.
    func node(after key: some Sequence<Unicode.Scalar>, from start: Int = root) -> Int? {
        var node = start
        for scalar in key {
            guard let child = children[Self.edge(node, scalar)] else { return nil }
            node = Int(child)
        }
        return node
    }

    /// The value of the key that ends exactly at `node`.
    func value(at node: Int) -> Int? {
        values[node] >= 0 ? values[node] : nil
    }

    /// The longest stored key (continuing from node `start`) that `scalars[position...]` begins with, as the
    /// index just past it and its value; nil when none does (the empty key never matches).
    func longestMatch<Scalars: RandomAccessCollection<Unicode.Scalar>>(
        in scalars: Scalars, from position: Scalars.Index, startingAt start: Int = root
    ) -> (end: Scalars.Index, value: Int)? {
        var node = start
        var best: (end: Scalars.Index, value: Int)?
        var index = position
        while index < scalars.endIndex, let child = children[Self.edge(node, scalars[index])] {
            node = Int(child)
            index = scalars.index(after: index)
            if values[node] >= 0 { best = (index, values[node]) }
        }
        return best
    }
}
