import Testing
@testable import ApusTokenizers

/// Truncation rules by hand (tokenizers' outputs for every strategy and direction are in TokenizerVariantsTests).
@Suite struct TruncationTests {
    @Test func maxLengthCountsTheSpecialTokens() throws {
        let tokenizer = try TinyTokenizer.make()
        #expect(tokenizer.encode("a b c a b", truncation: Truncation(maxLength: 4)).tokens == ["[CLS]", "a", "b", "[SEP]"])
        #expect(tokenizer.encode("a b c a b", truncation: Truncation(maxLength: 4, direction: .left)).tokens == ["[CLS]", "a", "b", "[SEP]"])
        #expect(tokenizer.encode("a b c", truncation: Truncation(maxLength: 4, direction: .left)).tokens == ["[CLS]", "b", "c", "[SEP]"])
        #expect(tokenizer.encode("a b c", addSpecialTokens: false, truncation: Truncation(maxLength: 2)).tokens == ["a", "b"])
        #expect(tokenizer.encode("a b c", truncation: Truncation(maxLength: 2)).tokens == ["[CLS]", "[SEP]"])
    }

    @Test func longestFirstCutsTheLongerSequence() throws {
        let tokenizer = try TinyTokenizer.make()
        let pair = tokenizer.encode("a b c a b c", pair: "a", truncation: Truncation(maxLength: 6))
        #expect(pair.tokens == ["[CLS]", "a", "b", "[SEP]", "a", "[SEP]"])
        let halves = tokenizer.encode("a b c a", pair: "c b a c", truncation: Truncation(maxLength: 8))
        #expect(halves.tokens == ["[CLS]", "a", "b", "[SEP]", "c", "b", "a", "[SEP]"],
                "both too long: 2 + 3 for an odd budget of 5, the extra token to the second unless the first is longer")
    }

    @Test func onlyFirstAndOnlySecond() throws {
        let tokenizer = try TinyTokenizer.make()
        #expect(tokenizer.encode("a b c", pair: "a b", truncation: Truncation(maxLength: 6, strategy: .onlyFirst)).tokens
            == ["[CLS]", "a", "[SEP]", "a", "b", "[SEP]"])
        #expect(tokenizer.encode("a b", pair: "a b c", truncation: Truncation(maxLength: 6, strategy: .onlySecond, direction: .left)).tokens
            == ["[CLS]", "a", "b", "[SEP]", "c", "[SEP]"])
    }

    @Test func whereTokenizersRefusesTheSequencesStayWhole() throws {
        let tokenizer = try TinyTokenizer.make()
        let whole = tokenizer.encode("a b c", pair: "a")
        #expect(tokenizer.encode("a b c", pair: "a", truncation: Truncation(maxLength: 5, strategy: .onlySecond)) == whole,
                "the second sequence is too short to absorb the cut")
        #expect(tokenizer.encode("a b c", truncation: Truncation(maxLength: 4, strategy: .onlySecond)) == tokenizer.encode("a b c"),
                "there is no second sequence")
        #expect(tokenizer.encode("a b c", truncation: Truncation(maxLength: 1)) == tokenizer.encode("a b c"),
                "a limit below the special-token count does not truncate")
    }

    @Test func theFilesTruncationSectionIsParsed() throws {
        let tokenizer = try TinyTokenizer.make(sections: #""truncation": {"max_length": 7, "strategy": "OnlySecond", "direction": "Left", "stride": 2}, "padding": {"strategy": "BatchLongest", "direction": "Left", "pad_to_multiple_of": 8, "pad_id": 4, "pad_type_id": 1, "pad_token": "[MASK]"},"#)
        #expect(tokenizer.configuredTruncation == Truncation(maxLength: 7, strategy: .onlySecond, direction: .left, stride: 2))
        #expect(tokenizer.configuredPadding == Padding(strategy: .batchLongest, direction: .left, padToMultipleOf: 8, padId: 4, padTypeId: 1, padToken: "[MASK]"))
        #expect(tokenizer.paddingToken?.token == "[MASK]" && tokenizer.paddingToken?.id == 4)
        #expect(tokenizer.encode("a b c a b c a b c").count == 11, "encode applies neither section")
    }
}
