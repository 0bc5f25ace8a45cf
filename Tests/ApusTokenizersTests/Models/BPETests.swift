import Testing
@testable import ApusTokenizers

/// The merge loop's order, both merge formats, byte fallback, unknown tokens, the continuation prefix and
/// end-of-word suffix, ignore_merges and the fields BPE refuses.
@Suite struct BPETests {
    static func parse(_ json: String) throws -> JSONObject {
        let value = try Array(json.utf8).withUnsafeBufferPointer { try JSONValue.parse($0) }
        return try JSONObject(value, path: "model", file: "t")
    }

    static func model(vocabulary: [String], merges: [String], options: String = "") throws -> BPE {
        let vocab = vocabulary.enumerated().map { "\"\($1)\": \($0)" }.joined(separator: ", ")
        let merges = merges.map { "\"\($0)\"" }.joined(separator: ", ")
        return try BPE(json: parse("{\"type\": \"BPE\", \(options) \"vocab\": {\(vocab)}, \"merges\": [\(merges)]}"))
    }

    func tokens(_ model: BPE, _ word: String) -> [String] { model.tokenize(Array(word.unicodeScalars)).map(\.value) }
    func ranges(_ model: BPE, _ word: String) -> [Range<Int>] { model.tokenize(Array(word.unicodeScalars)).map(\.range) }

    static let hello = ["h", "e", "l", "o", "he", "ll", "hell", "hello", "lo", "a", "aa"]

    @Test func mergesApplyLowestRankFirst() throws {
        let model = try Self.model(vocabulary: Self.hello, merges: ["l l", "h e", "he ll", "hell o", "l o", "a a"])
        #expect(tokens(model, "hello") == ["hello"])
        #expect(tokens(model, "helo") == ["he", "lo"], "\"l o\" (rank 4) applies once \"he\" is made")
        #expect(tokens(model, "aaa") == ["aa", "a"], "equal ranks merge leftmost first")
        #expect(ranges(model, "aaaaa") == [0..<2, 2..<4, 4..<5])
        #expect(tokens(model, "") == [])
    }

    @Test func pairMergesReadLikeStringMerges() throws {
        let vocab = Self.hello.enumerated().map { "\"\($1)\": \($0)" }.joined(separator: ", ")
        let model = try BPE(json: Self.parse("{\"vocab\": {\(vocab)}, \"merges\": [[\"l\", \"l\"], [\"h\", \"e\"], [\"he\", \"ll\"], [\"hell\", \"o\"]]}"))
        #expect(tokens(model, "hello") == ["hello"])
        let versioned = try Self.model(vocabulary: Self.hello, merges: ["#version: 0.2", "h e"])
        #expect(tokens(versioned, "he") == ["he"], "a #version line is not a merge")
    }

    @Test func byteFallbackTokensCoverTheirWholeScalar() throws {
        let vocabulary = ["<unk>", "a", "<0xC3>", "<0xA9>", "<0xE6>"]
        let model = try Self.model(vocabulary: vocabulary, merges: [], options: "\"byte_fallback\": true, \"unk_token\": \"<unk>\",")
        #expect(tokens(model, "aéa") == ["a", "<0xC3>", "<0xA9>", "a"])
        #expect(ranges(model, "aéa") == [0..<1, 1..<2, 1..<2, 2..<3])
        #expect(tokens(model, "東") == ["<unk>"], "a missing byte token falls back to the unknown token")
    }

    @Test func unknownScalarsFuseOnlyWithFuseUnk() throws {
        let plain = try Self.model(vocabulary: ["[UNK]", "a"], merges: [], options: "\"unk_token\": \"[UNK]\",")
        #expect(ranges(plain, "xya") == [0..<1, 1..<2, 2..<3])
        let fused = try Self.model(vocabulary: ["[UNK]", "a"], merges: [], options: "\"unk_token\": \"[UNK]\", \"fuse_unk\": true,")
        #expect(tokens(fused, "xyaz") == ["[UNK]", "a", "[UNK]"])
        #expect(ranges(fused, "xyaz") == [0..<2, 2..<3, 3..<4])
        let noUnknown = try Self.model(vocabulary: ["a"], merges: [], options: "")
        #expect(tokens(noUnknown, "xay") == ["a"], "without unk_token unknown scalars are dropped")
    }

    @Test func prefixAndSuffixMarkTheInitialSymbols() throws {
        let vocabulary = ["a", "##b", "##c</w>", "a##b", "ab", "c</w>", "a</w>", "ab##c</w>", "abc</w>"]
        let options = "\"continuing_subword_prefix\": \"##\", \"end_of_word_suffix\": \"</w>\","
        let model = try Self.model(vocabulary: vocabulary, merges: ["a ##b", "ab ##c</w>"], options: options)
        #expect(tokens(model, "abc") == ["abc</w>"], "a merge drops the right part's prefix")
        #expect(tokens(model, "a") == ["a</w>"])
        #expect(tokens(model, "ac") == ["a", "##c</w>"])
    }

    @Test func ignoreMergesTakesWholeWordsFromTheVocabulary() throws {
        let vocabulary = ["h", "e", "l", "o", "hello", "he"]
        let merges = try Self.model(vocabulary: vocabulary, merges: ["h e"])
        #expect(tokens(merges, "hello") == ["he", "l", "l", "o"])
        let ignoring = try Self.model(vocabulary: vocabulary, merges: ["h e"], options: "\"ignore_merges\": true,")
        #expect(ranges(ignoring, "hello") == [0..<5])
        #expect(tokens(ignoring, "hel") == ["he", "l"])
    }

    @Test func repeatedWordsComeFromTheCacheUnchanged() throws {
        let model = try Self.model(vocabulary: Self.hello, merges: ["l l", "h e", "he ll", "hell o"])
        let first = model.tokenize(Array("hello".unicodeScalars))
        #expect(model.tokenize(Array("hello".unicodeScalars)) == first)
    }

    @Test func refusedSettingsNameTheirField() throws {
        #expect(throws: TokenizerError.self) { try Self.model(vocabulary: Self.hello, merges: [], options: "\"dropout\": 0.1,") }
        _ = try Self.model(vocabulary: Self.hello, merges: [], options: "\"dropout\": null,")
        _ = try Self.model(vocabulary: Self.hello, merges: [], options: "\"dropout\": 0.0,")
        do {
            _ = try Self.model(vocabulary: Self.hello, merges: ["h x"])
            Issue.record("a merge of a token outside the vocabulary must be refused")
        } catch let error as TokenizerError {
            #expect(error == .unknownToken(file: "t", field: "model.merges[0]", token: "x"))
        }
        do {
            _ = try Self.model(vocabulary: Self.hello, merges: ["h e l"])
            Issue.record("a merge line with two spaces must be refused")
        } catch let error as TokenizerError {
            #expect(error.description.contains("model.merges[0]"))
        }
    }
}
