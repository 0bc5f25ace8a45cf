import Testing
@testable import ApusTokenizers

/// The Unigram model: best-scoring segmentation, unknown fusing, byte fallback, vocabulary checks.
@Suite struct UnigramTests {
    @Test func viterbiPicksTheBestTotalScore() throws {
        let tokenizer = try TinyUnigram.make()
        // "▁ab" (−2) beats "▁a" + "b" (−4.5) and "▁" + "ab" (−4.5); "▁ab" + "c" (−5.5) beats "▁" + "abc" (−6).
        #expect(tokenizer.encode("ab abc", addSpecialTokens: false).tokens == ["▁ab", "▁ab", "c"])
        #expect(tokenizer.encode("ab abc", addSpecialTokens: false).offsets == [0..<2, 2..<5, 5..<6])
        // Without the leading "▁": "abc" (−4) beats "ab" + "c" (−6.5) and "a" + "b" + "c" (−9.5).
        let bare = try TinyUnigram.make(preTokenizer: #"{"type": "WhitespaceSplit"}"#)
        #expect(bare.encode("abc", addSpecialTokens: false).tokens == ["abc"])
    }

    @Test func unknownScalarsFuseIntoOneTokenCarryingTheirText() throws {
        let tokenizer = try TinyUnigram.make()
        let encoding = tokenizer.encode("axyb", addSpecialTokens: false)
        #expect(encoding.tokens == ["▁a", "xy", "b"])
        #expect(encoding.ids == [5, 0, 7])
        #expect(encoding.offsets == [0..<1, 1..<3, 3..<4])
    }

    @Test func byteFallbackSplitsUnknownsIntoByteTokensWhenAllExist() throws {
        let tokenizer = try TinyUnigram.make(byteFallback: true)
        // "é" is C3 A9, both in the vocabulary: two byte tokens with the whole piece's offsets.
        let encoding = tokenizer.encode("aé", addSpecialTokens: false)
        #expect(encoding.tokens == ["▁a", "<0xC3>", "<0xA9>"])
        #expect(encoding.offsets == [0..<1, 1..<2, 1..<2])
        // "x" is 0x78, which has no byte token: the unknown token stays.
        #expect(tokenizer.encode("ax", addSpecialTokens: false).tokens == ["▁a", "x"])
        #expect(tokenizer.encode("ax", addSpecialTokens: false).ids == [5, 0])
    }

    @Test func emptyWordsGiveNoTokens() throws {
        let tokenizer = try TinyUnigram.make()
        #expect(tokenizer.encode("", addSpecialTokens: false).ids.isEmpty)
        #expect(tokenizer.encode("").tokens == ["<s>", "</s>"])
    }

    @Test func badVocabularyEntriesAreNamedErrors() {
        func error(_ model: String) -> String {
            do {
                _ = try Tokenizer(json: #"{"model": \#(model)}"#, source: "bad/tokenizer.json")
                return ""
            } catch {
                return "\(error)"
            }
        }
        #expect(error(TinyUnigram.modelJSON(unkId: "99")).contains("model.unk_id"))
        #expect(error(TinyUnigram.modelJSON(unkId: "99")).contains("below the vocabulary size 15"))
        #expect(error(#"{"type": "Unigram", "unk_id": 0, "vocab": [["a", "high"]]}"#).contains("model.vocab[0]"))
        #expect(error(#"{"type": "Unigram", "unk_id": 0}"#).contains("model.vocab"))
    }

    @Test func vocabularyLookups() throws {
        let tokenizer = try TinyUnigram.make()
        #expect(tokenizer.tokenId(for: "abc") == 10)
        #expect(tokenizer.token(for: 9) == "▁ab")
        #expect(tokenizer.unknownTokenId == 0)
        #expect(tokenizer.continuingSubwordPrefix == nil)
    }
}
