import Testing
@testable import ApusTokenizers

/// Whitespace splits, punctuation stands alone, alignments carry through.
@Suite struct BertPreTokenizerTests {
    func words(_ text: String) -> [String] { BertPreTokenizer().split(NormalizedText(text)).map(\.string) }

    @Test func splitsOnWhitespaceAndIsolatesPunctuation() {
        #expect(words("Hey friend!     How are you?!?") == ["Hey", "friend", "!", "How", "are", "you", "?", "!", "?"])
        #expect(words("a$b+c^d`e|f~g") == ["a", "$", "b", "+", "c", "^", "d", "`", "e", "|", "f", "~", "g"], "ASCII symbols count as punctuation")
        #expect(words("x—y«z»") == ["x", "—", "y", "«", "z", "»"])
        #expect(words("€5 ©x") == ["€5", "©x"], "non-ASCII symbols are not punctuation")
        #expect(words("x\u{2E5D}y") == ["x\u{2E5D}y"], "punctuation added after Unicode 8.0 is not split off")
        #expect(words("") == [] && words(" \u{3000}\t") == [])
    }

    @Test func wordsKeepTheirOriginalOffsets() {
        let words = BertPreTokenizer().split(NormalizedText("ab, cd"))
        #expect(words.map { $0.originalRange(of: 0..<$0.count) } == [0..<2, 2..<3, 4..<6])
    }

    @Test func sequenceAppliesEachInTurn() {
        let sequence = PreTokenizerSequence(preTokenizers: [WhitespaceSplit(), BertPreTokenizer()])
        #expect(sequence.split(NormalizedText("a,b c")).map(\.string) == ["a", ",", "b", "c"])
        #expect(WhitespaceSplit().split(NormalizedText("a,b  c")).map(\.string) == ["a,b", "c"])
    }
}
