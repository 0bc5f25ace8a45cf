import Testing
@testable import ApusTokenizers

/// Whole words from the vocabulary, else the unknown token.
@Suite struct WordLevelTests {
    static func model(unknown: String = "[UNK]") throws -> WordLevel {
        let json = "{\"type\": \"WordLevel\", \"unk_token\": \"\(unknown)\", \"vocab\": {\"[UNK]\": 0, \"hello\": 1, \"é\": 2}}"
        let value = try Array(json.utf8).withUnsafeBufferPointer { try JSONValue.parse($0) }
        return try WordLevel(json: JSONObject(value, path: "model", file: "t"))
    }

    @Test func wordsAreLookedUpWhole() throws {
        let model = try Self.model()
        #expect(model.tokenize(Array("hello".unicodeScalars)) == [ModelToken(id: 1, value: "hello", range: 0..<5)])
        #expect(model.tokenize(Array("hell".unicodeScalars)) == [ModelToken(id: 0, value: "[UNK]", range: 0..<4)])
        #expect(model.tokenize(Array("e\u{301}".unicodeScalars)).map(\.id) == [0], "exact scalars: a decomposed é is unknown")
        #expect(model.id(for: "é") == 2 && model.token(for: 1) == "hello")
    }

    @Test func anUnknownTokenOutsideTheVocabularyDropsTheWord() throws {
        let model = try Self.model(unknown: "<unk>")
        #expect(model.tokenize(Array("hell".unicodeScalars)) == [])
    }
}
