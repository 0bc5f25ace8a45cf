import ApusTensor
import Foundation
import Testing
@testable import ApusModels

/// Sequence-classification, token-classification and masked-LM heads of RoBERTa, DistilBERT, MPNet, ModernBERT and
/// DeBERTa-v3 against PyTorch on tiny random checkpoints (scripts/make_tiny_family_head_fixtures.py,
/// scripts/make_tiny_deberta_fixtures.py): logits one text at a time and packed, on 1 and
/// 2 threads; the same checkpoints still load as bare encoders.
struct FamilyHeadTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")
    /// Max |Δ| of fp32 logits against PyTorch.
    static let logitsFP32: Float = 1e-4

    struct Reference: Decodable {
        struct Case: Decodable {
            let text: String
            let ids: [Int]
            /// Masked LM only: the rows whose logits are stored.
            let positions: [Int]?
            let logits: [Float]
        }
        let architecture: String
        let labels: [String]
        let cases: [Case]
    }

    static func load(_ name: String) throws -> (URL, Reference) {
        let directory = fixtures.appendingPathComponent(name)
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: directory.appendingPathComponent("reference.json")))
        return (directory, reference)
    }

    /// These families take no token types (RoBERTa's single type row is type 0).
    static func batch(_ cases: [Reference.Case]) throws -> TokenBatch {
        try TokenBatch(sequences: cases.map { ($0.ids, [Int](repeating: 0, count: $0.ids.count)) })
    }

    @Test(arguments: ["roberta", "distilbert", "mpnet", "modernbert", "modernbert-mean", "deberta-v3"])
    func sequenceLogitsMatchPyTorch(family: String) throws {
        let (directory, reference) = try Self.load("tiny-\(family)-seqcls")
        let classifier = try ModelRegistry.loadSequenceClassifier(directory: directory)
        #expect(classifier.labels == reference.labels)
        #expect(classifier.configuration.architectures == [reference.architecture])
        for threads in [1, 2] {
            let pool = ThreadPool(threadCount: threads)
            let arena = ActivationArena()
            for item in reference.cases {
                let logits = try classifier.logits(Self.batch([item]), pool: pool, arena: arena)
                #expect(logits.shape == [1, reference.labels.count])
                let difference = maxAbsoluteDifference(logits.scalars, item.logits)
                #expect(difference <= Self.logitsFP32, "\(family), \(item.text): \(difference)")
            }
            let packed = try classifier.logits(Self.batch(reference.cases), pool: pool, arena: arena)
            #expect(packed.shape == [reference.cases.count, reference.labels.count])
            let difference = maxAbsoluteDifference(packed.scalars, reference.cases.flatMap(\.logits))
            #expect(difference <= Self.logitsFP32, "\(family) packed, \(threads) threads: \(difference)")
        }
    }

    @Test(arguments: ["roberta", "distilbert", "mpnet", "modernbert", "deberta-v3"])
    func tokenLogitsMatchPyTorch(family: String) throws {
        let (directory, reference) = try Self.load("tiny-\(family)-tokcls")
        let tagger = try ModelRegistry.loadTokenClassifier(directory: directory)
        #expect(tagger.labels == reference.labels)
        for threads in [1, 2] {
            let pool = ThreadPool(threadCount: threads)
            let arena = ActivationArena()
            for item in reference.cases {
                let logits = try tagger.logits(Self.batch([item]), pool: pool, arena: arena)
                #expect(logits.shape == [item.ids.count, reference.labels.count])
                let difference = maxAbsoluteDifference(logits.scalars, item.logits)
                #expect(difference <= Self.logitsFP32, "\(family), \(item.text): \(difference)")
            }
            let packed = try tagger.logits(Self.batch(reference.cases), pool: pool, arena: arena)
            let difference = maxAbsoluteDifference(packed.scalars, reference.cases.flatMap(\.logits))
            #expect(difference <= Self.logitsFP32, "\(family) packed, \(threads) threads: \(difference)")
        }
    }

    /// `deberta-v3` has the legacy `cls.predictions` head, `deberta-v3-lm-head` the `lm_predictions.lm_head` one.
    @Test(arguments: ["roberta", "distilbert", "mpnet", "modernbert", "deberta-v3", "deberta-v3-lm-head"])
    func maskedLanguageLogitsMatchPyTorch(family: String) throws {
        let (directory, reference) = try Self.load("tiny-\(family)-mlm")
        let model = try ModelRegistry.loadMaskedLanguageModel(directory: directory)
        #expect(model.configuration.architectures == [reference.architecture])
        #expect(model.vocabularySize == 64)
        for threads in [1, 2] {
            let pool = ThreadPool(threadCount: threads)
            let arena = ActivationArena()
            for item in reference.cases {
                let positions = item.positions ?? []
                let logits = try model.logits(Self.batch([item]), positions: positions, pool: pool, arena: arena)
                #expect(logits.shape == [positions.count, 64])
                let difference = maxAbsoluteDifference(logits.scalars, item.logits)
                #expect(difference <= Self.logitsFP32, "\(family), \(item.text): \(difference)")
            }
            // Packed: positions index the packed batch, so each sequence's rows shift by its offset.
            let batch = try Self.batch(reference.cases)
            let positions = reference.cases.indices.flatMap { index in
                (reference.cases[index].positions ?? []).map { batch.sequenceOffsets[index] + $0 }
            }
            let packed = try model.logits(batch, positions: positions, pool: pool, arena: arena)
            let difference = maxAbsoluteDifference(packed.scalars, reference.cases.flatMap(\.logits))
            #expect(difference <= Self.logitsFP32, "\(family) packed, \(threads) threads: \(difference)")
        }
    }

    /// The encoders declare head prefixes unused, so a task checkpoint still loads strictly as a bare encoder.
    @Test(arguments: ["roberta-seqcls", "distilbert-tokcls", "mpnet-seqcls", "modernbert-seqcls", "modernbert-tokcls",
                      "roberta-mlm", "distilbert-mlm", "mpnet-mlm", "modernbert-mlm", "deberta-v3-seqcls", "deberta-v3-tokcls",
                      "deberta-v3-mlm", "deberta-v3-lm-head-mlm"])
    func taskCheckpointLoadsAsEncoder(name: String) throws {
        let encoder = try ModelRegistry.loadEncoder(directory: Self.fixtures.appendingPathComponent("tiny-\(name)"))
        #expect(encoder.hiddenSize == 32)
    }

    @Test func missingHeadWeightIsNamed() throws {
        // A RoBERTa encoder checkpoint whose config claims a classification head: the head's tensors are missing.
        let scratch = try ScratchDirectory()
        let source = Self.fixtures.appendingPathComponent("tiny-roberta-seqcls")
        for file in ["model.safetensors"] {
            try FileManager.default.copyItem(at: source.appendingPathComponent(file), to: scratch.url.appendingPathComponent(file))
        }
        var configuration = try JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("config.json")))
            as? [String: Any] ?? [:]
        configuration["architectures"] = ["RobertaForTokenClassification"]
        configuration["id2label"] = ["0": "a", "1": "b", "2": "c"]
        try JSONSerialization.data(withJSONObject: configuration).write(to: scratch.url.appendingPathComponent("config.json"))
        // The sequence head's classifier is `classifier.dense`/`out_proj`; a token head wants `classifier.weight`.
        let error = #expect(throws: (any Error).self) { try ModelRegistry.loadTokenClassifier(directory: scratch.url) }
        #expect("\(error.map { "\($0)" } ?? "")".contains("classifier.weight"))
    }

    @Test func unknownPoolingIsRejected() throws {
        let scratch = try ScratchDirectory()
        let source = Self.fixtures.appendingPathComponent("tiny-modernbert-seqcls")
        try FileManager.default.copyItem(at: source.appendingPathComponent("model.safetensors"),
                                         to: scratch.url.appendingPathComponent("model.safetensors"))
        var configuration = try JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("config.json")))
            as? [String: Any] ?? [:]
        configuration["classifier_pooling"] = "max"
        try JSONSerialization.data(withJSONObject: configuration).write(to: scratch.url.appendingPathComponent("config.json"))
        let error = #expect(throws: ModelError.self) { try ModelRegistry.loadSequenceClassifier(directory: scratch.url) }
        #expect(error == .unsupportedConfigurationValue(file: scratch.url.appendingPathComponent("config.json").path,
                                                        key: "classifier_pooling", value: "max", supported: ["cls", "mean"]))
    }
}
