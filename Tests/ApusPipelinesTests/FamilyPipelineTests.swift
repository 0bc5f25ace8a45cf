import ApusTensor
import Foundation
import Testing
@testable import ApusPipelines

/// The classification pipelines on every encoder family's head, end to end from text: the fixtures of
/// scripts/make_tiny_family_head_fixtures.py and scripts/make_tiny_deberta_fixtures.py carry a WordPiece tokenizer.json, the token ids transformers fed the
/// model and PyTorch's logits (per text, or per token).
struct FamilyPipelineTests {
    struct Reference: Decodable {
        struct Case: Decodable {
            let text: String
            let ids: [Int]
            /// Flattened: `[labels]` per text, or `[tokens × labels]` row-major per token.
            let logits: [Float]
        }
        let cases: [Case]
    }

    static func fixture(_ name: String) throws -> (URL, Reference) {
        let directory = TestResources.repositoryRoot.appendingPathComponent("Tests/Fixtures/\(name)")
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: directory.appendingPathComponent("reference.json")))
        return (directory, reference)
    }

    @Test(arguments: ["tiny-roberta-seqcls", "tiny-distilbert-seqcls", "tiny-mpnet-seqcls", "tiny-modernbert-seqcls",
                      "tiny-modernbert-mean-seqcls", "tiny-deberta-v3-seqcls"])
    func textClassifierMatchesPyTorch(fixture: String) throws {
        let (directory, reference) = try Self.fixture(fixture)
        let classifier = try TextClassifier(modelDirectory: directory, threads: 2)
        for item in reference.cases {
            #expect(try classifier.tokenize(item.text).ids == item.ids, "\(fixture): \(item.text)")
        }
        let results = try classifier.classify(reference.cases.map(\.text), batchSize: 3)
        #expect(results.count == reference.cases.count)
        for (result, item) in zip(results, reference.cases) {
            #expect(result.logits.count == item.logits.count, "\(fixture): \(item.text): label count")
            let difference = maxAbsoluteDifference(result.logits, item.logits)
            #expect(difference <= Tolerance.logitsFP32, "\(fixture): \(item.text): \(difference)")
        }
    }

    @Test(arguments: ["tiny-roberta-tokcls", "tiny-distilbert-tokcls", "tiny-mpnet-tokcls", "tiny-modernbert-tokcls",
                      "tiny-deberta-v3-tokcls"])
    func recognizerLogitsMatchPyTorch(fixture: String) throws {
        let (directory, reference) = try Self.fixture(fixture)
        let recognizer = try NamedEntityRecognizer(modelDirectory: directory, threads: 2)
        let logits = try recognizer.logits(reference.cases.map(\.text), batchSize: 3)
        for (actual, item) in zip(logits, reference.cases) {
            #expect(actual.flatMap { $0 }.count == item.logits.count, "\(fixture): \(item.text): tokens × labels")
            let difference = maxAbsoluteDifference(actual.flatMap { $0 }, item.logits)
            #expect(difference <= Tolerance.logitsFP32, "\(fixture): \(item.text): \(difference)")
        }
    }
}
