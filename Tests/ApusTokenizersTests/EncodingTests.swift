import Testing
@testable import ApusTokenizers

/// Overflowing windows with a stride, and padding (tokenizers' `Encoding::truncate`, `Encoding::pad`,
/// `pad_encodings`).
@Suite struct EncodingTests {
    static func encoding(_ ids: [Int]) -> Encoding {
        var encoding = Encoding()
        for id in ids { encoding.append(id: id, token: "t\(id)", offset: id..<(id + 1), typeId: 0) }
        return encoding
    }

    @Test func strideMakesOverlappingWindowsFromTheRight() {
        var encoding = Self.encoding(Array(0..<10))
        encoding.truncate(to: 4, stride: 1, direction: .right)
        #expect(encoding.ids == [0, 1, 2, 3])
        #expect(encoding.overflowing.map(\.ids) == [[3, 4, 5, 6], [6, 7, 8, 9]])
    }

    @Test func strideMakesOverlappingWindowsFromTheLeft() {
        var encoding = Self.encoding(Array(0..<10))
        encoding.truncate(to: 4, stride: 2, direction: .left)
        #expect(encoding.ids == [6, 7, 8, 9])
        #expect(encoding.overflowing.map(\.ids) == [[4, 5, 6, 7], [2, 3, 4, 5], [0, 1, 2, 3]])
    }

    @Test func lengthZeroMovesEverythingToOneWindow() {
        var encoding = Self.encoding([1, 2])
        encoding.truncate(to: 0, stride: 0, direction: .right)
        #expect(encoding.ids.isEmpty)
        #expect(encoding.overflowing.map(\.ids) == [[1, 2]])
    }

    @Test func windowsGetTheSpecialTokensOfThePostProcessor() throws {
        let tokenizer = try TinyUnigram.make()
        let encoding = tokenizer.encode("ab ab ab ab", truncation: Truncation(maxLength: 4, stride: 1))
        #expect(encoding.tokens == ["<s>", "▁ab", "▁ab", "</s>"])
        #expect(encoding.overflowing.map(\.tokens) == [["<s>", "▁ab", "▁ab", "</s>"], ["<s>", "▁ab", "▁ab", "</s>"]])
        #expect(encoding.overflowing.map(\.offsets) == [[0..<0, 2..<5, 5..<8, 0..<0], [0..<0, 5..<8, 8..<11, 0..<0]])
    }

    @Test func paddingToTheLongestFixedOrMultiple() throws {
        let tokenizer = try TinyUnigram.make()
        let texts = ["ab", "ab abc ab"]
        let longest = tokenizer.encodeBatch(texts, padding: Padding(padId: 3, padToken: "<pad>"))
        // "ab abc ab" is <s> ▁ab ▁ab c ▁ab </s>.
        #expect(longest.map(\.count) == [6, 6])
        #expect(longest[0].ids == [1, 9, 2, 3, 3, 3])
        #expect(longest[0].attentionMask == [1, 1, 1, 0, 0, 0])
        #expect(longest[0].specialTokensMask == [1, 0, 1, 1, 1, 1])
        #expect(longest[0].offsets == [0..<0, 0..<2, 0..<0, 0..<0, 0..<0, 0..<0])
        let left = tokenizer.encodeBatch(texts, padding: Padding(direction: .left, padId: 3, padTypeId: 1, padToken: "<pad>"))
        #expect(left[0].ids == [3, 3, 3, 1, 9, 2])
        #expect(left[0].typeIds == [1, 1, 1, 0, 0, 0])
        let multiple = tokenizer.encodeBatch(texts, padding: Padding(padToMultipleOf: 4, padId: 3, padToken: "<pad>"))
        #expect(multiple.map(\.count) == [8, 8])
        let fixed = tokenizer.encodeBatch(texts, padding: Padding(strategy: .fixed(3), padId: 3, padToken: "<pad>"))
        #expect(fixed.map(\.count) == [3, 6]) // padding never truncates
        let pairs = tokenizer.encodeBatch([("ab", "abc"), ("ab ab", "ab")], padding: Padding(padId: 3, padToken: "<pad>"))
        #expect(pairs.map(\.count) == [6, 6])
        #expect(pairs[0].typeIds == [0, 0, 0, 1, 1, 1])
    }
}
