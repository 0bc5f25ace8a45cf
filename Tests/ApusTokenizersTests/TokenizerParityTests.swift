import Foundation
import Testing
@testable import ApusTokenizers

/// The real all-MiniLM-L6-v2 tokenizer.json against Hugging Face `tokenizers` (Tests/Fixtures/minilm/tokenizer.jsonl,
/// made by scripts/make_minilm_fixtures.py): ids, type ids, offsets, special-token masks, truncation, pairs, decode.
struct TokenizerParityTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct Missing: Error, CustomStringConvertible { let description: String }

    static func tokenizer() throws -> Tokenizer {
        let path = ProcessInfo.processInfo.environment["APUS_MINILM_PATH"]
            ?? repositoryRoot.appendingPathComponent(".cache/models/all-MiniLM-L6-v2").path
        let url = URL(fileURLWithPath: path).appendingPathComponent("tokenizer.json")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw Missing(description: "all-MiniLM-L6-v2 not found at \(path): run scripts/fetch-minilm.sh (or set APUS_MINILM_PATH)")
        }
        return try Tokenizer(contentsOf: url)
    }

    struct Record: Decodable {
        struct Pair: Decodable {
            let with: Int
            let ids: [Int]
            let typeIds: [Int]
            let offsets: [[Int]]
            enum CodingKeys: String, CodingKey { case with, ids, typeIds = "type_ids", offsets }
        }
        let index: Int
        let ids: [Int]
        let typeIds: [Int]
        let offsets: [[Int]]
        let specialTokensMask: [Int]
        let truncatedIds: [Int]
        let decoded: String
        let pair: Pair?
        enum CodingKeys: String, CodingKey {
            case index, ids, typeIds = "type_ids", offsets, specialTokensMask = "special_tokens_mask"
            case truncatedIds = "truncated_ids", decoded, pair
        }
    }

    static func load() throws -> (texts: [String], records: [Record]) {
        let fixtures = repositoryRoot.appendingPathComponent("Tests/Fixtures")
        // JSONDecoder, not JSONSerialization: on Linux the latter drops a string's leading U+FEFF.
        struct Line: Decodable { let text: String }
        let texts = try String(contentsOf: fixtures.appendingPathComponent("texts/parity-texts.jsonl"), encoding: .utf8)
            .split(separator: "\n").map { try JSONDecoder().decode(Line.self, from: Data($0.utf8)).text }
        let records = try String(contentsOf: fixtures.appendingPathComponent("minilm/tokenizer.jsonl"), encoding: .utf8)
            .split(separator: "\n").map { try JSONDecoder().decode(Record.self, from: Data($0.utf8)) }
        return (texts, records)
    }

    static func ranges(_ offsets: [[Int]]) -> [Range<Int>] { offsets.map { $0[0]..<$0[1] } }

    @Test func everyTextEncodesAsInPython() throws {
        let tokenizer = try Self.tokenizer()
        let (texts, records) = try Self.load()
        #expect(records.count == texts.count && texts.count >= 200)
        var failures = 0
        for record in records {
            let text = texts[record.index]
            let encoding = tokenizer.encode(text)
            let label = "text \(record.index) \(text.prefix(50).debugDescription)"
            if encoding.ids != record.ids { failures += 1; Issue.record("\(label): ids \(encoding.ids) ≠ \(record.ids)"); continue }
            #expect(encoding.typeIds == record.typeIds, "\(label)")
            #expect(encoding.specialTokensMask == record.specialTokensMask, "\(label)")
            #expect(encoding.offsets == Self.ranges(record.offsets), "\(label): offsets")
            #expect(encoding.attentionMask == Array(repeating: 1, count: encoding.count))
            #expect(tokenizer.encode(text, truncation: Truncation(maxLength: 256)).ids == record.truncatedIds, "\(label): truncated")
            #expect(tokenizer.decode(encoding.ids) == record.decoded, "\(label): decode")
        }
        #expect(failures == 0)
    }

    @Test func pairsTruncateLongestFirstAsInPython() throws {
        let tokenizer = try Self.tokenizer()
        let (texts, records) = try Self.load()
        var checked = 0
        for record in records {
            guard let pair = record.pair else { continue }
            let encoding = tokenizer.encode(texts[record.index], pair: texts[pair.with], truncation: Truncation(maxLength: 64))
            #expect(encoding.ids == pair.ids, "pair \(record.index)+\(pair.with)")
            #expect(encoding.typeIds == pair.typeIds, "pair \(record.index)+\(pair.with)")
            #expect(encoding.offsets == Self.ranges(pair.offsets), "pair \(record.index)+\(pair.with)")
            checked += 1
        }
        #expect(checked >= 50)
    }

    @Test func fileSettingsAreExposedNotApplied() throws {
        let tokenizer = try Self.tokenizer()
        #expect(tokenizer.configuredTruncation == Truncation(maxLength: 128))
        #expect(tokenizer.paddingToken?.token == "[PAD]" && tokenizer.paddingToken?.id == 0)
        #expect(tokenizer.encode(String(repeating: "word ", count: 200)).count == 202)
        #expect(tokenizer.vocabularySize == 30522)
        #expect(tokenizer.tokenId(for: "[MASK]") == 103 && tokenizer.token(for: 7592) == "hello")
        #expect(tokenizer.encode("Hello", addSpecialTokens: false).ids == [7592])
    }
}
