import Foundation
import Testing
@testable import ApusTokenizers

/// Every Unicode scalar through the stages that classify characters, against what Hugging Face `tokenizers` does
/// with it (Tests/Fixtures/tokenizers/unicode-classes.json, made by scripts/make_tokenizer_fixtures.py). This is
/// what pins down the Unicode versions of tokenizers' tables (see `CharacterClasses`).
@Suite struct CharacterClassesTests {
    struct Fixture: Decodable {
        let cleanTextRemoved: [[UInt32]]
        let cleanTextSpace: [UInt32]
        let bertPunctuation: [[UInt32]]
        let bertWhitespace: [UInt32]
        let lowercase: [[UInt32]]
        let nfd: [[UInt32]]
        let stripAccentsRemoved: [[UInt32]]
        let stripAccents: [[UInt32]]
        let stripAccentsNormalizerRemoved: [[UInt32]]
        let wordCharacters: [[UInt32]]
        enum CodingKeys: String, CodingKey {
            case cleanTextRemoved = "clean_text_removed", cleanTextSpace = "clean_text_space", bertPunctuation = "bert_punctuation"
            case bertWhitespace = "bert_whitespace", lowercase, nfd, stripAccentsRemoved = "strip_accents_removed"
            case stripAccents = "strip_accents", stripAccentsNormalizerRemoved = "strip_accents_normalizer_removed"
            case wordCharacters = "word_characters"
        }
    }

    static let fixture: Result<Fixture, any Error> = Result { try Fixtures.json("tokenizers/unicode-classes.json", as: Fixture.self) }

    /// Every scalar (surrogate code points are not scalars).
    static let allScalars: [Unicode.Scalar] = (0...0x10FFFF).compactMap(Unicode.Scalar.init(_:))

    /// The scalars in `[[low, high], ...]` ranges.
    static func set(_ ranges: [[UInt32]]) -> Set<UInt32> {
        Set(ranges.flatMap { $0[0]...$0[1] })
    }

    /// `[[scalar, result...], ...]` as scalar → result.
    static func mapping(_ entries: [[UInt32]]) -> [UInt32: [UInt32]] {
        Dictionary(uniqueKeysWithValues: entries.map { ($0[0], Array($0.dropFirst())) })
    }

    /// Records one issue listing the first scalars where `actual` differs from `expected`.
    static func compare(_ what: String, _ actual: (Unicode.Scalar) -> [UInt32], _ expected: (Unicode.Scalar) -> [UInt32]) {
        var mismatches: [String] = []
        var count = 0
        for scalar in allScalars {
            let got = actual(scalar), want = expected(scalar)
            guard got != want else { continue }
            count += 1
            if mismatches.count < 12 {
                mismatches.append("U+\(String(scalar.value, radix: 16, uppercase: true)): \(got.map { String($0, radix: 16) }) ≠ \(want.map { String($0, radix: 16) })")
            }
        }
        #expect(count == 0, "\(what): \(count) scalars differ from tokenizers, e.g. \(mismatches.joined(separator: "; "))")
    }

    /// `scalar` through `normalizer`, as scalar values.
    static func normalized(_ scalar: Unicode.Scalar, by normalizer: some Normalizer) -> [UInt32] {
        var text = NormalizedText(String(scalar))
        normalizer.normalize(&text)
        return text.scalars.map(\.value)
    }

    @Test func cleanTextRemovesControlCharactersAndSpacesWhitespace() throws {
        let fixture = try Self.fixture.get()
        let removed = Self.set(fixture.cleanTextRemoved), spaces = Set(fixture.cleanTextSpace)
        let normalizer = BertNormalizer(cleanText: true, handleChineseCharacters: false, stripAccents: false, lowercase: false)
        Self.compare("clean_text", { Self.normalized($0, by: normalizer) }) { scalar in
            removed.contains(scalar.value) ? [] : spaces.contains(scalar.value) ? [0x20] : [scalar.value]
        }
    }

