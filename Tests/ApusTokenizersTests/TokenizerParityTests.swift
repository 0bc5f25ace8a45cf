import Foundation
import Testing
@testable import ApusTokenizers

/// The real all-MiniLM-L6-v2 tokenizer.json against Hugging Face `tokenizers` on every parity text
/// (Tests/Fixtures/tokenizers/minilm-reference.jsonl, made by scripts/make_tokenizer_fixtures.py): ids,
/// offsets, type ids, special-token masks and decode output must be equal, for plain encoding, truncation to 256
/// and longest-first pairs truncated to 64.
@Suite struct TokenizerParityTests {
    struct Encoded: Decodable {
        let ids: [Int]
        let offsets: [Int]
        let typeIds: [Int]?
        let specialTokensMask: [Int]?
        enum CodingKeys: String, CodingKey { case ids, offsets, typeIds = "type_ids", specialTokensMask = "special_tokens_mask" }
    }

    struct Pair: Decodable {
        let with: Int
        let ids: [Int]
        let offsets: [Int]
        let typeIds: [Int]
        let specialTokensMask: [Int]
        enum CodingKeys: String, CodingKey { case with, ids, offsets, typeIds = "type_ids", specialTokensMask = "special_tokens_mask" }
    }

    struct Record: Decodable {
        let index: Int
        let ids: [Int]
        let offsets: [Int]
        let decoded: String
        let decodedWithSpecial: String?
        let truncated: Encoded?
        let pair: Pair?
        enum CodingKeys: String, CodingKey {
            case index, ids, offsets, decoded, decodedWithSpecial = "decoded_with_special", truncated, pair
        }
    }

    static let minimumTextCount = 200
    static let truncatedLength = 256
    static let pairLength = 64

    static func load() throws -> (tokenizer: Tokenizer, texts: [String], records: [Record]) {
        let tokenizer = try Fixtures.miniLMTokenizer()
        let texts = try Fixtures.parityTexts()
        let records = try Fixtures.jsonLines("tokenizers/minilm-reference.jsonl", as: Record.self)
        try #require(records.count == texts.count,
                     "minilm-reference.jsonl has \(records.count) records for \(texts.count) texts: rerun scripts/make_tokenizer_fixtures.py")
        return (tokenizer, texts, records)
    }

    /// A single sequence's type ids (all 0) and special-token mask ([CLS] and [SEP] are 1; added tokens found in
    /// the text are 0), which the fixture does not repeat for every text.
    static func expectSingleSequenceShape(_ encoding: Encoding, _ label: String) {
        #expect(encoding.typeIds == Array(repeating: 0, count: encoding.count), "\(label): type ids")
        #expect(encoding.specialTokensMask == [1] + Array(repeating: 0, count: max(encoding.count - 2, 0)) + [1], "\(label): special mask")
        #expect(encoding.attentionMask == Array(repeating: 1, count: encoding.count), "\(label): attention mask")
    }

    @Test func everyTextEncodesAsInPython() throws {
        let (tokenizer, texts, records) = try Self.load()
        #expect(texts.count >= Self.minimumTextCount)
        for record in records {
            let text = texts[record.index]
            let label = "text \(record.index) \(String(text.unicodeScalars.prefix(60)).debugDescription)"
            let encoding = tokenizer.encode(text)
            #expect(encoding.ids == record.ids, "\(label): tokens \(encoding.tokens)")
            #expect(encoding.offsets == Fixtures.ranges(record.offsets), "\(label): offsets")
            Self.expectSingleSequenceShape(encoding, label)
            #expect(tokenizer.decode(record.ids) == record.decoded, "\(label): decode")
            if let withSpecial = record.decodedWithSpecial {
                #expect(tokenizer.decode(record.ids, skipSpecialTokens: false) == withSpecial, "\(label): decode with special tokens")
            }
        }
    }

    @Test func truncationTo256MatchesPython() throws {
        let (tokenizer, texts, records) = try Self.load()
        var truncatedTexts = 0
        for record in records {
            let label = "text \(record.index)"
            let encoding = tokenizer.encode(texts[record.index], truncation: Truncation(maxLength: Self.truncatedLength))
            let expected = record.truncated ?? Encoded(ids: record.ids, offsets: record.offsets, typeIds: nil, specialTokensMask: nil)
            #expect(encoding.ids == expected.ids, "\(label): truncated ids")
            #expect(encoding.offsets == Fixtures.ranges(expected.offsets), "\(label): truncated offsets")
            #expect(encoding.count <= Self.truncatedLength)
            Self.expectSingleSequenceShape(encoding, label)
            if record.truncated != nil { truncatedTexts += 1 }
        }
        #expect(truncatedTexts > 0, "the parity texts should include some longer than \(Self.truncatedLength) tokens")
    }

    @Test func pairsTruncatedLongestFirstMatchPython() throws {
        let (tokenizer, texts, records) = try Self.load()
        var pairs = 0
        for record in records {
            guard let pair = record.pair else { continue }
            let label = "pair \(record.index)+\(pair.with)"
            let encoding = tokenizer.encode(texts[record.index], pair: texts[pair.with], truncation: Truncation(maxLength: Self.pairLength))
            #expect(encoding.ids == pair.ids, "\(label): tokens \(encoding.tokens)")
            #expect(encoding.offsets == Fixtures.ranges(pair.offsets), "\(label): offsets")
            #expect(encoding.typeIds == pair.typeIds, "\(label): type ids")
            #expect(encoding.specialTokensMask == pair.specialTokensMask, "\(label): special mask")
            pairs += 1
        }
        #expect(pairs >= Self.minimumTextCount / 4)
    }

    @Test func batchEncodingEqualsOneByOne() throws {
        let (tokenizer, texts, _) = try Self.load()
        let truncation = Truncation(maxLength: Self.truncatedLength)
        #expect(tokenizer.encodeBatch(texts, truncation: truncation) == texts.map { tokenizer.encode($0, truncation: truncation) })
    }

    @Test func fileSettingsAreExposedButNotApplied() throws {
        let tokenizer = try Fixtures.miniLMTokenizer()
        #expect(tokenizer.configuredTruncation == Truncation(maxLength: 128))
        #expect(tokenizer.configuredPadding == Padding(strategy: .fixed(128), padToken: "[PAD]"))
        #expect(tokenizer.paddingToken?.token == "[PAD]" && tokenizer.paddingToken?.id == 0)
        let long = tokenizer.encode(String(repeating: "word ", count: 200))
        #expect(long.count == 202, "neither the file's truncation (128) nor its padding applies")
        #expect(tokenizer.encode("Hello").count == 3)
        #expect(tokenizer.vocabularySize == 30522)
        #expect(tokenizer.tokenId(for: "[MASK]") == 103 && tokenizer.token(for: 7592) == "hello")
        #expect(tokenizer.encode("Hello", addSpecialTokens: false).ids == [7592])
    }

    /// Not a correctness check: prints how fast the parity set tokenises, for the record.
    @Test func throughputOnTheParitySet() throws {
        let (tokenizer, texts, _) = try Self.load()
        let repetitions = 20
        let clock = ContinuousClock()
        var tokens = 0
        let elapsed = clock.measure {
            for _ in 0..<repetitions { for text in texts { tokens += tokenizer.encode(text).count } }
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        print("ApusTokenizers: \(Int(Double(repetitions * texts.count) / seconds)) texts/s, "
              + "\(Int(Double(tokens) / seconds)) tokens/s on the \(texts.count) parity texts (one thread)")
    }
}
