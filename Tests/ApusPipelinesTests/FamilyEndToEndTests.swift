import Foundation
import Testing
@testable import ApusPipelines

/// Every pipeline on each encoder family with the tokenizer type its real checkpoints ship (byte-level BPE,
/// SentencePiece Unigram, WordPiece with <s>/</s>), run from text and compared with transformers' pipelines and
/// sentence-transformers: fixtures of scripts/make_family_e2e_fixtures.py under Tests/Fixtures/e2e.
struct FamilyEndToEndTests {
    static let families = ["roberta", "xlm-roberta", "modernbert", "deberta-v3", "mpnet"]
    /// Max |Δ| of a pipeline score (probability, logit, embedding component) against Python.
    static let scoreTolerance: Float = 1e-4

    static func directory(_ name: String) -> URL {
        TestResources.repositoryRoot.appendingPathComponent("Tests/Fixtures/e2e/\(name)")
    }

    static func reference<Value: Decodable>(_ type: Value.Type, _ name: String) throws -> Value {
        try JSONDecoder().decode(type, from: Data(contentsOf: directory(name).appendingPathComponent("reference.json")))
    }

    // MARK: fill-mask

    struct FillMaskReference: Decodable {
        struct Prediction: Decodable {
            let score: Float
            let token: Int
            let token_str: String
            let sequence: String
        }
        struct Case: Decodable {
            let text: String
            let predictions: [Prediction]
        }
        struct Targets: Decodable {
            let text: String
            let targets: [String]
            let predictions: [Prediction]
        }
        let cases: [Case]
        let targets: Targets
    }

    static func compare(_ actual: [FillMaskPrediction], _ expected: [FillMaskReference.Prediction], _ context: String) {
        #expect(actual.map(\.tokenId) == expected.map(\.token), "\(context): ids")
        #expect(actual.map(\.token) == expected.map(\.token_str), "\(context): token strings")
        #expect(actual.map(\.sequence) == expected.map(\.sequence), "\(context): sequences")
        let difference = maxAbsoluteDifference(actual.map(\.score), expected.map(\.score))
        #expect(difference <= scoreTolerance, "\(context): scores \(difference)")
    }

    @Test(arguments: families)
    func fillMaskMatchesTransformers(family: String) throws {
        let reference = try Self.reference(FillMaskReference.self, "\(family)-mlm")
        let fillMask = try FillMask(modelDirectory: Self.directory("\(family)-mlm"), threads: 2)
        for item in reference.cases {
            let predictions = try fillMask.fill(item.text, topK: 5)
            #expect(predictions.count == 1, "\(family): \(item.text): one mask")
            Self.compare(predictions.first ?? [], item.predictions, "\(family): \(item.text)")
        }
        let targeted = try fillMask.fill(reference.targets.text, topK: 5, targets: reference.targets.targets)
        Self.compare(targeted.first ?? [], reference.targets.predictions, "\(family): targets \(reference.targets.targets)")
    }

    // MARK: text-classification

    struct ClassificationReference: Decodable {
        struct LabelScore: Decodable {
            let label: String
            let score: Float
        }
        struct Case: Decodable {
            let text: String
            let pair: String?
            let ids: [Int]
            let result: [LabelScore]
        }
        let cases: [Case]
    }

    @Test(arguments: families)
    func textClassifierMatchesTransformers(family: String) throws {
        let reference = try Self.reference(ClassificationReference.self, "\(family)-seqcls")
        let classifier = try TextClassifier(modelDirectory: Self.directory("\(family)-seqcls"), threads: 2)
        for item in reference.cases {
            #expect(try classifier.tokenize(item.text, pair: item.pair).ids == item.ids, "\(family): \(item.text) ids")
        }
        let results = try classifier.classify(reference.cases.map(\.text), pairs: reference.cases.map(\.pair), batchSize: 3)
        for (result, item) in zip(results, reference.cases) {
            // function_to_apply="none": the scores are the logits, ranked.
            let expected = item.result.map { entry in (classifier.labels.firstIndex(of: entry.label), entry.score) }
            #expect(expected.allSatisfy { $0.0 != nil }, "\(family): labels \(item.result.map(\.label))")
            let actual = expected.map { result.logits[$0.0 ?? 0] }
            let difference = maxAbsoluteDifference(actual, expected.map(\.1))
            #expect(difference <= Self.scoreTolerance, "\(family): \(item.text): \(difference)")
        }
    }

    // MARK: ner

    struct EntityReference: Decodable, CustomStringConvertible {
        let entity_group: String
        let score: Float
        let word: String
        let start: Int
        let end: Int
        var description: String { "\(entity_group) \(word.debugDescription) \(start)..<\(end) \(score)" }
    }

    struct NerReference: Decodable {
        struct Case: Decodable {
            let text: String
            let ids: [Int]
            let simple: [EntityReference]
            let first: [EntityReference]
        }
        struct StrideCase: Decodable {
            let text: String
            let windows: [[Int]]
            let simple: [EntityReference]
            let first: [EntityReference]
            let average: [EntityReference]
            let max: [EntityReference]
            func expected(_ aggregation: NamedEntityRecognizer.Aggregation) -> [EntityReference] {
                switch aggregation {
                case .simple: simple
                case .first: first
                case .average: average
                case .max, .none: max
                }
            }
        }
        struct Stride: Decodable {
            let max_length: Int
            let stride: Int
            let cases: [StrideCase]
        }
        let cases: [Case]
        let stride: Stride
    }

