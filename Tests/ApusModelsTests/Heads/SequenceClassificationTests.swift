import ApusTensor
import Foundation
import Testing
@testable import ApusModels

/// BertForSequenceClassification against PyTorch on tiny random checkpoints (scripts/make_tiny_head_fixtures.py):
/// logits one text at a time and packed, on 1 and 2 threads; problem types; strict loading and its errors.
struct SequenceClassificationTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")
    /// Max |Δ| of fp32 logits against PyTorch.
    static let logitsFP32: Float = 1e-4

    struct Reference: Decodable {
        struct Case: Decodable {
            let text: String
            let pair: String?
            let ids: [Int]
            let typeIds: [Int]
            let logits: [Float]
            enum CodingKeys: String, CodingKey { case text, pair, ids, typeIds = "type_ids", logits }
        }
        let labels: [String]
        let problemType: String?
        let cases: [Case]
        enum CodingKeys: String, CodingKey { case labels, problemType = "problem_type", cases }
    }

    static func directory(_ kind: String) -> URL { fixtures.appendingPathComponent("tiny-bert-seqcls-\(kind)") }

    func load(_ kind: String) throws -> (SequenceClassifier, Reference) {
        let directory = Self.directory(kind)
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: directory.appendingPathComponent("reference.json")))
        return (try ModelRegistry.loadSequenceClassifier(directory: directory), reference)
    }

    @Test(arguments: ["single", "multi", "regression"])
    func logitsMatchPyTorch(kind: String) throws {
        let (classifier, reference) = try load(kind)
        #expect(classifier.labels == reference.labels)
        let labelCount = reference.labels.count
        for threads in [1, 2] {
            let pool = ThreadPool(threadCount: threads)
            let arena = ActivationArena()
            for item in reference.cases {
                let logits = try classifier.logits(TokenBatch(sequences: [(item.ids, item.typeIds)]), pool: pool, arena: arena)
                #expect(logits.shape == [1, labelCount])
                let difference = maxAbsoluteDifference(logits.scalars, item.logits)
                #expect(difference <= Self.logitsFP32, "\(kind), \(item.text) | \(item.pair ?? "-"): \(difference)")
            }
            // All cases in one packed batch, texts and pairs mixed: each row must still match its own reference.
            let packed = try classifier.logits(TokenBatch(sequences: reference.cases.map { ($0.ids, $0.typeIds) }), pool: pool, arena: arena)
            #expect(packed.shape == [reference.cases.count, labelCount])
            let difference = maxAbsoluteDifference(packed.scalars, reference.cases.flatMap(\.logits))
            #expect(difference <= Self.logitsFP32, "\(kind) packed, \(threads) threads: \(difference)")
        }
    }

    @Test func problemTypesFromConfiguration() throws {
        #expect(try load("single").0.configuration.problem == .singleLabel)
        #expect(try load("multi").0.configuration.problem == .multiLabel)
        // The regression fixture's config.json has no problem_type: one label means regression.
        let (regression, reference) = try load("regression")
        #expect(reference.problemType == nil)
        #expect(regression.configuration.problem == .regression)
        #expect(regression.labels == ["LABEL_0"])
    }

    @Test func scoresPerProblemType() {
        let logits: [Float] = [1, -2, 0.5]
        let softmax = ClassificationProblem.singleLabel.scores(logits)
        let total = logits.map { Foundation.exp(Double($0)) }.reduce(0, +)
        #expect(maxAbsoluteDifference(softmax, logits.map { Float(Foundation.exp(Double($0)) / total) }) <= 1e-7)
        #expect(abs(softmax.reduce(0, +) - 1) <= 1e-6)
        #expect(maxAbsoluteDifference(ClassificationProblem.multiLabel.scores(logits),
                                      logits.map { Float(1 / (1 + Foundation.exp(-Double($0)))) }) <= 1e-7)
        #expect(ClassificationProblem.regression.scores(logits) == logits)
        // Large logits must not overflow to NaN.
        #expect(ClassificationProblem.singleLabel.scores([1000, 0]) == [1, 0])
        #expect(ClassificationProblem.inferred(labelCount: 1) == .regression)
        #expect(ClassificationProblem.inferred(labelCount: 2) == .singleLabel)
    }

    @Test func configurationDefaultsAndErrors() throws {
        func parse(_ json: String) throws -> SequenceClassificationConfiguration {
            try SequenceClassificationConfiguration.decode(Data(json.utf8), source: "config.json")
        }
        // id2label decides the count, in class-id order whatever the key order.
        let named = try parse(#"{"num_labels": 5, "id2label": {"1": "b", "0": "a"}}"#)
        #expect(named.labels == ["a", "b"])
        #expect(named.problem == .singleLabel)
        #expect(try parse("{}").labels == ["LABEL_0", "LABEL_1"])
        #expect(try parse(#"{"num_labels": 3}"#).labels == ["LABEL_0", "LABEL_1", "LABEL_2"])
        #expect(try parse(#"{"num_labels": 2, "problem_type": "regression"}"#).problem == .regression)

        #expect(throws: ModelError.invalidConfiguration(file: "config.json", field: "id2label",
                                                        reason: "key \"2\" is not a class id; expected the strings \"0\" … \"1\"")) {
            try parse(#"{"id2label": {"0": "a", "2": "c"}}"#)
        }
        #expect(throws: ModelError.unsupportedConfigurationValue(file: "config.json", key: "problem_type", value: "ranking",
                                                                 supported: ClassificationProblem.allCases.map(\.rawValue))) {
            try parse(#"{"problem_type": "ranking"}"#)
        }
        #expect(throws: ModelError.self) { try parse(#"{"num_labels": 0}"#) }
        #expect(throws: ModelError.self) { try parse(#"{"id2label": ["a"]}"#) }
    }

    @Test func encoderCheckpointHasNoHead() throws {
        let directory = Self.fixtures.appendingPathComponent("tiny-bert-gelu")
        let error = #expect(throws: ModelError.self) { try ModelRegistry.loadSequenceClassifier(directory: directory) }
        #expect(error == .missingHead(file: directory.appendingPathComponent("config.json").path, task: "sequence-classification",
                                      architectures: ["BertModel"], supported: ModelRegistry.supportedSequenceClassifiers))
        #expect(error?.description.contains("BertModel") == true)
        #expect(error?.description.contains("BertForSequenceClassification") == true)
    }

    @Test func missingHeadWeightsAreNamed() throws {
        // An encoder-only checkpoint whose config claims a classification head: the pooler is reported missing.
        let scratch = try ScratchDirectory()
        let encoder = Self.fixtures.appendingPathComponent("tiny-bert-gelu")
        try FileManager.default.copyItem(at: encoder.appendingPathComponent("model.safetensors"),
                                         to: scratch.url.appendingPathComponent("model.safetensors"))
        var config = try String(contentsOf: encoder.appendingPathComponent("config.json"), encoding: .utf8)
        config = config.replacingOccurrences(of: "\"BertModel\"", with: "\"BertForSequenceClassification\"")
        try scratch.write(config, to: "config.json")
        let error = #expect(throws: LoadingError.self) { try ModelRegistry.loadSequenceClassifier(directory: scratch.url) }
        #expect(error?.description.contains("pooler.dense.weight") == true, "\(String(describing: error))")
    }

    @Test func extraTensorsAreReported() throws {
        // The fixture's tensors plus one more in a second shard: strict loading must name the extra one.
        let scratch = try ScratchDirectory()
        let source = Self.directory("single")
        let first = "model-00001-of-00002.safetensors", second = "model-00002-of-00002.safetensors"
        try FileManager.default.copyItem(at: source.appendingPathComponent("model.safetensors"), to: scratch.url.appendingPathComponent(first))
        try FileManager.default.copyItem(at: source.appendingPathComponent("config.json"), to: scratch.url.appendingPathComponent("config.json"))
        try scratch.write(SafetensorsWriter.file([.init(name: "score.weight", dtype: .float32, shape: [1],
                                                        bytes: SafetensorsWriter.float32Bytes([1]))]), to: second)
        let names = try SafetensorsFile(url: source.appendingPathComponent("model.safetensors")).tensorNames
        let map = (names.map { "\"\($0)\": \"\(first)\"" } + ["\"score.weight\": \"\(second)\""]).joined(separator: ", ")
        try scratch.write("{\"weight_map\": {\(map)}}", to: ShardedCheckpoint.indexFileName)
        #expect(throws: LoadingError.unusedTensors(names: ["score.weight"], source: scratch.url.path)) {
            try ModelRegistry.loadSequenceClassifier(directory: scratch.url)
        }
    }

    @Test func emptyInputs() throws {
        let (classifier, _) = try load("single")
        let pool = ThreadPool(threadCount: 1)
        #expect(try classifier.logits(TokenBatch(tokenIds: []), pool: pool).shape == [0, 3])
        #expect(throws: ModelError.self) { try classifier.logits(TokenBatch(tokenIds: [[2, 3], []]), pool: pool) }
    }
}
