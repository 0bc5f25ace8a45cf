import ApusTensor
import Foundation
import Testing
@testable import ApusModels

/// BertForTokenClassification against PyTorch on a tiny random checkpoint (scripts/make_tiny_ner_fixtures.py):
/// per-token logits one text at a time and packed, on 1 and 2 threads; labels; loading errors.
struct TokenClassificationTests {
    static let directory = SequenceClassificationTests.fixtures.appendingPathComponent("tiny-bert-ner")
    /// Max |Δ| of fp32 logits against PyTorch.
    static let logitsFP32: Float = 1e-4

    struct Reference: Decodable {
        struct Case: Decodable {
            let text: String
            let ids: [Int]
            let logits: [[Float]]
        }
        let labels: [String]
        let cases: [Case]
    }

    func load() throws -> (TokenClassifier, Reference) {
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: Self.directory.appendingPathComponent("reference.json")))
        return (try ModelRegistry.loadTokenClassifier(directory: Self.directory), reference)
    }

    @Test func logitsMatchPyTorch() throws {
        let (tagger, reference) = try load()
        #expect(tagger.labels == reference.labels)
        #expect(tagger.labels == ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG"])
        let labelCount = reference.labels.count
        for threads in [1, 2] {
            let pool = ThreadPool(threadCount: threads)
            let arena = ActivationArena()
            for item in reference.cases {
                let logits = try tagger.logits(TokenBatch(tokenIds: [item.ids]), pool: pool, arena: arena)
                #expect(logits.shape == [item.ids.count, labelCount])
                let difference = maxAbsoluteDifference(logits.scalars, item.logits.flatMap { $0 })
                #expect(difference <= Self.logitsFP32, "\(item.text): \(difference)")
            }
            // Every case in one packed batch (lengths 2 to 40): each token's row must still match its own reference.
            let packed = try tagger.logits(TokenBatch(tokenIds: reference.cases.map(\.ids)), pool: pool, arena: arena)
            let totalTokens = reference.cases.map(\.ids.count).reduce(0, +)
            #expect(packed.shape == [totalTokens, labelCount])
            let difference = maxAbsoluteDifference(packed.scalars, reference.cases.flatMap { $0.logits.flatMap { $0 } })
            #expect(difference <= Self.logitsFP32, "packed, \(threads) threads: \(difference)")
        }
    }

    @Test func emptyBatch() throws {
        let (tagger, _) = try load()
        #expect(try tagger.logits(TokenBatch(tokenIds: []), pool: ThreadPool(threadCount: 1)).shape == [0, 7])
    }

    @Test func checkpointsWithoutATokenHead() throws {
        // An encoder checkpoint: the error names what the config has and what is supported.
        let encoder = SequenceClassificationTests.fixtures.appendingPathComponent("tiny-bert-gelu")
        let error = #expect(throws: ModelError.self) { try ModelRegistry.loadTokenClassifier(directory: encoder) }
        #expect(error == .missingHead(file: encoder.appendingPathComponent("config.json").path, task: "token-classification",
                                      architectures: ["BertModel"], supported: ModelRegistry.supportedTokenClassifiers))
        // A sequence classifier is not a token classifier either.
        #expect(throws: ModelError.self) {
            try ModelRegistry.loadTokenClassifier(directory: SequenceClassificationTests.directory("single"))
        }

        // Encoder weights under a config that claims a token head: the classifier is reported missing by name.
        let scratch = try ScratchDirectory()
        try FileManager.default.copyItem(at: encoder.appendingPathComponent("model.safetensors"),
                                         to: scratch.url.appendingPathComponent("model.safetensors"))
        var config = try String(contentsOf: encoder.appendingPathComponent("config.json"), encoding: .utf8)
        config = config.replacingOccurrences(of: "\"BertModel\"", with: "\"BertForTokenClassification\"")
        try scratch.write(config, to: "config.json")
        let missing = #expect(throws: LoadingError.self) { try ModelRegistry.loadTokenClassifier(directory: scratch.url) }
        #expect(missing?.description.contains("classifier.weight") == true, "\(String(describing: missing))")
    }
}
