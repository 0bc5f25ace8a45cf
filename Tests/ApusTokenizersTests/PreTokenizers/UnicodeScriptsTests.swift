import Testing
@testable import ApusTokenizers

/// The UnicodeScripts pre-tokenizer on the cases tokenizers' rules single out.
@Suite struct UnicodeScriptsTests {
    static func words(_ text: String) -> [String] { UnicodeScripts().split(NormalizedText(text)).map(\.string) }

    @Test func scriptChangesSplitAndSpacesFollowTheWordBefore() {
        #expect(Self.words("abcжж  xy") == ["abc", "жж  ", "xy"])
        #expect(Self.words("a1b") == ["a", "1", "b"], "digits are Common, not Latin")
        #expect(Self.words("hello  world") == ["hello  world"])
    }

    @Test func leadingSpacesAreDroppedAndJapaneseStaysWhole() {
        #expect(Self.words("  hello") == ["hello"])
        #expect(Self.words("   ").isEmpty)
        #expect(Self.words("カタカナ漢字ひらがなー") == ["カタカナ漢字ひらがなー"])
    }
}
