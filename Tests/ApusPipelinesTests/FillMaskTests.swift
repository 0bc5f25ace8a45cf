import ApusModels
import Foundation
import Testing
@testable import ApusPipelines

/// The fill-mask pipeline against `transformers.pipeline("fill-mask", top_k=5)` on the tiny BertForMaskedLM
/// fixture (scripts/make_tiny_mlm_fixtures.py): tokens, scores and sequences, one and two masks.
struct FillMaskTests {
    struct Reference: Decodable {
        struct Prediction: Decodable {
            let score: Float
            let token: Int
            let tokenString: String
            let sequence: String
            enum CodingKeys: String, CodingKey { case score, token, tokenString = "token_str", sequence }
        }
        struct Case: Decodable {
            let text: String
            let ids: [Int]
            let fillMask: [[Prediction]]
            let fillMaskTargets: [[Prediction]]
            enum CodingKeys: String, CodingKey { case text, ids, fillMask = "fill_mask", fillMaskTargets = "fill_mask_targets" }
        }
        let maskToken: String
        let targets: [String]
        let cases: [Case]
        enum CodingKeys: String, CodingKey { case maskToken = "mask_token", targets, cases }
    }

    static let directory = TestResources.repositoryRoot.appendingPathComponent("Tests/Fixtures/tiny-bert-mlm")

    static func reference() throws -> Reference {
        try JSONDecoder().decode(Reference.self, from: Data(contentsOf: directory.appendingPathComponent("reference.json")))
    }

    @Test func predictionsMatchTheTransformersPipeline() throws {
        let fillMask = try FillMask(modelDirectory: Self.directory, threads: 2)
        let reference = try Self.reference()
        #expect(fillMask.maskToken == reference.maskToken)
        for item in reference.cases {
            #expect(fillMask.tokenizer.encode(item.text).ids == item.ids, "\(item.text)")
            let predictions = try fillMask.fill(item.text, topK: 5)
            #expect(predictions.count == item.fillMask.count, "\(item.text)")
            for (mask, (got, expected)) in zip(predictions, item.fillMask).enumerated() {
                #expect(got.map(\.tokenId) == expected.map(\.token), "\(item.text) mask \(mask)")
                #expect(got.map(\.token) == expected.map(\.tokenString), "\(item.text) mask \(mask)")
                #expect(got.map(\.sequence) == expected.map(\.sequence), "\(item.text) mask \(mask)")
                let difference = maxAbsoluteDifference(got.map(\.score), expected.map(\.score))
                #expect(difference <= Tolerance.fillMaskScore, "\(item.text) mask \(mask): \(difference)")
            }
        }
    }

    @Test func targetsRankOnlyThoseTokensAsTransformersDoes() throws {
        let fillMask = try FillMask(modelDirectory: Self.directory, threads: 1)
        let reference = try Self.reference()
        for item in reference.cases {
            let predictions = try fillMask.fill(item.text, topK: 3, targets: reference.targets)
            #expect(predictions.count == item.fillMaskTargets.count, "\(item.text)")
            for (got, expected) in zip(predictions, item.fillMaskTargets) {
                #expect(got.map(\.tokenId) == expected.map(\.token), "\(item.text)")
                #expect(got.map(\.sequence) == expected.map(\.sequence), "\(item.text)")
                #expect(maxAbsoluteDifference(got.map(\.score), expected.map(\.score)) <= Tolerance.fillMaskScore, "\(item.text)")
            }
        }
        #expect(throws: PipelineError.self) { try fillMask.fill("[MASK]", targets: [""]) }
    }

    @Test func batchedTextsGiveTheSameAnswers() throws {
        let fillMask = try FillMask(modelDirectory: Self.directory, threads: 2)
        let texts = try Self.reference().cases.map(\.text)
        let alone = try texts.map { try fillMask.fill($0, topK: 3) }
        for batchSize in [2, 32] {
            let batched = try fillMask.fill(texts, topK: 3, batchSize: batchSize)
            #expect(batched.count == texts.count)
            for (one, other) in zip(alone, batched) {
                #expect(one.map { $0.map(\.tokenId) } == other.map { $0.map(\.tokenId) })
                #expect(maxAbsoluteDifference(one.flatMap { $0.map(\.score) }, other.flatMap { $0.map(\.score) })
                        <= Tolerance.batchInvariance)
            }
        }
        // topK beyond the vocabulary gives every token once, and the probabilities sum to one.
        let everything = try fillMask.fill("hello [MASK]", topK: 1000)
        #expect(everything[0].count == fillMask.model.vocabularySize)
        #expect(abs(everything[0].reduce(0) { $0 + $1.score } - 1) <= 1e-5)
    }

    @Test func textWithoutMaskNamesTheMaskToken() throws {
        let fillMask = try FillMask(modelDirectory: Self.directory, threads: 1)
        do {
            _ = try fillMask.fill("the movie was great", topK: 5)
            Issue.record("expected an error")
        } catch let error as PipelineError {
            #expect("\(error)".contains("[MASK]"), "\(error)")
        }
        #expect(throws: PipelineError.self) { try fillMask.fill("[MASK]", topK: 0) }
    }
}
