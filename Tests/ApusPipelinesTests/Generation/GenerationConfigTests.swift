import Foundation
import Testing
@testable import ApusPipelines

/// generation_config.json reading and merging with caller overrides, against transformers'
/// `_prepare_generation_config` / `_prepare_generated_length` (config-merge.json).
@Suite struct GenerationConfigTests {
    struct Merge: Decodable {
        let document: GenerationConfig
        let overrides: GenerationConfig
        let promptLength: Int
        let expected: Expected

        struct Expected: Decodable {
            let doSample: Bool
            let temperature: Double
            let topK: Int
            let topP: Double
            let minP: Double?
            let repetitionPenalty: Double
            let eosTokenIds: [Int]?
            let maxNewTokens: Int

            enum CodingKeys: String, CodingKey {
                case doSample = "do_sample", temperature, topK = "top_k", topP = "top_p", minP = "min_p"
                case repetitionPenalty = "repetition_penalty", eosTokenIds = "eos_token_ids", maxNewTokens = "max_new_tokens"
            }
        }

        enum CodingKeys: String, CodingKey {
            case document, overrides, promptLength = "prompt_length", expected
        }
    }

    @Test func mergesAsTransformersDoes() throws {
        let url = GenerationFixtures.directory.appendingPathComponent("config-merge.json")
        let merges = try JSONDecoder().decode([Merge].self, from: Data(contentsOf: url))
        #expect(merges.count == 20)
        for (index, merge) in merges.enumerated() {
            let merged = merge.document.merged(with: merge.overrides)
            // transformers validates sampling values only when sampling; resolve without validation for greedy cases.
            let parameters = SamplingParameters(
                doSample: merged.doSample ?? false, temperature: merged.temperature ?? 1, topK: merged.topK ?? 50,
                topP: merged.topP ?? 1, minP: merged.minP, repetitionPenalty: merged.repetitionPenalty ?? 1)
            #expect(try merged.resolved() == parameters, "merge \(index)")
            let expected = merge.expected
            #expect(parameters.doSample == expected.doSample, "merge \(index)")
            #expect(parameters.temperature == expected.temperature, "merge \(index)")
            #expect(parameters.topK == expected.topK, "merge \(index)")
            #expect(parameters.topP == expected.topP, "merge \(index)")
            #expect(parameters.minP == expected.minP, "merge \(index)")
            #expect(parameters.repetitionPenalty == expected.repetitionPenalty, "merge \(index)")
            #expect(merged.eosTokenIds == expected.eosTokenIds, "merge \(index)")
            #expect(merged.maximumNewTokens(promptLength: merge.promptLength) == expected.maxNewTokens, "merge \(index)")
        }
    }

    @Test func readsOneOrManyEndOfSequenceIds() throws {
        let single = try GenerationConfig(data: Data(#"{"eos_token_id": 2, "top_k": null}"#.utf8), source: "generation_config.json")
        #expect(single.eosTokenIds == [2])
        #expect(single.topK == nil)
        let many = try GenerationConfig(data: Data(#"{"eos_token_id": [1, 106], "do_sample": true}"#.utf8), source: "generation_config.json")
        #expect(many.eosTokenIds == [1, 106])
        #expect(StopConditions(many, promptLength: 3).endOfSequenceIds == [1, 106])
    }

    @Test func badFieldsNameTheFileAndField() {
        #expect(throws: (any Error).self) {
            try GenerationConfig(data: Data(#"{"eos_token_id": "x"}"#.utf8), source: "generation_config.json")
        }
        do {
            _ = try GenerationConfig(data: Data(#"{"temperature": "hot"}"#.utf8), source: "model/generation_config.json")
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("model/generation_config.json") && "\(error)".contains("temperature"), "\(error)")
        }
    }

    @Test func defaultLengthIsTwentyNewTokensCappedByThePositions() {
        let empty = GenerationConfig()
        #expect(empty.maximumNewTokens(promptLength: 7) == 20)
        #expect(empty.maximumNewTokens(promptLength: 7, maxPositionEmbeddings: 16) == 9)
        #expect(GenerationConfig(maxLength: 5).maximumNewTokens(promptLength: 7) == 0)
    }
}
