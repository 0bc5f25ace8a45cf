import ApusTensor
import Foundation
import Testing
@testable import ApusModels

/// RoBERTa forward against PyTorch on tiny random checkpoints (scripts/make_tiny_encoder_fixtures.py): a bare
/// RobertaModel and an XLM-RoBERTa classifier whose encoder sits under the `roberta.` prefix. The references
/// include pad ids inside a sequence, which RoBERTa's position ids treat specially.
struct RobertaModelTests {
    func load(_ fixture: String) throws -> (any TextEncoder, BertModelTests.Reference) {
        let directory = BertModelTests.fixtures.appendingPathComponent(fixture)
        let reference = try JSONDecoder().decode(BertModelTests.Reference.self,
                                                 from: Data(contentsOf: directory.appendingPathComponent("reference.json")))
        return (try ModelRegistry.loadEncoder(directory: directory), reference)
    }

    @Test(arguments: ["tiny-roberta", "tiny-xlm-roberta"])
    func hiddenStatesMatchPyTorch(fixture: String) throws {
        let (model, reference) = try load(fixture)
        #expect(model is RobertaModel)
        for threads in [1, 2] {
            let pool = ThreadPool(threadCount: threads)
            // One sequence at a time, then all of them packed into one batch: both must match PyTorch.
            for item in reference.cases {
                let hidden = try model.encode(TokenBatch(sequences: [(item.ids, item.typeIds)]), pool: pool)
                let difference = maxAbsoluteDifference(hidden.scalars, item.hiddenStates.flatMap { $0 })
                #expect(difference <= BertModelTests.hiddenStateFP32, "\(fixture) \(item.ids), \(threads) threads: \(difference)")
            }
            let packed = try model.encode(TokenBatch(sequences: reference.cases.map { ($0.ids, $0.typeIds) }), pool: pool)
            let expected = reference.cases.flatMap { $0.hiddenStates.flatMap { $0 } }
            #expect(maxAbsoluteDifference(packed.scalars, expected) <= BertModelTests.hiddenStateFP32, "\(fixture) packed, \(threads) threads")
        }
    }

    /// Positions start at pad_token_id + 1, so 40 position rows number at most 40 − 1 − 1 = 38 tokens.
    @Test func longestSequenceIsPositionsAfterThePaddingRow() throws {
        let (model, _) = try load("tiny-roberta")
        let pool = ThreadPool(threadCount: 1)
        #expect(model.maxPositions == 38)
        #expect(try model.encode(TokenBatch(tokenIds: [Array(repeating: 5, count: 38)]), pool: pool).shape == [38, 32])
        #expect {
            try model.encode(TokenBatch(tokenIds: [[5], Array(repeating: 5, count: 39)]), pool: pool)
        } throws: { error in
            error as? ModelError == .sequenceTooLong(length: 39, maximum: 38) && String(describing: error).contains("maximum of 38")
        }
        #expect(throws: ModelError.tokenIdOutOfRange(id: 64, vocabularySize: 64)) {
            try model.encode(TokenBatch(tokenIds: [[0, 64]]), pool: pool)
        }
        // type_vocab_size is 1, as in roberta-base: a second segment is an error, not a silent read past the table.
        #expect(throws: ModelError.self) { try model.encode(TokenBatch(sequences: [([0, 5], [0, 1])]), pool: pool) }
    }

    /// `camembert` loads through the same code (its config differs from RoBERTa's only in `model_type`).
    @Test func camembertIsAnAlias() throws {
        let source = BertModelTests.fixtures.appendingPathComponent("tiny-roberta")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("apus-camembert-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.copyItem(at: source.appendingPathComponent("model.safetensors"),
                                         to: directory.appendingPathComponent("model.safetensors"))
        let config = try String(contentsOf: source.appendingPathComponent("config.json"), encoding: .utf8)
            .replacingOccurrences(of: "\"model_type\": \"roberta\"", with: "\"model_type\": \"camembert\"")
        #expect(config.contains("camembert"))
        try config.write(to: directory.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)

        let model = try ModelRegistry.loadEncoder(directory: directory)
        let (_, reference) = try load("tiny-roberta")
        let item = try #require(reference.cases.last)
        let hidden = try model.encode(TokenBatch(tokenIds: [item.ids]), pool: ThreadPool(threadCount: 1))
        #expect(maxAbsoluteDifference(hidden.scalars, item.hiddenStates.flatMap { $0 }) <= BertModelTests.hiddenStateFP32)
        #expect(ModelRegistry.supportedModelTypes.contains("xlm-roberta"))
    }

    @Test func paddingRowMustLeaveRoomForATokenNamingTheKey() throws {
        let object: [String: Any] = [
            "model_type": "roberta", "vocab_size": 100, "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2,
            "intermediate_size": 16, "max_position_embeddings": 3, "pad_token_id": 2,
        ]
        let configuration = try ConfigurationFile.decode(RobertaConfiguration.self, from: JSONSerialization.data(withJSONObject: object),
                                                         source: "config.json")
        #expect(configuration.robertaPaddingId == 2)
        #expect {
            try configuration.validateAsRoberta(source: "config.json")
        } throws: { error in
            guard case .invalidConfiguration(_, let field, _) = error as? ModelError else { return false }
            return field == "max_position_embeddings"
        }
        var withoutPad = object
        withoutPad["pad_token_id"] = nil
        withoutPad["max_position_embeddings"] = 514
        let defaulted = try ConfigurationFile.decode(RobertaConfiguration.self, from: JSONSerialization.data(withJSONObject: withoutPad),
                                                     source: "config.json")
        #expect(defaulted.robertaPaddingId == 1) // RobertaConfig's default
        try defaulted.validateAsRoberta(source: "config.json")
    }
}
