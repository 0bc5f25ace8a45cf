import ApusModels
import Foundation
import Testing
@testable import ApusPipelines

/// The NER pipeline against transformers' `pipeline("ner", aggregation_strategy=...)` on the tiny
/// BertForTokenClassification fixture (scripts/make_tiny_ner_fixtures.py): every strategy, every text.
struct NamedEntityRecognizerTests {
    /// Max |Δ| of entity scores against the pipeline's (fp32 logits within 1e-4, through softmax and means).
    static let scoreTolerance: Float = 1e-5

    struct Reference: Decodable {
        struct PipelineEntity: Decodable {
            let entity: String?
            let entityGroup: String?
            let score: Float
            let word: String
            let start: Int
            let end: Int
            let index: Int?
            enum CodingKeys: String, CodingKey { case entity, entityGroup = "entity_group", score, word, start, end, index }
        }
        struct Case: Decodable {
            let text: String
            let ids: [Int]
            let tokens: [String]
            let offsets: [[Int]]
            let logits: [[Float]]
            let entities: [String: [PipelineEntity]]
        }
        let labels: [String]
        let maxLength: Int
        let cases: [Case]
        enum CodingKeys: String, CodingKey { case labels, maxLength = "max_length", cases }
    }

    static let directory = TestResources.repositoryRoot.appendingPathComponent("Tests/Fixtures/tiny-bert-ner")

    func load(threads: Int = 2) throws -> (NamedEntityRecognizer, Reference) {
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: Self.directory.appendingPathComponent("reference.json")))
        return (try NamedEntityRecognizer(modelDirectory: Self.directory, threads: threads), reference)
    }

    @Test func tokensAndOffsetsEqualThePipelines() throws {
        let (recognizer, reference) = try load()
        #expect(recognizer.maxSequenceLength == reference.maxLength)
        for item in reference.cases {
            let encoding = try recognizer.tokenize(item.text)
            #expect(encoding.ids == item.ids, "\(item.text)")
            #expect(encoding.offsets.map { [$0.lowerBound, $0.upperBound] } == item.offsets, "\(item.text)")
        }
        // The long text is truncated to model_max_length.
        #expect(reference.cases.contains { $0.ids.count == reference.maxLength })
    }

    @Test(arguments: NamedEntityRecognizer.Aggregation.allCases)
    func entitiesEqualThePipelines(aggregation: NamedEntityRecognizer.Aggregation) throws {
        let (recognizer, reference) = try load()
        // Batch size 3 mixes lengths in packed batches; results must come back in input order.
        let results = try recognizer.recognize(reference.cases.map(\.text), aggregation: aggregation, batchSize: 3)
        #expect(results.count == reference.cases.count)
        var worst: Float = 0
        for (found, item) in zip(results, reference.cases) {
            let expected = try #require(item.entities[aggregation.rawValue])
            #expect(found.map(\.label) == expected.map { ($0.entity ?? $0.entityGroup) ?? "" }, "\(aggregation) \(item.text)")
            #expect(found.map(\.word) == expected.map(\.word), "\(aggregation) \(item.text)")
            #expect(found.map { [$0.start, $0.end] } == expected.map { [$0.start, $0.end] }, "\(aggregation) \(item.text)")
            #expect(found.map(\.index) == expected.map(\.index), "\(aggregation) \(item.text)")
            #expect(found.count == expected.count)
            for (entity, pipeline) in zip(found, expected) {
                worst = max(worst, abs(entity.score - pipeline.score))
            }
        }
        #expect(worst <= Self.scoreTolerance, "\(aggregation): max score difference \(worst)")
        // The fixture exercises what the strategy does: some entities, some grouping across tokens.
        #expect(results.contains { !$0.isEmpty })
    }

    @Test func logitsIndependentOfBatching() throws {
        let (recognizer, reference) = try load(threads: 1)
        let texts = reference.cases.map(\.text)
        let oneByOne = try recognizer.logits(texts, batchSize: 1)
        let packed = try recognizer.logits(texts, batchSize: 8)
        for (index, item) in reference.cases.enumerated() {
            #expect(oneByOne[index].count == item.ids.count)
            #expect(maxAbsoluteDifference(oneByOne[index].flatMap { $0 }, item.logits.flatMap { $0 }) <= 1e-4, "\(item.text)")
            #expect(maxAbsoluteDifference(packed[index].flatMap { $0 }, oneByOne[index].flatMap { $0 }) <= 1e-4, "\(item.text)")
        }
    }

    @Test func tagsAndIgnoredLabels() throws {
        #expect(NamedEntityRecognizer.tag("B-PER") == ("B", "PER"))
        #expect(NamedEntityRecognizer.tag("I-LOC") == ("I", "LOC"))
        // A label without a B-/I- prefix continues the group before it.
        #expect(NamedEntityRecognizer.tag("MISC") == ("I", "MISC"))

        let (recognizer, reference) = try load()
        let text = reference.cases[0].text
        // Nothing ignored: every token (or word) comes back, "O" included.
        let everything = try recognizer.recognize([text], aggregation: .none, ignoredLabels: [])[0]
        let special = try recognizer.tokenize(text).specialTokensMask.filter { $0 == 1 }.count
        #expect(everything.count == reference.cases[0].ids.count - special)
        #expect(everything.contains { $0.label == "O" })
        #expect(try recognizer.recognize([], aggregation: .first).isEmpty)
    }

    @Test func invalidArguments() throws {
        let (recognizer, _) = try load()
        #expect(throws: PipelineError.self) { try recognizer.recognize(["a"], batchSize: 0) }
        #expect(throws: PipelineError.self) { try recognizer.recognize(["a"], maxLength: 41) }
        #expect(throws: PipelineError.self) { try NamedEntityRecognizer(modelDirectory: Self.directory, threads: 0) }
        // A sequence classifier has no token head: the model says so before the tokenizer is read.
        let classifier = TestResources.repositoryRoot.appendingPathComponent("Tests/Fixtures/tiny-bert-seqcls-single")
        #expect(throws: ModelError.self) { try NamedEntityRecognizer(modelDirectory: classifier) }
    }
}
