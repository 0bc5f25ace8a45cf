import Foundation
import Testing
@testable import ApusTokenizers

/// Tiny BPE and WordLevel tokenizers configured like GPT-2, RoBERTa, Llama 2, Llama 3, Qwen2 (and a WordLevel, a
/// prefix/suffix BPE and a CTC decoder) against Hugging Face `tokenizers` on every parity text and on edge cases
/// (Tests/Fixtures/tokenizers/bpe/<name>/, made by scripts/make_bpe_tokenizer_fixtures.py): ids, tokens, offsets,
/// type ids, special-token masks, decode with and without special tokens, truncation, pairs, and decoding of random
/// id lists. Strings are compared by exact scalars (Swift's `==` would equate "é" and "e\u{301}").
@Suite struct BPEParityTests {
    static let tokenizerNames = ["gpt2", "roberta", "roberta-prefix", "llama2", "llama3", "qwen2", "wordlevel", "bpe-affixes", "ctc"]

    struct Encoded: Decodable {
        let ids: [Int]
        let offsets: [Int]?
        let tokens: [String]?
        let special: [Int]?
        let typeIds: [Int]?
        enum CodingKeys: String, CodingKey { case ids, offsets, tokens, special, typeIds = "type_ids" }
    }

    struct Pair: Decodable {
        let with: Int
        let encoded: Encoded
        init(from decoder: any Decoder) throws {
            with = try decoder.container(keyedBy: CodingKeys.self).decode(Int.self, forKey: .with)
            encoded = try Encoded(from: decoder)
        }
        enum CodingKeys: String, CodingKey { case with }
    }

