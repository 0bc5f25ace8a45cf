import Testing
@testable import ApusTokenizers

/// Greedy longest-match-first, the continuation prefix, the unknown token and the word-length limit.
@Suite struct WordPieceTests {
    static func model(prefix: String = "##", maxCharacters: Int = 100) throws -> WordPiece {
        let vocabulary = ["[UNK]", "un", "una", "##ffable", "##able", "##aff", "x", "##yz", "e\u{301}", "é"]
        let entries = vocabulary.enumerated().map { index, token in
            "\"\(token.replacingOccurrences(of: "##", with: prefix))\": \(index)"
        }
        let json = "{\"type\": \"WordPiece\", \"unk_token\": \"[UNK]\", \"continuing_subword_prefix\": \"\(prefix)\", "
            + "\"max_input_chars_per_word\": \(maxCharacters), \"vocab\": {\(entries.joined(separator: ", "))}}"
        let value = try Array(json.utf8).withUnsafeBufferPointer { try JSONValue.parse($0) }
        return try WordPiece(json: JSONObject(value, path: "model", file: "t"))
    }

    func tokens(_ model: WordPiece, _ word: String) -> [String] { model.tokenize(Array(word.unicodeScalars)).map(\.value) }

    @Test func greedyLongestMatchFirst() throws {
        let model = try Self.model()
        #expect(tokens(model, "unaffable") == ["una", "##ffable"], "the longest first piece wins")
        #expect(model.tokenize(Array("unaffable".unicodeScalars)).map(\.range) == [0..<3, 3..<9])
        #expect(tokens(model, "unable") == ["[UNK]"], "no backtracking: after \"una\", \"##ble\" is missing, \"un\" + \"##able\" is not tried")
    }

    @Test func aWordThatCannotBeCoveredIsOneUnknownToken() throws {
        let model = try Self.model()
        #expect(model.tokenize(Array("xyzq".unicodeScalars)) == [ModelToken(id: 0, value: "[UNK]", range: 0..<4)])
        #expect(tokens(model, "yz") == ["[UNK]"], "a continuation piece cannot start a word")
    }

    @Test func wordsLongerThanTheLimitAreUnknown() throws {
        #expect(tokens(try Self.model(maxCharacters: 3), "xyz") == ["x", "##yz"])
        #expect(tokens(try Self.model(maxCharacters: 2), "xyz") == ["[UNK]"])
        #expect(tokens(try Self.model(maxCharacters: 2), "e\u{301}") == ["e\u{301}"])
        #expect(tokens(try Self.model(maxCharacters: 1), "e\u{301}") == ["[UNK]"], "the limit counts scalars, not Characters")
    }

    @Test func vocabularyEntriesAreExactScalars() throws {
        let model = try Self.model()
        #expect(model.id(for: "e\u{301}") == 8 && model.id(for: "é") == 9)
        #expect(model.token(for: 8) == "e\u{301}" && model.vocabularySize == 10)
    }

    @Test func customContinuationPrefix() throws {
        #expect(tokens(try Self.model(prefix: "@@"), "xyz") == ["x", "@@yz"])
    }
}