    @Test func bertPreTokenizerIsolatesPunctuationAndSplitsOnWhitespace() throws {
        let fixture = try Self.fixture.get()
        let punctuation = Self.set(fixture.bertPunctuation), whitespace = Set(fixture.bertWhitespace)
        let preTokenizer = BertPreTokenizer()
        Self.compare("BertPreTokenizer word count of \"a<scalar>a\"", { scalar in
            [UInt32(preTokenizer.split(NormalizedText("a\(scalar)a")).count)]
        }) { scalar in
            [punctuation.contains(scalar.value) ? 3 : whitespace.contains(scalar.value) ? 2 : 1]
        }
    }

    @Test func lowercaseIsRustsToLowercase() throws {
        let lowercase = Self.mapping(try Self.fixture.get().lowercase)
        Self.compare("Lowercase", { Self.normalized($0, by: Lowercase()) }) { lowercase[$0.value] ?? [$0.value] }
    }

    @Test func nfdUsesUnicode9Decompositions() throws {
        let nfd = Self.mapping(try Self.fixture.get().nfd)
        Self.compare("NFD", { Self.normalized($0, by: NFD()) }) { scalar in
            if (0xAC00...0xD7A3).contains(scalar.value) { return Self.hangulDecomposition(scalar.value) }
            return nfd[scalar.value] ?? [scalar.value]
        }
    }

    @Test func bertStripAccentsDropsUnicode8NonspacingMarksAfterNFD() throws {
        let fixture = try Self.fixture.get()
        let removed = Self.set(fixture.stripAccentsRemoved), stripped = Self.mapping(fixture.stripAccents)
        let normalizer = BertNormalizer(cleanText: false, handleChineseCharacters: false, stripAccents: true, lowercase: false)
        Self.compare("BertNormalizer strip_accents", { Self.normalized($0, by: normalizer) }) { scalar in
            if (0xAC00...0xD7A3).contains(scalar.value) { return Self.hangulDecomposition(scalar.value) }
            return removed.contains(scalar.value) ? [] : stripped[scalar.value] ?? [scalar.value]
        }
    }

    @Test func stripAccentsNormalizerDropsUnicode9CombiningMarks() throws {
        let removed = Self.set(try Self.fixture.get().stripAccentsNormalizerRemoved)
        Self.compare("StripAccents", { Self.normalized($0, by: StripAccents()) }) { removed.contains($0.value) ? [] : [$0.value] }
    }

    @Test func wordCharactersAreRegexW() throws {
        let words = Self.set(try Self.fixture.get().wordCharacters)
        Self.compare("regex \\w", { [CharacterClasses.isWordCharacter($0) ? 1 : 0] }) { [words.contains($0.value) ? 1 : 0] }
    }

    @Test func chineseCharactersAreSurroundedBySpaces() {
        let normalizer = BertNormalizer(cleanText: false, handleChineseCharacters: true, stripAccents: false, lowercase: false)
        #expect(Self.normalized("東", by: normalizer) == [0x20, 0x6771, 0x20])
        #expect(Self.normalized("\u{20000}", by: normalizer) == [0x20, 0x20000, 0x20])
        #expect(Self.normalized("한", by: normalizer) == [0xD55C], "Hangul is not a CJK ideograph")
        #expect(Self.normalized("カ", by: normalizer) == [0x30AB], "Katakana is not a CJK ideograph")
    }

    /// The Unicode Standard's Hangul syllable decomposition, written out independently of the implementation.
    static func hangulDecomposition(_ value: UInt32) -> [UInt32] {
        let index = value - 0xAC00
        let parts: [UInt32] = [0x1100 + index / 588, 0x1161 + (index % 588) / 28, 0x11A7 + index % 28]
        return parts[2] == 0x11A7 ? Array(parts.prefix(2)) : parts
    }
}
