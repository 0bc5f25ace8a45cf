import Testing
@testable import ApusTokenizers

/// Longest-prefix lookups by exact scalars.
@Suite struct ScalarTrieTests {
    @Test func longestMatchWins() {
        var trie = ScalarTrie()
        trie.insert("un".unicodeScalars, value: 1)
        trie.insert("unable".unicodeScalars, value: 2)
        trie.insert("una".unicodeScalars, value: 3)
        let word = Array("unables".unicodeScalars)
        #expect(trie.longestMatch(in: word, from: 0)?.end == 6 && trie.longestMatch(in: word, from: 0)?.value == 2)
        #expect(trie.longestMatch(in: Array("unab".unicodeScalars), from: 0)?.value == 3, "falls back to the last key passed")
        #expect(trie.longestMatch(in: word, from: 1) == nil)
        #expect(trie.count == 3)
    }

    @Test func keysAreExactScalars() {
        var trie = ScalarTrie()
        trie.insert("é".unicodeScalars, value: 1)
        trie.insert("e\u{301}".unicodeScalars, value: 2)
        #expect(trie.count == 2)
        #expect(trie.node(after: "e\u{301}".unicodeScalars).flatMap(trie.value(at:)) == 2)
        #expect(trie.node(after: "é".unicodeScalars).flatMap(trie.value(at:)) == 1)
    }

    @Test func insertingAgainReplaces() {
        var trie = ScalarTrie()
        trie.insert("a".unicodeScalars, value: 1)
        trie.insert("a".unicodeScalars, value: 5)
        #expect(trie.count == 1 && trie.longestMatch(in: Array("a".unicodeScalars), from: 0)?.value == 5)
    }

    @Test func matchesContinueFromAGivenNode() {
        var trie = ScalarTrie()
        trie.insert("##ing".unicodeScalars, value: 7)
        let continuation = trie.node(after: "##".unicodeScalars)
        #expect(continuation != nil)
        #expect(trie.longestMatch(in: Array("running".unicodeScalars), from: 4, startingAt: continuation ?? 0)?.value == 7)
        #expect(trie.value(at: continuation ?? 0) == nil, "the prefix alone is not a key")
    }
}