    static func compare(_ actual: [Entity], _ expected: [EntityReference], _ context: String) {
        #expect(actual.count == expected.count, "\(context): \(actual.count) entities, expected \(expected.count)")
        for (found, wanted) in zip(actual, expected) {
            let same = found.label == wanted.entity_group && found.word == wanted.word && found.start == wanted.start
                && found.end == wanted.end && abs(found.score - wanted.score) <= scoreTolerance
            #expect(same, "\(context): \(found.label) \(found.word.debugDescription) \(found.start)..<\(found.end) \(found.score) vs \(wanted)")
            if !same { return }
        }
    }

    @Test(arguments: families)
    func recognizerMatchesTransformers(family: String) throws {
        let reference = try Self.reference(NerReference.self, "\(family)-tokcls")
        let recognizer = try NamedEntityRecognizer(modelDirectory: Self.directory("\(family)-tokcls"), threads: 2)
        for item in reference.cases {
            #expect(try recognizer.tokenize(item.text).ids == item.ids, "\(family): \(item.text) ids")
        }
        let texts = reference.cases.map(\.text)
        for aggregation in [NamedEntityRecognizer.Aggregation.simple, .first] {
            let results = try recognizer.recognize(texts, aggregation: aggregation, batchSize: 3)
            for (result, item) in zip(results, reference.cases) {
                Self.compare(result, aggregation == .simple ? item.simple : item.first, "\(family) \(aggregation): \(item.text)")
            }
        }
    }

    @Test(arguments: families)
    func recognizerStrideMatchesTransformers(family: String) throws {
        let reference = try Self.reference(NerReference.self, "\(family)-tokcls").stride
        let recognizer = try NamedEntityRecognizer(modelDirectory: Self.directory("\(family)-tokcls"), threads: 2)
        for item in reference.cases {
            // The windows are the tokenizer's overflowing encodings, as Python's return_overflowing_tokens gives them.
            let encoding = recognizer.tokenizer.encode(item.text, truncation: .init(maxLength: reference.max_length, stride: reference.stride))
            #expect([encoding.ids] + encoding.overflowing.map(\.ids) == item.windows, "\(family): \(item.text) windows")
        }
        for aggregation in [NamedEntityRecognizer.Aggregation.simple, .first, .average, .max] {
            let results = try recognizer.recognize(reference.cases.map(\.text), aggregation: aggregation, batchSize: 4,
                                                   maxLength: reference.max_length, stride: reference.stride)
            for (result, item) in zip(results, reference.cases) {
                Self.compare(result, item.expected(aggregation), "\(family) stride \(aggregation): \(item.text)")
            }
        }
    }

    @Test func strideNeedsAggregationAndShortStride() throws {
        let recognizer = try NamedEntityRecognizer(modelDirectory: Self.directory("roberta-tokcls"), threads: 1)
        #expect(throws: PipelineError.self) { try recognizer.recognize(["a b"], aggregation: .none, maxLength: 20, stride: 4) }
        #expect(throws: PipelineError.self) { try recognizer.recognize(["a b"], aggregation: .simple, maxLength: 20, stride: 20) }
        // <s> and </s> take two of the 20 tokens: a stride of 18 would leave no new token per window.
        #expect(throws: PipelineError.self) { try recognizer.recognize(["a b"], aggregation: .simple, maxLength: 20, stride: 18) }
        #expect(try recognizer.recognize(["a b"], aggregation: .simple, maxLength: 20, stride: 17).count == 1)
    }

    // MARK: sentence embeddings and reranking

    struct EmbeddingReference: Decodable {
        struct Case: Decodable {
            let text: String
            let ids: [Int]
            let embedding: [Float]
        }
        let cases: [Case]
    }

    @Test(arguments: families)
    func embedderMatchesSentenceTransformers(family: String) throws {
        let reference = try Self.reference(EmbeddingReference.self, "\(family)-embed")
        let embedder = try SentenceEmbedder(modelDirectory: Self.directory("\(family)-embed"), threads: 2)
        for item in reference.cases {
            #expect(try embedder.tokenize(item.text).ids == item.ids, "\(family): \(item.text) ids")
        }
        let vectors = try embedder.embed(reference.cases.map(\.text), batchSize: 3)
        for (vector, item) in zip(vectors, reference.cases) {
            let difference = vector.count == item.embedding.count ? maxAbsoluteDifference(vector, item.embedding) : .infinity
            #expect(difference <= Self.scoreTolerance, "\(family): \(item.text): \(difference)")
        }
    }

    struct RerankReference: Decodable {
        let query: String
        let documents: [String]
        let scores: [Float]
    }

    @Test func crossEncoderMatchesSentenceTransformers() throws {
        let reference = try Self.reference(RerankReference.self, "roberta-rerank")
        let reranker = try Reranker(modelDirectory: Self.directory("roberta-rerank"), threads: 2)
        let scores = try reranker.scores(query: reference.query, documents: reference.documents, batchSize: 3)
        #expect(maxAbsoluteDifference(scores, reference.scores) <= Self.scoreTolerance)
    }
}