    /// Truncation with a stride: the kept tokens, how many windows overflowed, and the first few of them.
    struct Strided: Decodable {
        let with: Int?
        let encoded: Encoded
        let windows: Int
        let overflowing: [Encoded]
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            with = try container.decodeIfPresent(Int.self, forKey: .with)
            windows = try container.decode(Int.self, forKey: .windows)
            overflowing = try container.decode([Encoded].self, forKey: .overflowing)
            encoded = try Encoded(from: decoder)
        }
        enum CodingKeys: String, CodingKey { case with, windows, overflowing }
    }

    struct Record: Decodable {
        let index: Int
        let encoded: Encoded
        let decoded: String?
        let decodedWithSpecial: String?
        let idsWithoutSpecial: [Int]?
        let truncated: Encoded?
        let pair: Pair?
        let strided: Strided?
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            index = try container.decode(Int.self, forKey: .index)
            encoded = try Encoded(from: decoder)
            decoded = try container.decodeIfPresent(String.self, forKey: .decoded)
            decodedWithSpecial = try container.decodeIfPresent(String.self, forKey: .decodedWithSpecial)
            idsWithoutSpecial = try container.decodeIfPresent([Int].self, forKey: .idsWithoutSpecial)
            truncated = try container.decodeIfPresent(Encoded.self, forKey: .truncated)
            pair = try container.decodeIfPresent(Pair.self, forKey: .pair)
            strided = try container.decodeIfPresent(Strided.self, forKey: .strided)
        }
        enum CodingKeys: String, CodingKey {
            case index = "i", decoded, decodedWithSpecial = "decoded_with_special", idsWithoutSpecial = "ids_without_special"
            case truncated, pair, strided
        }
    }

    struct DecodeCase: Decodable {
        let ids: [Int]
        let decoded: String
        let decodedWithSpecial: String
        enum CodingKeys: String, CodingKey { case ids, decoded, decodedWithSpecial = "decoded_with_special" }
    }

    struct Reference: Decodable {
        let parityTexts: Int
        let extraTexts: [String]
        let truncatedLength: Int
        let stride: Int
        let pairLength: Int
        let records: [Record]
        let decodeCases: [DecodeCase]
        enum CodingKeys: String, CodingKey {
            case parityTexts = "parity_texts", extraTexts = "extra_texts", truncatedLength = "truncated_length", stride
            case pairLength = "pair_length", records, decodeCases = "decode_cases"
        }
    }

    static func load(_ name: String) throws -> (tokenizer: Tokenizer, texts: [String], reference: Reference) {
        let tokenizer = try Tokenizer(contentsOf: Fixtures.url("tokenizers/bpe/\(name)/tokenizer.json"))
        let reference = try Fixtures.json("tokenizers/bpe/\(name)/reference.json", as: Reference.self)
        let parity = try Fixtures.parityTexts()
        try #require(reference.parityTexts == parity.count, "\(name): rerun scripts/make_bpe_tokenizer_fixtures.py")
        return (tokenizer, parity + reference.extraTexts, reference)
    }

    /// Exact scalars, for messages and comparisons.
    static func scalars(_ text: String) -> [Unicode.Scalar] { Array(text.unicodeScalars) }

    static func expect(_ encoding: Encoding, equals expected: Encoded, _ label: String) {
        #expect(encoding.ids == expected.ids, "\(label): ids, tokens \(encoding.tokens)")
        if let offsets = expected.offsets {
            #expect(encoding.offsets == Fixtures.ranges(offsets), "\(label): offsets")
        }
        if let tokens = expected.tokens {
            #expect(encoding.tokens.map(scalars) == tokens.map(scalars), "\(label): tokens")
        }
        let specialPositions = encoding.specialTokensMask.indices.filter { encoding.specialTokensMask[$0] == 1 }
        #expect(specialPositions == expected.special ?? [], "\(label): special-token mask")
        #expect(encoding.typeIds == expected.typeIds ?? Array(repeating: 0, count: encoding.count), "\(label): type ids")
        #expect(encoding.attentionMask == Array(repeating: 1, count: encoding.count), "\(label): attention mask")
    }

    @Test(arguments: tokenizerNames)
    func everyTextEncodesAndDecodesAsInPython(_ name: String) throws {
        let (tokenizer, texts, reference) = try Self.load(name)
        #expect(reference.records.count == texts.count)
        for record in reference.records {
            let text = texts[record.index]
            let label = "\(name) text \(record.index) \(String(text.unicodeScalars.prefix(50)).debugDescription)"
            let encoding = tokenizer.encode(text)
            Self.expect(encoding, equals: record.encoded, label)
            let decoded = record.decoded ?? text
            #expect(Self.scalars(tokenizer.decode(record.encoded.ids)) == Self.scalars(decoded), "\(label): decode")
            #expect(Self.scalars(tokenizer.decode(record.encoded.ids, skipSpecialTokens: false)) == Self.scalars(record.decodedWithSpecial ?? decoded),
                    "\(label): decode with special tokens")
            if let ids = record.idsWithoutSpecial {
                #expect(tokenizer.encode(text, addSpecialTokens: false).ids == ids, "\(label): without special tokens")
            }
        }
    }

    @Test(arguments: tokenizerNames)
    func truncationAndPairsMatchPython(_ name: String) throws {
        let (tokenizer, texts, reference) = try Self.load(name)
        var pairs = 0
        for record in reference.records {
            let label = "\(name) text \(record.index)"
            let truncated = tokenizer.encode(texts[record.index], truncation: Truncation(maxLength: reference.truncatedLength))
            #expect(truncated.ids == (record.truncated ?? record.encoded).ids, "\(label): truncated ids")
            if let pair = record.pair {
                let encoding = tokenizer.encode(texts[record.index], pair: texts[pair.with], truncation: Truncation(maxLength: reference.pairLength))
                Self.expect(encoding, equals: pair.encoded, "\(label) + \(pair.with)")
                pairs += 1
            }
        }
        #expect(pairs > 50)
    }

    /// Overflowing windows get the post-processor's special tokens and offset trimming, as in tokenizers.
    @Test(arguments: tokenizerNames)
    func stridedTruncationMatchesPython(_ name: String) throws {
        let (tokenizer, texts, reference) = try Self.load(name)
        let truncation = Truncation(maxLength: reference.truncatedLength, stride: reference.stride)
        var checked = 0
        for record in reference.records {
            guard let strided = record.strided else { continue }
            let label = "\(name) text \(record.index) strided"
            let encoding = tokenizer.encode(texts[record.index], pair: strided.with.map { texts[$0] }, truncation: truncation)
            Self.expect(encoding, equals: strided.encoded, label)
            #expect(encoding.overflowing.count == strided.windows, "\(label): windows")
            for (index, window) in zip(encoding.overflowing, strided.overflowing).enumerated() {
                Self.expect(window.0, equals: window.1, "\(label) window \(index)")
            }
            checked += 1
        }
        #expect(checked >= 5)
    }

    @Test(arguments: tokenizerNames)
    func randomIdListsDecodeAsInPython(_ name: String) throws {
        let (tokenizer, _, reference) = try Self.load(name)
        for (index, decodeCase) in reference.decodeCases.enumerated() {
            #expect(Self.scalars(tokenizer.decode(decodeCase.ids)) == Self.scalars(decodeCase.decoded), "\(name) decode case \(index) \(decodeCase.ids)")
            #expect(Self.scalars(tokenizer.decode(decodeCase.ids, skipSpecialTokens: false)) == Self.scalars(decodeCase.decodedWithSpecial),
                    "\(name) decode case \(index) with special tokens")
        }
    }
}
