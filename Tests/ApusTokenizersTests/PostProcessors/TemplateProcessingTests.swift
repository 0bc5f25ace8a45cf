import Testing
@testable import ApusTokenizers

/// Special tokens, type ids and the special-token mask around one sequence or a pair.
@Suite struct TemplateProcessingTests {
    @Test func bertTemplateForSingleAndPair() throws {
        let tokenizer = try TinyTokenizer.make()
        let single = tokenizer.encode("a b")
        #expect(single.tokens == ["[CLS]", "a", "b", "[SEP]"] && single.typeIds == [0, 0, 0, 0] && single.specialTokensMask == [1, 0, 0, 1])
        let pair = tokenizer.encode("a", pair: "b c")
        #expect(pair.tokens == ["[CLS]", "a", "[SEP]", "b", "c", "[SEP]"])
        #expect(pair.typeIds == [0, 0, 0, 1, 1, 1])
        #expect(pair.offsets == [0..<0, 0..<1, 0..<0, 0..<1, 2..<3, 0..<0], "each sequence's offsets point into its own text")
        #expect(pair.attentionMask == [1, 1, 1, 1, 1, 1])
    }

    @Test func withoutSpecialTokensTheTemplateStillSetsTypeIds() throws {
        let pair = try TinyTokenizer.make().encode("a", pair: "b", addSpecialTokens: false)
        #expect(pair.tokens == ["a", "b"] && pair.typeIds == [0, 1] && pair.specialTokensMask == [0, 0])
    }

    @Test func multiTokenSpecialsAndReorderedSequences() throws {
        let template = #"{"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}], "pair": [{"Sequence": {"id": "B", "type_id": 1}}, {"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}], "special_tokens": {"<s>": {"id": "<s>", "ids": [2, 3], "tokens": ["[CLS]", "[SEP]"]}}}"#
        let tokenizer = try TinyTokenizer.make(postProcessor: template)
        #expect(tokenizer.encode("a").tokens == ["[CLS]", "[SEP]", "a"])
        let pair = tokenizer.encode("a", pair: "b")
        #expect(pair.tokens == ["b", "[CLS]", "[SEP]", "a"] && pair.typeIds == [1, 0, 0, 0])
        #expect(tokenizer.encode("a b c", truncation: Truncation(maxLength: 4)).tokens == ["[CLS]", "[SEP]", "a", "b"],
                "truncation keeps room for both ids of the special token")
    }

    @Test func bertProcessing() throws {
        let tokenizer = try TinyTokenizer.make(postProcessor: #"{"type": "BertProcessing", "sep": ["[SEP]", 3], "cls": ["[CLS]", 2]}"#)
        let pair = tokenizer.encode("a", pair: "b")
        #expect(pair.ids == [2, 5, 3, 6, 3] && pair.typeIds == [0, 0, 0, 1, 1] && pair.specialTokensMask == [1, 0, 1, 0, 1])
        #expect(tokenizer.encode("a", pair: "b", addSpecialTokens: false).typeIds == [0, 1])
    }
}
