import ApusTensor
import Foundation
import Testing
@testable import ApusPipelines

/// The task heads on real weights: all-MiniLM-L6-v2's encoder and trained pooler with seeded random classifiers
/// (scripts/make_minilm_head_fixtures.py), through the real tokenizer and the pipelines, against PyTorch's
/// BertForSequenceClassification / BertForTokenClassification. The fixture holds only the heads, the configs and
/// a sharded-checkpoint index; the encoder's weights are MiniLM's file, linked in as the first shard.
@Suite(.serialized)
struct MiniLMHeadsParityTests {
    struct Reference: Decodable {
        struct Case: Decodable {
            let ids: [Int]
            let logits: [[Float]]
        }
        let labels: [String]
        let cases: [Case]
    }

    static let texts: [String] = (try? TestResources.loadParityTexts()).map { Array($0.prefix(24)) } ?? []

    /// A model directory: the fixture's files plus MiniLM's weights and tokenizer, linked.
    static func assemble(_ task: String) throws -> (URL, Reference) {
        let fixture = TestResources.repositoryRoot.appendingPathComponent("Tests/Fixtures/minilm-heads/\(task)")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("apus-\(task)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for name in ["config.json", "head.safetensors", "model.safetensors.index.json"] {
            try FileManager.default.copyItem(at: fixture.appendingPathComponent(name), to: directory.appendingPathComponent(name))
        }
        let minilm = try TestResources.minilmDirectory()
        for (link, target) in [("minilm.safetensors", "model.safetensors"), ("tokenizer.json", "tokenizer.json"),
                               ("tokenizer_config.json", "tokenizer_config.json")] {
            try FileManager.default.createSymbolicLink(at: directory.appendingPathComponent(link),
                                                       withDestinationURL: minilm.appendingPathComponent(target))
        }
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: fixture.appendingPathComponent("reference.json")))
        return (directory, reference)
    }

    @Test func sequenceClassificationMatchesPyTorch() throws {
        let (directory, reference) = try Self.assemble("sequence-classification")
        defer { try? FileManager.default.removeItem(at: directory) }
        let classifier = try TextClassifier(modelDirectory: directory, threads: 2)
        #expect(reference.cases.count == Self.texts.count)
        for (text, item) in zip(Self.texts, reference.cases) {
            #expect(try classifier.tokenize(text, maxLength: 128).ids == item.ids)
        }
        let results = try classifier.classify(Self.texts, batchSize: 7, maxLength: 128)
        var worst: Float = 0
        for (index, (result, item)) in zip(results, reference.cases).enumerated() {
            let difference = maxAbsoluteDifference(result.logits, item.logits.flatMap { $0 })
            worst = max(worst, difference)
            #expect(difference <= Tolerance.hiddenStateFP32, "text \(index): max |Δ| \(difference)")
        }
        #expect(results.first?.ranked.map(\.label).sorted() == reference.labels.sorted())
        print("MiniLM + sequence-classification head: worst logit |Δ| \(worst)")
    }

    @Test func tokenClassificationMatchesPyTorch() throws {
        let (directory, reference) = try Self.assemble("token-classification")
        defer { try? FileManager.default.removeItem(at: directory) }
        let recognizer = try NamedEntityRecognizer(modelDirectory: directory, threads: 2)
        let logits = try recognizer.logits(Self.texts, batchSize: 5, maxLength: 128)
        var worst: Float = 0
        for (index, (actual, item)) in zip(logits, reference.cases).enumerated() {
            #expect(actual.count == item.logits.count, "text \(index): token count")
            let difference = maxAbsoluteDifference(actual.flatMap { $0 }, item.logits.flatMap { $0 })
            worst = max(worst, difference)
            #expect(difference <= Tolerance.hiddenStateFP32, "text \(index): max |Δ| \(difference)")
        }
        print("MiniLM + token-classification head: worst logit |Δ| \(worst)")
    }
}
