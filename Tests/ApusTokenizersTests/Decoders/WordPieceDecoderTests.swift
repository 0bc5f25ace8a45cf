import Testing
@testable import ApusTokenizers

/// Joining WordPiece tokens back into text.
@Suite struct WordPieceDecoderTests {
    @Test func continuationPiecesJoinAndCleanupRemovesSpaces() {
        let decoder = WordPieceDecoder()
        #expect(decoder.decode(["un", "##aff", "##able", "!"]) == "unaffable!")
        #expect(decoder.decode(["i", "don", "'", "t", "know", ",", "do", "not", "you", "?"]) == "i don ' t know, do not you?",
                "cleanup runs on each token (with its leading space), so patterns spanning tokens stay")
        #expect(decoder.decode(["##x", "y"]) == "##x y", "the first token keeps its prefix")
        #expect(decoder.decode([]) == "")
    }

    @Test func withoutCleanupSpacesStay() {
        #expect(WordPieceDecoder(prefix: "##", cleanup: false).decode(["a", ",", "b", "."]) == "a , b .")
    }

    @Test func prefixIsMatchedOnScalars() {
        #expect(WordPieceDecoder().decode(["a", "##\u{301}"]) == "a\u{301}", "## followed by a combining mark is still the prefix")
    }

    @Test func tokenizerDecodeSkipsSpecialAndUnknownIds() throws {
        let tokenizer = try TinyTokenizer.make()
        #expect(tokenizer.decode([2, 11, 12, 3, 999]) == "hello world")
        #expect(tokenizer.decode([2, 11, 12, 3], skipSpecialTokens: false) == "[CLS] hello world [SEP]")
        #expect(tokenizer.decode([5, 9]) == "ab")
    }
}
