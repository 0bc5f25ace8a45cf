import Foundation
import Testing
@testable import ApusTokenizers

/// SentencePiece-style tokenizers (Precompiled + Metaspace + Unigram) against Hugging Face `tokenizers` on every
/// parity text (Tests/Fixtures/tokenizers/sentencepiece/, made by scripts/make_sentencepiece_tokenizer_fixtures.py):
/// ids, tokens, offsets, masks and decode output must be equal; for the two full references also pairs, strided
/// truncation with its overflowing windows, and padded batches.
@Suite struct SentencePieceParityTests {
    struct Encoded: Decodable {
        let ids: [Int]
        let offsets: [Int]
        let tokens: [String]?
        let typeIds: [Int]?
        let specialTokensMask: [Int]?
        let attentionMask: [Int]?
        let overflowing: [Encoded]?
        enum CodingKeys: String, CodingKey {
            case ids, offsets, tokens, overflowing
            case typeIds = "type_ids", specialTokensMask = "special_tokens_mask", attentionMask = "attention_mask"
        }
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
        /// Tokens that are not the vocabulary string of their id, by position.
        let tokens: [String: String]
        let offsets: [Int]
        let decoded: String
        let decodedWithSpecial: String?
        let specialTokensMask: [Int]?
        let pair: Pair?
        let strided: Encoded?
        let stridedPair: Encoded?
        enum CodingKeys: String, CodingKey {
            case index, ids, tokens, offsets, decoded, pair, strided
            case decodedWithSpecial = "decoded_with_special", specialTokensMask = "special_tokens_mask", stridedPair = "strided_pair"
        }
    }

    struct Batch: Decodable {
        struct Options: Decodable {
            let length: Int?
            let padToMultipleOf: Int?
            let direction: String?
            enum CodingKeys: String, CodingKey { case length, direction, padToMultipleOf = "pad_to_multiple_of" }
        }
        let batch: String
        let options: Options
        let texts: [Int]
        let pairsWith: [Int]
        let single: [Encoded]
        let pair: [Encoded]
        enum CodingKeys: String, CodingKey { case batch, options, texts, single, pair, pairsWith = "pairs_with" }
    }

    /// A reference line: a text's record or a batch.
    enum Line: Decodable {
        case record(Record)
        case batch(Batch)

        init(from decoder: any Decoder) throws {
            if let batch = try? Batch(from: decoder) { self = .batch(batch) } else { self = .record(try Record(from: decoder)) }
        }
    }

    /// The parity texts and the script's EXTRA_TEXTS, as the script numbers them.
    static let extraTexts = ["", "a     b", "   leading and trailing   ", String(repeating: "x", count: 300),
                             "\u{2581}already\u{2581}marked", "<mask> in <mask>front", "tab\there", "Ａ\u{301} ｶﾞ ﬁ ① ㍻",
                             "e\u{301}\u{323} q\u{307}\u{323} \u{117}\u{323}", "\u{1100}\u{1161}\u{11a8} \u{1100}\u{1161}",
                             "😀😀😀 👩\u{200d}💻", "<0x41> byte", "\u{1}\u{2}control\u{7f}", "\u{a0}nbsp\u{3000}ideo"]
    static let strideLength = 12
    static let stride = 3

    static func texts() throws -> [String] { try Fixtures.parityTexts() + extraTexts }

    static func tokenizer(_ name: String) throws -> Tokenizer {
        try Tokenizer(contentsOf: Fixtures.url("tokenizers/sentencepiece/\(name).tokenizer.json"))
    }

    static func lines(_ name: String) throws -> (records: [Record], batches: [Batch]) {
        let lines = try Fixtures.jsonLines("tokenizers/sentencepiece/\(name).reference.jsonl", as: Line.self)
        var records: [Record] = []
        var batches: [Batch] = []
        for line in lines {
            switch line {
            case .record(let record): records.append(record)
            case .batch(let batch): batches.append(batch)
            }
        }
        return (records, batches)
    }

    static func label(_ texts: [String], _ index: Int) -> String {
        "text \(index) \(String(texts[index].unicodeScalars.prefix(50)).debugDescription)"
    }

