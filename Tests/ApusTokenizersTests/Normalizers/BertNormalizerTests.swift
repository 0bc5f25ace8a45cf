import Testing
@testable import ApusTokenizers

/// BertNormalizer's four steps and the alignments they leave (the full Unicode behaviour is in
/// CharacterClassesTests, whole-pipeline results in TokenizerVariantsTests).
@Suite struct BertNormalizerTests {
    func normalize(_ text: String, _ normalizer: BertNormalizer) -> NormalizedText {
        var normalized = NormalizedText(text)
        normalizer.normalize(&normalized)
        return normalized
    }

    static let uncased = BertNormalizer(cleanText: true, handleChineseCharacters: true, stripAccents: true, lowercase: true)

    @Test func uncasedBertNormalisation() {
        let text = normalize("Café\t東\u{0}!", Self.uncased)
        #expect(text.string == "cafe  東 !")
        #expect(text.alignments.map(\.lowerBound) == [0, 1, 2, 3, 4, 5, 5, 5, 7], "spaces around 東 align with it; NUL is gone")
    }

    @Test func lowercaseExpandsAndKeepsTheAlignment() {
        let cased = BertNormalizer(cleanText: true, handleChineseCharacters: true, stripAccents: false, lowercase: true)
        let text = normalize("İx", cased)
        #expect(text.scalars == ["i", "\u{307}", "x"])
        #expect(text.alignments == [0..<1, 0..<1, 1..<2])
        #expect(normalize("ΣΑΣ", cased).string == "σασ", "no final-sigma context, like Rust's char::to_lowercase")
        #expect(normalize("İ", Self.uncased).string == "i", "stripping first removes the dot above")
    }

    @Test func stripAccentsFollowsLowercaseWhenNull() throws {
        let json = { (strip: String, lowercase: Bool) in
            try JSONObject(Self.parse("{\"type\": \"BertNormalizer\", \"strip_accents\": \(strip), \"lowercase\": \(lowercase)}"), path: "normalizer", file: "t")
        }
        #expect(try BertNormalizer(json: json("null", true)).stripAccents == true)
        #expect(try BertNormalizer(json: json("null", false)).stripAccents == false)
        #expect(try BertNormalizer(json: json("true", false)).stripAccents == true)
        #expect(try BertNormalizer(json: json("false", true)).stripAccents == false)
    }

    @Test func eachStepCanBeTurnedOff() {
        let nothing = BertNormalizer(cleanText: false, handleChineseCharacters: false, stripAccents: false, lowercase: false)
        #expect(normalize("Café\t東\u{0}", nothing).string == "Café\t東\u{0}")
        let onlyClean = BertNormalizer(cleanText: true, handleChineseCharacters: false, stripAccents: false, lowercase: false)
        #expect(normalize("a\u{200B}b\u{AD}c\u{FFFD}d\u{3000}e\u{378}", onlyClean).string == "abcd e\u{378}",
                "format characters and U+FFFD go, ideographic space becomes a space, unassigned U+0378 stays")
    }

    static func parse(_ text: String) throws -> JSONValue {
        try Array(text.utf8).withUnsafeBufferPointer { try JSONValue.parse($0) }
    }
}
