import Foundation
import Testing
@testable import ApusTokenizers

/// Small tokenizer.json variants (normalizer options, added-token flags, BertProcessing, truncation of pairs)
/// against Hugging Face `tokenizers` (Tests/Fixtures/tokenizers/wordpiece-variants.json, made by
/// scripts/make_tokenizer_fixtures.py).
struct WordPieceVariantsTests {
    struct Fixture: Decodable {
        struct Variant: Decodable {
            let name: String
            let tokenizerJSON: String
            let cases: [Case]
            enum CodingKeys: String, CodingKey { case name, tokenizerJSON = "tokenizer_json", cases }
        }
        struct Case: Decodable {
            let text: String
            let pair: String?
            let maxLength: Int?
            let addSpecialTokens: Bool?
            let ids: [Int]
            let tokens: [String]
            let offsets: [[Int]]
            let typeIds: [Int]
            let specialTokensMask: [Int]
            let decoded: String
            let decodedWithSpecial: String
            enum CodingKeys: String, CodingKey {
                case text, pair, maxLength = "max_length", addSpecialTokens = "add_special_tokens", ids, tokens, offsets
                case typeIds = "type_ids", specialTokensMask = "special_tokens_mask", decoded, decodedWithSpecial = "decoded_with_special"
            }
        }
        let variants: [Variant]
    }

    static func fixture() throws -> Fixture {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/tokenizers/wordpiece-variants.json")
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    @Test func everyVariantMatchesPython() throws {
        let fixture = try Self.fixture()
        #expect(fixture.variants.count == 8)
        for variant in fixture.variants {
            let tokenizer = try Tokenizer(data: Data(variant.tokenizerJSON.utf8), source: variant.name)
            for item in variant.cases {
                let encoding = tokenizer.encode(item.text, pair: item.pair, addSpecialTokens: item.addSpecialTokens ?? true,
                                                truncation: item.maxLength.map { Truncation(maxLength: $0) })
                let label = "\(variant.name): \(item.text.debugDescription)\(item.pair.map { " + \($0.debugDescription)" } ?? "") max \(item.maxLength ?? 0)"
                #expect(encoding.ids == item.ids, "\(label): tokens \(encoding.tokens) ≠ \(item.tokens)")
                #expect(encoding.tokens == item.tokens, "\(label)")
                #expect(encoding.offsets == item.offsets.map { $0[0]..<$0[1] }, "\(label): offsets")
                #expect(encoding.typeIds == item.typeIds, "\(label): type ids")
                #expect(encoding.specialTokensMask == item.specialTokensMask, "\(label): special mask")
                #expect(tokenizer.decode(encoding.ids) == item.decoded, "\(label): decode")
                #expect(tokenizer.decode(encoding.ids, skipSpecialTokens: false) == item.decodedWithSpecial, "\(label): decode with specials")
            }
        }
    }
}

/// Files Apus cannot use get errors naming the file, the field and what was expected.
struct TokenizerErrorTests {
    static let minimalModel = #""model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[UNK]": 0, "a": 1}}"#

    func error(_ json: String) -> String? {
        do {
            _ = try Tokenizer(data: Data(json.utf8), source: "bad/tokenizer.json")
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func malformedFiles() {
        #expect(error("{\"model\": ")?.contains("bad/tokenizer.json") == true)
        #expect(error("[]")?.contains("not an object") == true)
        #expect(error("{}")?.contains("'model'") == true)
        #expect(error(#"{"model": {"type": "WordPiece", "unk_token": "[UNK]"}}"#)?.contains("model.vocab") == true)
        #expect(error(#"{"model": {"type": "WordPiece", "unk_token": "[X]", "vocab": {"a": 1}}}"#)?.contains("[X]") == true)
        #expect(error(#"{"model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[UNK]": "zero"}}}"#)?.contains("model.vocab.[UNK]") == true)
    }

    @Test func unsupportedComponentsListTheSupportedOnes() {
        let normalizer = error("{\(Self.minimalModel), \"normalizer\": {\"type\": \"Precompiled\"}}")
        #expect(normalizer?.contains("normalizer type 'Precompiled'") == true && normalizer?.contains("BertNormalizer") == true)
        let model = error(#"{"model": {"type": "Unigram", "vocab": []}}"#)
        #expect(model?.contains("model type 'Unigram'") == true && model?.contains("WordPiece") == true)
        #expect(error("{\(Self.minimalModel), \"pre_tokenizer\": {\"type\": \"ByteLevel\"}}")?.contains("pre_tokenizer type 'ByteLevel'") == true)
        #expect(error("{\(Self.minimalModel), \"post_processor\": {\"type\": \"RobertaProcessing\"}}")?.contains("RobertaProcessing") == true)
        #expect(error("{\(Self.minimalModel), \"decoder\": {\"type\": \"ByteLevel\"}}")?.contains("decoder type 'ByteLevel'") == true)
    }

    @Test func nullComponentsAreAllowed() throws {
        let tokenizer = try Tokenizer(data: Data("{\(Self.minimalModel), \"normalizer\": null, \"pre_tokenizer\": null, \"post_processor\": null, \"decoder\": null}".utf8),
                                      source: "t")
        #expect(tokenizer.encode("a").ids == [1])
        #expect(tokenizer.encode("b").ids == [0])
    }
}
