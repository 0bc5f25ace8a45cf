import Testing
@testable import ApusTokenizers

/// How added tokens are found (the cases whose outcome is subtle are checked against tokenizers in
/// TokenizerVariantsTests; these pin down the rules by hand).
@Suite struct AddedVocabularyTests {
    func encode(_ text: String, _ tokenizer: Tokenizer) -> [String] { tokenizer.encode(text, addSpecialTokens: false).tokens }

    @Test func specialTokensAreNeverSplitAndMatchBeforeNormalisation() throws {
        let tokenizer = try TinyTokenizer.make()
        #expect(encode("a[MASK]b", tokenizer) == ["a", "[MASK]", "b"])
        #expect(encode("A[MASK]b", tokenizer) == ["a", "[MASK]", "b"])
        #expect(encode("a[mask]b", tokenizer) == ["a", "[UNK]", "[UNK]", "[UNK]", "b"], "matched in the raw text only: [mask] is three words")
        let encoding = tokenizer.encode("a [MASK]")
        #expect(encoding.offsets == [0..<0, 0..<1, 2..<8, 0..<0])
        #expect(encoding.specialTokensMask == [1, 0, 0, 1], "special tokens found in the text are not marked special")
    }

    @Test func longestMatchAtTheLeftmostPosition() throws {
        let tokenizer = try TinyTokenizer.make(extraAddedTokens: [TinyTokenizer.added(20, "xy"), TinyTokenizer.added(21, "xyz"), TinyTokenizer.added(22, "yz")])
        #expect(encode("axyzb", tokenizer) == ["a", "xyz", "b"])
        #expect(encode("axyb", tokenizer) == ["a", "xy", "b"])
    }

    @Test func aRejectedSingleWordMatchHidesTheTokensInsideIt() throws {
        let tokenizer = try TinyTokenizer.make(extraAddedTokens: [TinyTokenizer.added(20, "xab", singleWord: true), TinyTokenizer.added(21, "ab")])
        #expect(encode("xab", tokenizer) == ["xab"])
        #expect(encode("cxab", tokenizer) == ["[UNK]"], "xab touches c, and the search resumes after it: ab is not tried")
        #expect(encode("cxabab", tokenizer) == ["[UNK]", "ab"])
    }

    @Test func stripAbsorbsWhitespaceIntoTheToken() throws {
        let tokenizer = try TinyTokenizer.make(extraAddedTokens: [TinyTokenizer.added(20, "<m>", lstrip: true), TinyTokenizer.added(21, "<r>", rstrip: true)])
        let left = tokenizer.encode("a  <m> b", addSpecialTokens: false)
        #expect(left.tokens == ["a", "  <m>", "b"] && left.offsets == [0..<1, 1..<6, 7..<8])
        let right = tokenizer.encode("a <r>  b", addSpecialTokens: false)
        #expect(right.tokens == ["a", "<r>  ", "b"] && right.offsets == [0..<1, 2..<7, 7..<8])
    }

    @Test func normalizedTokensMatchTheirNormalisedFormInNormalisedText() throws {
        let tokenizer = try TinyTokenizer.make(extraAddedTokens: [TinyTokenizer.added(20, "<Tok>", normalized: true)])
        let encoding = tokenizer.encode("a <TOK> b", addSpecialTokens: false)
        #expect(encoding.tokens == ["a", "<tok>", "b"] && encoding.offsets == [0..<1, 2..<7, 8..<9])
        #expect(tokenizer.token(for: 20) == "<tok>" && tokenizer.tokenId(for: "<Tok>") == 20)
        #expect(tokenizer.decode([5, 20]) == "a <tok>")
    }

    @Test func addedTokensOutsideTheVocabularyCount() throws {
        let tokenizer = try TinyTokenizer.make(extraAddedTokens: [TinyTokenizer.added(20, "<new>"), TinyTokenizer.added(11, "hello")])
        #expect(tokenizer.vocabularySize == TinyTokenizer.vocabulary.count + 1)
        #expect(tokenizer.addedTokens.map(\.id) == [0, 1, 2, 3, 4, 20, 11])
    }
}
