import Testing
@testable import ApusTokenizers

/// The Replace and ByteLevel normalizers against `normalize_str`, and the original offsets of every normalised
/// scalar against a full tokenizers pipeline (one token per scalar).
@Suite struct ReplaceAndByteLevelNormalizerTests {
    struct Fixture: Decodable {
        struct Configuration: Decodable {
            struct Case: Decodable {
                let normalized: String
                let offsets: [Int]
            }
            let name: String
            let json: JSONValueBox
            let cases: [String: Case]
        }
        let extra_texts: [String]
        let normalizers: [Configuration]
    }

    @Test func normalizedTextAndOffsetParity() throws {
        let fixture = try PreTokenizerFixtures.load("normalizers.json", as: Fixture.self)
        let texts = try PreTokenizerFixtures.texts(extra: fixture.extra_texts)
        #expect(fixture.normalizers.count >= 6)
        for configuration in fixture.normalizers {
            let normalizer = try normalizerCatalog.decode(configuration.json.value, path: "normalizer", file: configuration.name)
            var failures = 0
            for (key, expected) in configuration.cases {
                guard let index = Int(key), failures < 3 else { continue }
                var text = NormalizedText(texts[index])
                normalizer.normalize(&text)
                let offsets = PreTokenizerFixtures.flatten(text.scalars.indices.map { text.originalRange(of: $0..<($0 + 1)) })
                if !text.string.unicodeScalars.elementsEqual(expected.normalized.unicodeScalars) || offsets != expected.offsets {
                    failures += 1
                    Issue.record("\(configuration.name) on text \(index) \(texts[index].debugDescription.prefix(60)): \(text.string.debugDescription.prefix(60)) \(offsets.prefix(20)) != \(expected.normalized.debugDescription.prefix(60)) \(expected.offsets.prefix(20))")
                }
            }
        }
    }

    @Test func invalidRegexIsAnErrorNamingTheField() {
        let json = #"{"version":"1.0","normalizer":{"type":"Replace","pattern":{"Regex":"(a"},"content":"b"},"model":{"type":"WordPiece","vocab":{"[UNK]":0},"unk_token":"[UNK]"}}"#
        #expect {
            try Tokenizer(json: json)
        } throws: { error in
            "\(error)".contains("normalizer.pattern.Regex") && "\(error)".contains("unmatched parenthesis")
        }
    }
}
