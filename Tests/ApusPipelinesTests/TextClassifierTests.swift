import ApusModels
import Foundation
import Testing
@testable import ApusPipelines

/// The classification pipeline on the tiny BertForSequenceClassification fixtures
/// (scripts/make_tiny_head_fixtures.py): tokenisation, pairs, label order, batching.
struct TextClassifierTests {
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
        let cases: [Case]
    }

    static func directory(_ kind: String) -> URL {
        TestResources.repositoryRoot.appendingPathComponent("Tests/Fixtures/tiny-bert-seqcls-\(kind)")
    }

    func load(_ kind: String, threads: Int = 2) throws -> (TextClassifier, Reference) {
        let directory = Self.directory(kind)
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: directory.appendingPathComponent("reference.json")))
        return (try TextClassifier(modelDirectory: directory, threads: threads), reference)
    }

    @Test func tokenIdsEqualTheFixture() throws {
        let (classifier, reference) = try load("single")
        for item in reference.cases {
            let encoding = try classifier.tokenize(item.text, pair: item.pair)
            #expect(encoding.ids == item.ids, "\(item.text) | \(item.pair ?? "-")")
            #expect(encoding.typeIds == item.typeIds, "\(item.text) | \(item.pair ?? "-")")
        }
        // Pairs get type ids 0 then 1.
        let pair = try #require(reference.cases.first { $0.pair != nil })
        #expect(pair.typeIds.contains(1) && pair.typeIds.first == 0)
    }

    @Test(arguments: ["single", "multi", "regression"])
    func logitsMatchPyTorchWhateverTheBatching(kind: String) throws {
        let (classifier, reference) = try load(kind)
        let singles = reference.cases.filter { $0.pair == nil }
        let pairs = reference.cases.filter { $0.pair != nil }
        var previous: [[Float]]?
        for batchSize in [1, 3, 32] {
            let results = try classifier.classify(singles.map(\.text), batchSize: batchSize)
            #expect(results.count == singles.count)
            for (result, item) in zip(results, singles) {
                let difference = maxAbsoluteDifference(result.logits, item.logits)
                #expect(difference <= Tolerance.logitsFP32, "\(kind) \(item.text), batch \(batchSize): \(difference)")
            }
            // Packing must not change a text's logits beyond rounding.
            if let previous {
                for (before, result) in zip(previous, results) {
                    #expect(maxAbsoluteDifference(before, result.logits) <= Tolerance.batchInvariance, "\(kind), batch \(batchSize)")
                }
            }
            previous = results.map(\.logits)

            let pairResults = try classifier.classify(pairs.map(\.text), pairs: pairs.compactMap(\.pair), batchSize: batchSize)
            for (result, item) in zip(pairResults, pairs) {
                let difference = maxAbsoluteDifference(result.logits, item.logits)
                #expect(difference <= Tolerance.logitsFP32, "\(kind) pair \(item.text) | \(item.pair ?? ""): \(difference)")
            }
        }
    }

    @Test func labelsAreRankedByScore() throws {
        let (classifier, reference) = try load("single")
        #expect(classifier.labels == ["negative", "neutral", "positive"])
        #expect(classifier.problem == .singleLabel)
        let results = try classifier.classify(reference.cases.map(\.text))
        for result in results {
            #expect(result.ranked.count == 3)
            #expect(Set(result.ranked.map(\.label)) == Set(reference.labels))
            #expect(zip(result.ranked, result.ranked.dropFirst()).allSatisfy { $0.score >= $1.score })
            // `scores` are by class id; the ranking only reorders them.
            for entry in result.ranked {
                let id = try #require(reference.labels.firstIndex(of: entry.label))
                #expect(result.scores[id] == entry.score)
            }
            #expect(abs(result.scores.reduce(0, +) - 1) <= 1e-6)
            #expect(result.top(1) == [result.ranked[0]])
            #expect(result.top(nil) == result.ranked)
        }

        // Multi-label scores are independent sigmoids; regression scores are the logits.
        let multi = try load("multi").0.classify(["hello"])[0]
        #expect(multi.scores.allSatisfy { $0 > 0 && $0 < 1 })
        let regression = try load("regression").0.classify(["hello"])[0]
        #expect(regression.scores == regression.logits && regression.ranked.map(\.label) == ["LABEL_0"])
    }

    @Test func argumentsAndMissingHeadAreErrors() throws {
        let (classifier, _) = try load("single", threads: 1)
        #expect(throws: PipelineError.self) { try classifier.classify(["a", "b"], pairs: ["c"]) }
        #expect(throws: PipelineError.self) { try classifier.classify(["a"], batchSize: 0) }
        #expect(throws: PipelineError.self) { try classifier.classify(["a"], maxLength: 41) }
        #expect(try classifier.classify([]).isEmpty)
        // Truncation keeps both special tokens of a pair within the limit.
        let truncated = try classifier.tokenize("a quick brown fox", pair: "the cat is sleeping", maxLength: 7)
        #expect(truncated.ids.count == 7 && truncated.ids.first == 2 && truncated.ids.last == 3)

        let encoderOnly = TestResources.repositoryRoot.appendingPathComponent("Tests/Fixtures/tiny-bert-gelu")
        #expect(throws: ModelError.self) { try TextClassifier(modelDirectory: encoderOnly, threads: 1) }
    }
}
