import Testing
@testable import ApusTokenizers

/// RoBERTa's special tokens and type ids, and the offset trimming it shares with the ByteLevel processor.
@Suite struct RobertaProcessingTests {
    static func processor(trimOffsets: Bool = true, addPrefixSpace: Bool = true) throws -> RobertaProcessing {
        let json = "{\"type\": \"RobertaProcessing\", \"sep\": [\"</s>\", 2], \"cls\": [\"<s>\", 0], "
            + "\"trim_offsets\": \(trimOffsets), \"add_prefix_space\": \(addPrefixSpace)}"
        let value = try Array(json.utf8).withUnsafeBufferPointer { try JSONValue.parse($0) }
        return try RobertaProcessing(json: JSONObject(value, path: "post_processor", file: "t"))
    }

    static func encoding(_ tokens: [(String, Range<Int>)], typeId: Int) -> Encoding {
        var encoding = Encoding()
        for (index, (token, offset)) in tokens.enumerated() { encoding.append(id: 10 + index, token: token, offset: offset, typeId: typeId) }
        return encoding
    }

    @Test func pairsGetDoubleSeparatorsAndTypeIdZero() throws {
        let first = Self.encoding([("Ġhi", 0..<3)], typeId: 0), second = Self.encoding([("there", 0..<5)], typeId: 1)
        let result = try Self.processor().process(first, second, addSpecialTokens: true)
        #expect(result.tokens == ["<s>", "Ġhi", "</s>", "</s>", "there", "</s>"])
        #expect(result.ids == [0, 10, 2, 2, 10, 2])
        #expect(result.typeIds == [0, 0, 0, 0, 0, 0])
        #expect(result.specialTokensMask == [1, 0, 1, 1, 0, 1])
        #expect(result.offsets == [0..<0, 0..<3, 0..<0, 0..<0, 0..<5, 0..<0], "the first token keeps the prefix space it was given")
        #expect(try Self.processor().addedTokenCount(isPair: true) == 4)
        #expect(try Self.processor().process(first, second, addSpecialTokens: false).typeIds == [0, 0])
    }

    @Test func offsetsLoseTheSpacesTokensCarry() throws {
        let tokens = [("Ġhello", 0..<6), ("ĠĠ", 6..<8), ("world  ", 8..<15), ("Ġ", 15..<16)]
        let trimmed = try Self.processor(addPrefixSpace: false).process(Self.encoding(tokens, typeId: 0), nil, addSpecialTokens: false)
        #expect(trimmed.offsets == [1..<6, 8..<8, 8..<13, 16..<16])
        let untrimmed = try Self.processor(trimOffsets: false).process(Self.encoding(tokens, typeId: 0), nil, addSpecialTokens: false)
        #expect(untrimmed.offsets == tokens.map(\.1))
        var byteLevel = Self.encoding(tokens, typeId: 0)
        ByteLevelProcessing.trimOffsets(&byteLevel, addPrefixSpace: true)
        #expect(byteLevel.offsets.first == 0..<6, "with add_prefix_space the first token's single space stays")
    }
}
