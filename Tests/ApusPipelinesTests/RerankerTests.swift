import ApusModels
import Foundation
import Testing
@testable import ApusPipelines

/// The reranker against sentence-transformers' `CrossEncoder.predict` and `.rank` on a tiny one-label
/// BertForSequenceClassification saved as a CrossEncoder (scripts/make_tiny_mlm_fixtures.py).
struct RerankerTests {
    struct Reference: Decodable {
        struct Ranked: Decodable {
            let corpusId: Int
            let score: Float
            enum CodingKeys: String, CodingKey { case corpusId = "corpus_id", score }
        }
        let activation: String
        let query: String
        let documents: [String]
        let ids: [[Int]]
        let logits: [Float]
        let scores: [Float]
        let rank: [Ranked]
        let rankTopK2: [Ranked]
        enum CodingKeys: String, CodingKey {
            case activation, query, documents, ids, logits, scores, rank, rankTopK2 = "rank_top_k_2"
        }
    }

    static let directory = TestResources.repositoryRoot.appendingPathComponent("Tests/Fixtures/tiny-bert-rerank")

    static func reference() throws -> Reference {
        try JSONDecoder().decode(Reference.self, from: Data(contentsOf: directory.appendingPathComponent("reference.json")))
    }

    @Test func scoresAndRankingMatchCrossEncoder() throws {
        let reranker = try Reranker(modelDirectory: Self.directory, threads: 2)
        let reference = try Self.reference()
        #expect(reference.activation == "Sigmoid" && reranker.activation == .sigmoid)
        for (document, ids) in zip(reference.documents, reference.ids) {
            #expect(try reranker.classifier.tokenize(reference.query, pair: document).ids == ids, "\(document)")
        }
        for batchSize in [1, 4, 32] {
            let scores = try reranker.scores(query: reference.query, documents: reference.documents, batchSize: batchSize)
            let difference = maxAbsoluteDifference(scores, reference.scores)
            #expect(difference <= Tolerance.rerankScore, "batch \(batchSize): \(difference)")
        }
        let ranking = try reranker.rank(query: reference.query, documents: reference.documents)
        #expect(ranking.map(\.index) == reference.rank.map(\.corpusId))
        #expect(maxAbsoluteDifference(ranking.map(\.score), reference.rank.map(\.score)) <= Tolerance.rerankScore)
        let top2 = try reranker.rank(query: reference.query, documents: reference.documents, topK: 2)
        #expect(top2.map(\.index) == reference.rankTopK2.map(\.corpusId))
        #expect(try reranker.rank(query: reference.query, documents: []).isEmpty)
    }

    @Test func activationFollowsSentenceTransformersOrder() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("apus-rerank-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("config.json")
        let sentenceTransformers = directory.appendingPathComponent("config_sentence_transformers.json")
        try Data("{}".utf8).write(to: config)
        #expect(try RerankActivation.load(directory: directory, labelCount: 1) == .sigmoid)
        #expect(try RerankActivation.load(directory: directory, labelCount: 3) == .identity)
        try Data(#"{"sbert_ce_default_activation_function": "torch.nn.modules.activation.Tanh"}"#.utf8).write(to: config)
        #expect(try RerankActivation.load(directory: directory, labelCount: 1) == .tanh)
        try Data(#"{"sentence_transformers": {"activation_fn": "torch.nn.modules.linear.Identity"}}"#.utf8).write(to: config)
        #expect(try RerankActivation.load(directory: directory, labelCount: 1) == .identity)
        try Data(#"{"activation_fn": "torch.nn.modules.activation.Sigmoid"}"#.utf8).write(to: sentenceTransformers)
        #expect(try RerankActivation.load(directory: directory, labelCount: 1) == .sigmoid)
        try Data(#"{"activation_fn": "my.module.Softplus"}"#.utf8).write(to: sentenceTransformers)
        do {
            _ = try RerankActivation.load(directory: directory, labelCount: 1)
            Issue.record("expected an error")
        } catch let error as PipelineError {
            #expect("\(error)".contains("config_sentence_transformers.json") && "\(error)".contains("Softplus"), "\(error)")
        }
    }

    @Test func multiLabelClassifierIsNotAReranker() throws {
        let single = TestResources.repositoryRoot.appendingPathComponent("Tests/Fixtures/tiny-bert-seqcls-single")
        do {
            _ = try Reranker(modelDirectory: single, threads: 1)
            Issue.record("expected an error")
        } catch let error as PipelineError {
            #expect("\(error)".contains("3 labels"), "\(error)")
        }
    }
}