    static func expect(_ encoding: Encoding, _ expected: Encoded, _ label: String) {
        #expect(encoding.ids == expected.ids, "\(label): ids, tokens \(encoding.tokens)")
        #expect(encoding.offsets == Fixtures.ranges(expected.offsets), "\(label): offsets")
        if let tokens = expected.tokens { #expect(encoding.tokens == tokens, "\(label): tokens") }
        if let typeIds = expected.typeIds { #expect(encoding.typeIds == typeIds, "\(label): type ids") }
        if let mask = expected.specialTokensMask { #expect(encoding.specialTokensMask == mask, "\(label): special mask") }
        if let mask = expected.attentionMask { #expect(encoding.attentionMask == mask, "\(label): attention mask") }
        if let overflowing = expected.overflowing {
            #expect(encoding.overflowing.count == overflowing.count, "\(label): overflowing count")
            for (index, (window, expectedWindow)) in zip(encoding.overflowing, overflowing).enumerated() {
                expect(window, expectedWindow, "\(label) overflowing \(index)")
            }
        }
    }

    /// Plain encoding and decoding of every text.
    static func checkEveryText(_ name: String) throws {
        let tokenizer = try tokenizer(name)
        let texts = try texts()
        let (records, _) = try lines(name)
        try #require(records.count == texts.count, "\(name): \(records.count) records for \(texts.count) texts: rerun the script")
        for record in records {
            let label = "\(name) \(label(texts, record.index))"
            let encoding = tokenizer.encode(texts[record.index])
            #expect(encoding.ids == record.ids, "\(label): ids, tokens \(encoding.tokens)")
            let expectedTokens = record.ids.enumerated().map { position, id in
                record.tokens[String(position)] ?? tokenizer.token(for: id) ?? "(id \(id) not in the vocabulary)"
            }
            #expect(encoding.tokens == expectedTokens, "\(label): tokens")
            #expect(encoding.offsets == Fixtures.ranges(record.offsets), "\(label): offsets")
            if let mask = record.specialTokensMask { #expect(encoding.specialTokensMask == mask, "\(label): special mask") }
            #expect(tokenizer.decode(record.ids) == record.decoded, "\(label): decode")
            if let withSpecial = record.decodedWithSpecial {
                #expect(tokenizer.decode(record.ids, skipSpecialTokens: false) == withSpecial, "\(label): decode with special tokens")
            }
        }
    }

    /// Pairs, strided truncation with overflowing windows, and padded batches.
    static func checkPairsTruncationAndPadding(_ name: String) throws {
        let tokenizer = try tokenizer(name)
        let texts = try texts()
        let (records, batches) = try lines(name)
        var strided = 0
        for record in records {
            let label = "\(name) \(label(texts, record.index))"
            if let pair = record.pair {
                let encoding = tokenizer.encode(texts[record.index], pair: texts[pair.with])
                expect(encoding, Encoded(ids: pair.ids, offsets: pair.offsets, tokens: nil, typeIds: pair.typeIds,
                                         specialTokensMask: pair.specialTokensMask, attentionMask: nil, overflowing: nil), "\(label) pair")
            }
            let truncation = Truncation(maxLength: strideLength, stride: stride)
            if let expected = record.strided {
                expect(tokenizer.encode(texts[record.index], truncation: truncation), expected, "\(label) strided")
                strided += 1
            }
            if let expected = record.stridedPair {
                expect(tokenizer.encode(texts[record.index], pair: texts[record.index + 1], truncation: truncation), expected, "\(label) strided pair")
            }
        }
        #expect(strided > 10)
        #expect(batches.count == 4)
        for batch in batches {
            let padId = tokenizer.tokenId(for: "<pad>") ?? 0
            var padding = Padding(padId: padId, padTypeId: 0, padToken: "<pad>")
            if let length = batch.options.length { padding.strategy = .fixed(length) }
            padding.padToMultipleOf = batch.options.padToMultipleOf
            if batch.options.direction == "left" { padding.direction = .left }
            let singles = Array(texts[batch.texts[0]..<batch.texts[1]])
            let seconds = Array(texts[batch.pairsWith[0]..<batch.pairsWith[1]])
            let encodings = tokenizer.encodeBatch(singles, padding: padding)
            #expect(encodings.count == batch.single.count)
            for (index, (encoding, expected)) in zip(encodings, batch.single).enumerated() {
                expect(encoding, expected, "\(name) batch \(batch.batch) \(index)")
            }
            let pairs = tokenizer.encodeBatch(zip(singles, seconds).map { ($0, $1) }, padding: padding)
            for (index, (encoding, expected)) in zip(pairs, batch.pair).enumerated() {
                expect(encoding, expected, "\(name) pair batch \(batch.batch) \(index)")
            }
        }
    }

    @Test func xlmRobertaEncodesEveryTextAsInPython() throws { try Self.checkEveryText("xlm-roberta") }

    @Test func xlmRobertaPairsTruncationAndPaddingMatchPython() throws { try Self.checkPairsTruncationAndPadding("xlm-roberta") }

    @Test func trainedUnigramWithByteFallbackEncodesEveryTextAsInPython() throws { try Self.checkEveryText("unigram-trained") }

    @Test func trainedUnigramPairsTruncationAndPaddingMatchPython() throws { try Self.checkPairsTruncationAndPadding("unigram-trained") }

    /// What transformers' converters write today: Precompiled (ALBERT: after NFKD, StripAccents, Lowercase), Strip,
    /// Replace with a regex, Metaspace, each model's template.
    @Test(arguments: ["t5-converted", "albert-converted", "camembert-converted"])
    func convertedTokenizerEncodesEveryTextAsInPython(name: String) throws { try Self.checkEveryText(name) }
}
