import Foundation
import Testing
import ApusTokenizers
@testable import ApusPipelines

/// Streaming text token by token: the pieces add up to the full decode, characters split across tokens are held
/// until complete, and context tokens give the first piece its leading space.
@Suite struct IncrementalDetokenizerTests {
    /// One token per UTF-8 byte, decoded as a byte-level tokenizer does (an incomplete sequence becomes U+FFFD).
    static func decodeBytes(_ ids: [Int]) -> String {
        String(decoding: ids.map { UInt8(truncatingIfNeeded: $0) }, as: UTF8.self)
    }

    static func byteTokens(_ text: String) -> [Int] { text.utf8.map(Int.init) }

    @Test func piecesAddUpToTheFullDecodeWithTheRealMiniLMTokenizer() throws {
        let tokenizer = try Tokenizer(contentsOf: try TestResources.minilmDirectory().appendingPathComponent("tokenizer.json"))
        let texts = ["Hello, world! Isn't it play-time?", "The café's naïve owner said: \"don't\" (twice).", "東京 is 3,776 m high; ok."]
        for text in texts {
            let ids = tokenizer.encode(text, addSpecialTokens: false).ids
            var detokenizer = IncrementalDetokenizer { tokenizer.decode($0) }
            var streamed = ""
            var pieces: [String] = []
            for id in ids {
                let piece = detokenizer.append(id)
                pieces.append(piece)
                streamed += piece
            }
            streamed += detokenizer.finish()
            #expect(streamed == tokenizer.decode(ids), "\(text): pieces \(pieces)")
            #expect(detokenizer.text == streamed)
            #expect(pieces.filter { !$0.isEmpty }.count > ids.count / 2, "most tokens give text at once")
        }
    }

    @Test func multiByteCharactersSplitAcrossTokensComeOutWhole() {
        let text = "héllo 🚀 中文 ok 👩‍👩‍👧"
        var detokenizer = IncrementalDetokenizer(decode: Self.decodeBytes)
        var pieces: [String] = []
        for token in Self.byteTokens(text) { pieces.append(detokenizer.append(token)) }
        pieces.append(detokenizer.finish())
        #expect(pieces.joined() == text)
        #expect(!pieces.contains { $0.unicodeScalars.contains("\u{FFFD}") }, "\(pieces)")
        // 🚀 is four bytes: the first three give nothing, the fourth the whole character.
        let rocket = Array(text.utf8).firstIndex(of: 0xF0)!
        #expect(pieces[rocket..<(rocket + 4)] == ["", "", "", "🚀"])
    }

    @Test func finishGivesAnIncompleteTailAsReplacementCharacter() {
        var detokenizer = IncrementalDetokenizer(decode: Self.decodeBytes)
        #expect(detokenizer.append(Int(UInt8(ascii: "a"))) == "a")
        #expect(detokenizer.append(0xC3) == "")
        #expect(detokenizer.finish() == "\u{FFFD}")
        #expect(detokenizer.text == "a\u{FFFD}")
    }

    @Test func contextGivesTheFirstPieceItsLeadingSpace() {
        // A SentencePiece-like decoder: "▁" is a space, and the decoded text's leading space is dropped.
        let vocabulary = ["▁Hello", "▁world", "!", "▁again"]
        let decode: ([Int]) -> String = { ids in
            let joined = ids.map { vocabulary[$0] }.joined().replacingOccurrences(of: "▁", with: " ")
            return joined.hasPrefix(" ") ? String(joined.dropFirst()) : joined
        }
        var withoutContext = IncrementalDetokenizer(decode: decode)
        #expect(withoutContext.append(1) == "world")
        var withContext = IncrementalDetokenizer(context: [0], decode: decode)
        #expect(withContext.append(1) == " world")
        #expect(withContext.append(2) == "!")
        #expect(withContext.append(3) == " again")
        #expect(withContext.text == " world! again")
    }
}

/// Stop conditions by token (end of sequence, budget) and stop strings spread over tokens.
@Suite struct StopConditionTests {
    func stream(_ chunks: [String], stopStrings: [String]) -> (pieces: [GeneratedTextStream.Piece], rest: String, stream: GeneratedTextStream) {
        var stream = GeneratedTextStream(stopStrings: stopStrings, decode: IncrementalDetokenizerTests.decodeBytes)
        var pieces: [GeneratedTextStream.Piece] = []
        for chunk in chunks {
            for token in IncrementalDetokenizerTests.byteTokens(chunk) { pieces.append(stream.append(token)) }
        }
        let rest = stream.finish()
        return (pieces, rest, stream)
    }

    @Test func textStopsBeforeAStopStringSpreadOverTokens() {
        let (pieces, rest, stream) = stream(["Hello ST", "OP and more"], stopStrings: ["STOP"])
        #expect(stream.text == "Hello ")
        #expect(stream.stopString == "STOP")
        #expect(pieces.filter { $0.stopString != nil }.count >= 1)
        #expect(pieces.map(\.text).joined() == "Hello ")
        #expect(rest == "")
        // "S" and "T" were held back while they could start the stop string.
        #expect(!pieces.contains { $0.text.contains("S") })
    }

    @Test func aPrefixThatDoesNotCompleteIsReleased() {
        let (pieces, rest, stream) = stream(["a STO", "RM b"], stopStrings: ["STOP"])
        #expect(stream.stopString == nil)
        #expect(pieces.map(\.text).joined() + rest == "a STORM b")
        #expect(stream.text == "a STORM b")
        let (_, tail, ended) = self.stream(["ends with ST"], stopStrings: ["STOP"])
        #expect(tail == "ST")
        #expect(ended.text == "ends with ST")
    }

    @Test func theEarliestStopStringWinsAndMultiByteStopsWork() {
        #expect(stream(["x <end> y </s>"], stopStrings: ["</s>", "<end>"]).stream.text == "x ")
        #expect(stream(["x <end> y </s>"], stopStrings: ["</s>", "<end>"]).stream.stopString == "<end>")
        let rocket = stream(["go 🚀 now"], stopStrings: ["🚀"])
        #expect(rocket.stream.text == "go ")
        #expect(rocket.stream.stopString == "🚀")
        #expect(stream(["abc"], stopStrings: [""]).stream.text == "abc", "an empty stop string is ignored")
    }

    @Test func matcherFindsHeldBackPrefixes() {
        let matcher = StopStringMatcher(["User:", "\n\n"])
        #expect(matcher.heldBackCount(Array("say Us".unicodeScalars)) == 2)
        #expect(matcher.heldBackCount(Array("line\n".unicodeScalars)) == 1)
        #expect(matcher.heldBackCount(Array("nothing".unicodeScalars)) == 0)
        #expect(matcher.firstMatch(in: Array("a\n\nUser:".unicodeScalars))?.offset == 1)
    }

    @Test func tokenConditionsStopAtEndOfSequenceOrBudget() {
        let conditions = StopConditions(endOfSequenceIds: [2, 7], maxNewTokens: 3)
        #expect(conditions.reason(after: 5, generatedCount: 1) == nil)
        #expect(conditions.reason(after: 7, generatedCount: 2) == .endOfSequence(tokenId: 7))
        #expect(conditions.reason(after: 5, generatedCount: 3) == .maximumLength)
        #expect(conditions.reason(after: 2, generatedCount: 3) == .endOfSequence(tokenId: 2))
        let fromConfig = StopConditions(GenerationConfig(eosTokenIds: [1], maxNewTokens: 8), promptLength: 100)
        #expect(fromConfig == StopConditions(endOfSequenceIds: [1], maxNewTokens: 8))
    }
}
