import ApusTensor
import Foundation
import Testing
@testable import ApusModels

/// BERT forward against PyTorch on tiny random checkpoints (scripts/make_tiny_bert_fixtures.py), one per
/// supported `hidden_act`, and the packed-batch invariance the pipelines rely on.
struct BertModelTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")
    /// Max |Δ| of fp32 hidden states against PyTorch.
    static let hiddenStateFP32: Float = 1e-4

    struct Reference: Decodable {
        struct Case: Decodable {
            let ids: [Int]
            let typeIds: [Int]
            let hiddenStates: [[Float]]
            enum CodingKeys: String, CodingKey { case ids, typeIds = "type_ids", hiddenStates = "hidden_states" }
        }
        let cases: [Case]
    }

    func load(_ activation: String) throws -> (any TextEncoder, Reference) {
        let directory = Self.fixtures.appendingPathComponent("tiny-bert-\(activation)")
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: directory.appendingPathComponent("reference.json")))
        return (try ModelRegistry.loadEncoder(directory: directory), reference)
    }

    @Test(arguments: ["gelu", "gelu_new", "relu"])
    func hiddenStatesMatchPyTorch(activation: String) throws {
        let (model, reference) = try load(activation)
        for threads in [1, 2] {
            let pool = ThreadPool(threadCount: threads)
            // One sequence at a time, then all of them packed into one batch: both must match PyTorch.
            for item in reference.cases {
                let hidden = try model.encode(TokenBatch(sequences: [(item.ids, item.typeIds)]), pool: pool)
                let difference = maxAbsoluteDifference(hidden.scalars, item.hiddenStates.flatMap { $0 })
                #expect(difference <= Self.hiddenStateFP32, "\(activation), length \(item.ids.count): \(difference)")
            }
            let packed = try model.encode(TokenBatch(sequences: reference.cases.map { ($0.ids, $0.typeIds) }), pool: pool)
            let expected = reference.cases.flatMap { $0.hiddenStates.flatMap { $0 } }
            #expect(maxAbsoluteDifference(packed.scalars, expected) <= Self.hiddenStateFP32, "\(activation) packed, \(threads) threads")
        }
    }

    @Test func outOfRangeInputsAreErrors() throws {
        let (model, _) = try load("gelu")
        let pool = ThreadPool(threadCount: 1)
        #expect(throws: ModelError.tokenIdOutOfRange(id: 64, vocabularySize: 64)) {
            try model.encode(TokenBatch(tokenIds: [[1, 64]]), pool: pool)
        }
        #expect(throws: ModelError.sequenceTooLong(length: 41, maximum: 40)) {
            try model.encode(TokenBatch(tokenIds: [Array(repeating: 1, count: 41)]), pool: pool)
        }
        #expect(throws: ModelError.self) {
            try model.encode(TokenBatch(sequences: [([1, 2], [0, 2])]), pool: pool)
        }
        #expect(throws: ModelError.self) { try TokenBatch(sequences: [([1, 2], [0])]) }
    }

    @Test func emptyBatchAndEmptySequence() throws {
        let (model, _) = try load("gelu")
        let pool = ThreadPool(threadCount: 2)
        #expect(try model.encode(TokenBatch(tokenIds: []), pool: pool).shape == [0, 32])
        #expect(try model.encode(TokenBatch(tokenIds: [[], [5]]), pool: pool).shape == [1, 32])
    }
}

func maxAbsoluteDifference(_ a: [Float], _ b: [Float]) -> Float {
    guard a.count == b.count else { return .infinity }
    return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}
