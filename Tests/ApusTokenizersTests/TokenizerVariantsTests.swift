import Foundation
import Testing
@testable import ApusTokenizers

/// Small tokenizer.json variants against Hugging Face `tokenizers` (Tests/Fixtures/tokenizers/wordpiece-variants.json,
/// made by scripts/make_tokenizer_fixtures.py): BertNormalizer options (strip_accents true/false/null, lowercase
/// false, handle_chinese_chars and clean_text off), Sequence normalizers and pre-tokenizers, added tokens with
/// lstrip/rstrip/single_word/normalized, BertProcessing, a template that puts $B first, no post-processor, a tiny
/// max_input_chars_per_word, and every truncation strategy and direction — all compared exactly.
@Suite struct TokenizerVariantsTests {
    struct Fixture: Decodable {
        let tokenizers: String
        let variants: [Variant]
    }

    struct Variant: Decodable {
        let name: String
        let tokenizerJSON: String
        let cases: [Case]
        enum CodingKeys: String, CodingKey { case name, tokenizerJSON = "tokenizer_json", cases }
    }

    struct Case: Decodable {
        struct TruncationSettings: Decodable {
            let strategy: String
            let direction: String
            let maxLength: Int
            enum CodingKeys: String, CodingKey { case strategy, direction, maxLength = "max_length" }
        }
        let text: String
        let pair: String?
        let addSpecialTokens: Bool?
        let truncation: TruncationSettings?
        let pythonError: String?
        let ids: [Int]
        let tokens: [String]
        let offsets: [Int]
        let typeIds: [Int]
        let specialTokensMask: [Int]
        let decoded: String?
        let decodedWithSpecial: String?
        enum CodingKeys: String, CodingKey {
            case text, pair, addSpecialTokens = "add_special_tokens", truncation, pythonError = "python_error", ids, tokens, offsets
            case typeIds = "type_ids", specialTokensMask = "special_tokens_mask", decoded, decodedWithSpecial = "decoded_with_special"
        }
    }

    static let expectedVariantCount = 14

    static func truncation(_ settings: Case.TruncationSettings?) throws -> Truncation? {
        guard let settings else { return nil }
        let strategies: [String: Truncation.Strategy] = ["longest_first": .longestFirst, "only_first": .onlyFirst, "only_second": .onlySecond]
        let directions: [String: Truncation.Direction] = ["right": .right, "left": .left]
        return Truncation(maxLength: settings.maxLength, strategy: try #require(strategies[settings.strategy]),
                          direction: try #require(directions[settings.direction]))
    }

    @Test func everyVariantMatchesPython() throws {
        let fixture = try Fixtures.json("tokenizers/wordpiece-variants.json", as: Fixture.self)
        #expect(fixture.variants.count == Self.expectedVariantCount)
        var pythonErrors = 0
        for variant in fixture.variants {
            let tokenizer = try Tokenizer(json: variant.tokenizerJSON, source: variant.name)
            for item in variant.cases {
                let encoding = tokenizer.encode(item.text, pair: item.pair, addSpecialTokens: item.addSpecialTokens ?? true,
                                                truncation: try Self.truncation(item.truncation))
                var label = "\(variant.name): \(item.text.debugDescription)"
                if let pair = item.pair { label += " + \(pair.debugDescription)" }
                if item.addSpecialTokens == false { label += " without special tokens" }
                if let truncation = item.truncation { label += " truncated \(truncation.strategy) \(truncation.direction) to \(truncation.maxLength)" }
                if item.pythonError != nil { pythonErrors += 1 }
                #expect(encoding.ids == item.ids, "\(label): tokens \(encoding.tokens), expected \(item.tokens)")
                #expect(encoding.tokens == item.tokens, "\(label)")
                #expect(encoding.offsets == Fixtures.ranges(item.offsets), "\(label): offsets")
                #expect(encoding.typeIds == item.typeIds, "\(label): type ids")
                #expect(encoding.specialTokensMask == item.specialTokensMask, "\(label): special mask")
                if let decoded = item.decoded {
                    #expect(tokenizer.decode(encoding.ids) == decoded, "\(label): decode")
                }
                if let decodedWithSpecial = item.decodedWithSpecial {
                    #expect(tokenizer.decode(encoding.ids, skipSpecialTokens: false) == decodedWithSpecial, "\(label): decode with special tokens")
                }
            }
        }
        #expect(pythonErrors > 0, "the fixture should include truncations tokenizers refuses (Apus leaves those whole)")
    }
}
