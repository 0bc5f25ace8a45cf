import ApusTensor
import Foundation
import Testing
@testable import ApusModels

/// DistilBERT forward against PyTorch on a tiny random checkpoint (scripts/make_tiny_encoder_fixtures.py), and its
/// configuration keys.
struct DistilBertModelTests {
    static let directory = BertModelTests.fixtures.appendingPathComponent("tiny-distilbert")

    func load() throws -> (any TextEncoder, BertModelTests.Reference) {
        let reference = try JSONDecoder().decode(BertModelTests.Reference.self,
                                                 from: Data(contentsOf: Self.directory.appendingPathComponent("reference.json")))
        return (try ModelRegistry.loadEncoder(directory: Self.directory), reference)
    }

    @Test func hiddenStatesMatchPyTorch() throws {
        let (model, reference) = try load()
        #expect(model is DistilBertModel)
        for threads in [1, 2] {
            let pool = ThreadPool(threadCount: threads)
            for item in reference.cases {
                let hidden = try model.encode(TokenBatch(sequences: [(item.ids, item.typeIds)]), pool: pool)
                let difference = maxAbsoluteDifference(hidden.scalars, item.hiddenStates.flatMap { $0 })
                #expect(difference <= BertModelTests.hiddenStateFP32, "length \(item.ids.count), \(threads) threads: \(difference)")
            }
            let packed = try model.encode(TokenBatch(sequences: reference.cases.map { ($0.ids, $0.typeIds) }), pool: pool)
            let expected = reference.cases.flatMap { $0.hiddenStates.flatMap { $0 } }
            #expect(maxAbsoluteDifference(packed.scalars, expected) <= BertModelTests.hiddenStateFP32, "packed, \(threads) threads")
        }
    }

    /// DistilBertModel takes no token type ids, so a BERT tokenizer's segment ids must not change the result.
    @Test func typeIdsAreIgnored() throws {
        let (model, reference) = try load()
        let pool = ThreadPool(threadCount: 1)
        let item = try #require(reference.cases.first { $0.ids.count == 5 })
        let hidden = try model.encode(TokenBatch(sequences: [(item.ids, [0, 0, 1, 1, 1])]), pool: pool)
        #expect(maxAbsoluteDifference(hidden.scalars, item.hiddenStates.flatMap { $0 }) <= BertModelTests.hiddenStateFP32)
    }

    @Test func tooLongSequenceNamesTheLimit() throws {
        let (model, _) = try load()
        let pool = ThreadPool(threadCount: 1)
        #expect(model.maxPositions == 40)
        #expect {
            try model.encode(TokenBatch(tokenIds: [Array(repeating: 3, count: 41)]), pool: pool)
        } throws: { error in
            error as? ModelError == .sequenceTooLong(length: 41, maximum: 40) && String(describing: error).contains("maximum of 40")
        }
        #expect(throws: ModelError.tokenIdOutOfRange(id: -1, vocabularySize: 64)) {
            try model.encode(TokenBatch(tokenIds: [[-1]]), pool: pool)
        }
    }

    static var minimal: [String: Any] { [
        "model_type": "distilbert", "vocab_size": 100, "dim": 8, "n_layers": 2, "n_heads": 2, "hidden_dim": 16,
    ] }

    func decode(_ object: [String: Any]) throws -> DistilBertConfiguration {
        let configuration = try ConfigurationFile.decode(DistilBertConfiguration.self,
                                                         from: JSONSerialization.data(withJSONObject: object), source: "config.json")
        try configuration.validate(source: "config.json")
        return configuration
    }

    @Test(arguments: ["vocab_size", "dim", "n_layers", "n_heads", "hidden_dim"])
    func missingRequiredKeyIsNamed(key: String) throws {
        var object = Self.minimal
        object[key] = nil
        #expect(throws: ModelError.missingConfigurationKey(file: "config.json", key: key)) { try decode(object) }
    }

    @Test func defaultsAndBadValuesNameTheKey() throws {
        let configuration = try decode(Self.minimal)
        #expect(configuration.hiddenActivation == "gelu")
        #expect(configuration.maxPositions == 512)
        var object = Self.minimal
        object["activation"] = "mish"
        #expect {
            try decode(object)
        } throws: { error in
            guard case .unsupportedConfigurationValue(_, let key, _, _) = error as? ModelError else { return false }
            return key == "activation"
        }
        object = Self.minimal
        object["n_heads"] = 3
        #expect {
            try decode(object)
        } throws: { error in
            guard case .invalidConfiguration(_, let field, _) = error as? ModelError else { return false }
            return field == "dim"
        }
    }
}
