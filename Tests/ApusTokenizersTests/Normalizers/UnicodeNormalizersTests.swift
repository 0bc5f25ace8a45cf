import Foundation
import Testing
@testable import ApusTokenizers

/// NFC, NFKC, NFKD, NFD, Precompiled (xlm-roberta's nmt_nfkc charsmap), Strip and Prepend against tokenizers
/// (Tests/Fixtures/tokenizers/sentencepiece/normalizer-*.json*, made by scripts/make_sentencepiece_tokenizer_fixtures.py):
/// the result for every Unicode scalar alone, and the normalized text with each scalar's original offsets for the
/// parity texts these normalizers change.
@Suite struct UnicodeNormalizersTests {
    struct ScalarTables: Decodable {
        let NFC: [[UInt32]]
        let NFKC: [[UInt32]]
        let NFKD: [[UInt32]]
        let Precompiled: [[UInt32]]
    }

    struct OffsetsLine: Decodable {
        let normalizer: String
        let index: Int
        let normalized: String
        let offsets: [Int]
    }

    static func precompiled() throws -> any Normalizer {
        let data = try Data(contentsOf: Fixtures.url("tokenizers/sentencepiece/xlm-roberta.tokenizer.json"))
        let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        let normalizer = try #require(json?["normalizer"] as? [String: Any])
        let normalizerJSON = try JSONSerialization.data(withJSONObject: normalizer)
        let document = try normalizerJSON.withUnsafeBytes { try JSONValue.parse($0.bindMemory(to: UInt8.self)) }
        return try normalizerCatalog.decode(document, path: "normalizer", file: "xlm-roberta.tokenizer.json")
    }

    static func normalizers() throws -> [String: any Normalizer] {
        ["NFC": NFC(), "NFKC": NFKC(), "NFKD": NFKD(), "NFD": NFD(), "Precompiled": try precompiled(),
         "Strip": Strip(stripLeft: true, stripRight: true), "StripLeft": Strip(stripLeft: true, stripRight: false),
         "Prepend": Prepend(prefix: "\u{2581}")]
    }

    static func normalized(_ text: String, by normalizer: any Normalizer) -> NormalizedText {
        var normalized = NormalizedText(text)
        normalizer.normalize(&normalized)
        return normalized
    }

    @Test(arguments: ["NFC", "NFKC", "NFKD", "Precompiled"])
    func everyScalarNormalizesAsInTokenizers(name: String) throws {
        let tables = try Fixtures.json("tokenizers/sentencepiece/normalizer-scalars.json", as: ScalarTables.self)
        let entries = switch name {
        case "NFC": tables.NFC
        case "NFKC": tables.NFKC
        case "NFKD": tables.NFKD
        default: tables.Precompiled
        }
        #expect(entries.count > 100)
        var expected: [UInt32: [UInt32]] = [:]
        for entry in entries { expected[entry[0]] = Array(entry.dropFirst()) }
        let normalizer = try #require(try Self.normalizers()[name])
        var mismatches: [String] = []
        for value in UInt32(0)...0x10FFFF where !(0xD800...0xDFFF).contains(value) && !(0xAC00...0xD7A3).contains(value) {
            guard let scalar = Unicode.Scalar(value) else { continue }
            var text = NormalizedText(scalars: [scalar], alignments: [0..<1])
            normalizer.normalize(&text)
            let want = expected[value] ?? [value]
            if text.scalars.map(\.value) != want {
                mismatches.append(String(format: "U+%04X → %@, expected %@", value,
                                         text.scalars.map { String(format: "%04X", $0.value) }.joined(separator: " "),
                                         want.map { String(format: "%04X", $0) }.joined(separator: " ")))
            }
        }
        #expect(mismatches.isEmpty, "\(name): \(mismatches.count) scalars differ: \(mismatches.prefix(20))")
    }

    @Test func normalizedTextsAndOffsetsMatchTokenizers() throws {
        let texts = try SentencePieceParityTests.texts()
        let lines = try Fixtures.jsonLines("tokenizers/sentencepiece/normalizer-offsets.jsonl", as: OffsetsLine.self)
        let normalizers = try Self.normalizers()
        #expect(lines.count > 100)
        for line in lines {
            let normalizer = try #require(normalizers[line.normalizer])
            let text = Self.normalized(texts[line.index], by: normalizer)
            let label = "\(line.normalizer) text \(line.index) \(texts[line.index].debugDescription)"
            #expect(text.scalars.elementsEqual(line.normalized.unicodeScalars), "\(label): \(text.string.debugDescription)")
            let offsets = text.scalars.indices.map { text.originalRange(of: $0..<($0 + 1)) }
            #expect(offsets == Fixtures.ranges(line.offsets), "\(label): offsets")
        }
    }
}
