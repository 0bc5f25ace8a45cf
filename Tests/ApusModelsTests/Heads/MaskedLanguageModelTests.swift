import ApusTensor
import Foundation
import Testing
@testable import ApusModels

/// BertForMaskedLM against PyTorch on a tiny random checkpoint with tied embeddings
/// (scripts/make_tiny_mlm_fixtures.py): logits at mask positions, alone and packed; loading and its errors.
struct MaskedLanguageModelTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let directory = fixtures.appendingPathComponent("tiny-bert-mlm")
    /// Max |Δ| of fp32 vocabulary logits against PyTorch.
    static let logitsFP32: Float = 1e-4

    struct Reference: Decodable {
        struct Case: Decodable {
            let text: String
            let ids: [Int]
            let typeIds: [Int]
            let maskPositions: [Int]
            let logits: [[Float]]
            enum CodingKeys: String, CodingKey { case text, ids, typeIds = "type_ids", maskPositions = "mask_positions", logits }
        }
        let cases: [Case]
    }

    static func reference() throws -> Reference {
        try JSONDecoder().decode(Reference.self, from: Data(contentsOf: directory.appendingPathComponent("reference.json")))
    }

    @Test func logitsAtMaskPositionsMatchPyTorch() throws {
        let model = try ModelRegistry.loadMaskedLanguageModel(directory: Self.directory)
        let reference = try Self.reference()
        #expect(model.vocabularySize == 64)
        #expect(model.configuration.tiesWordEmbeddings)
        #expect(reference.cases.contains { $0.maskPositions.count == 2 })
        for threads in [1, 2] {
            let pool = ThreadPool(threadCount: threads)
            let arena = ActivationArena()
            for item in reference.cases {
                let logits = try model.logits(TokenBatch(sequences: [(item.ids, item.typeIds)]), positions: item.maskPositions,
                                              pool: pool, arena: arena)
                #expect(logits.shape == [item.maskPositions.count, 64])
                let difference = maxAbsoluteDifference(logits.scalars, item.logits.flatMap { $0 })
                #expect(difference <= Self.logitsFP32, "\(item.text), \(threads) threads: \(difference)")
            }
            // Every case in one packed batch: mask rows are offsets into the packed tokens.
            let batch = try TokenBatch(sequences: reference.cases.map { ($0.ids, $0.typeIds) })
            let positions = reference.cases.indices.flatMap { index in
                reference.cases[index].maskPositions.map { batch.sequenceOffsets[index] + $0 }
            }
            let packed = try model.logits(batch, positions: positions, pool: pool, arena: arena)
            let difference = maxAbsoluteDifference(packed.scalars, reference.cases.flatMap { $0.logits.flatMap { $0 } })
            #expect(difference <= Self.logitsFP32, "packed, \(threads) threads: \(difference)")
        }
    }

    @Test func positionsOutsideTheBatchThrow() throws {
        let model = try ModelRegistry.loadMaskedLanguageModel(directory: Self.directory)
        let batch = try TokenBatch(sequences: [([2, 4, 3], [0, 0, 0])])
        #expect(throws: ModelError.self) { try model.logits(batch, positions: [3], pool: ThreadPool(threadCount: 1)) }
        #expect(try model.logits(batch, positions: [], pool: ThreadPool(threadCount: 1)).shape == [0, 64])
    }

    @Test func checkpointWithoutMaskedLanguageHeadIsRejected() throws {
        // A classification checkpoint: `architectures` names no masked-LM head.
        let classifier = Self.fixtures.appendingPathComponent("tiny-bert-seqcls-single")
        do {
            _ = try ModelRegistry.loadMaskedLanguageModel(directory: classifier)
            Issue.record("expected an error")
        } catch let error as ModelError {
            #expect("\(error)".contains("architectures") && "\(error)".contains("BertForMaskedLM"), "\(error)")
        }
        // `architectures` says BertForMaskedLM but the weights lack `cls.predictions`.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("apus-mlm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let encoderOnly = Self.fixtures.appendingPathComponent("tiny-bert-gelu")
        var configuration = try JSONSerialization.jsonObject(with: Data(contentsOf: encoderOnly.appendingPathComponent("config.json")))
            as? [String: Any] ?? [:]
        configuration["architectures"] = ["BertForMaskedLM"]
        try JSONSerialization.data(withJSONObject: configuration).write(to: directory.appendingPathComponent("config.json"))
        try FileManager.default.copyItem(at: encoderOnly.appendingPathComponent("model.safetensors"),
                                         to: directory.appendingPathComponent("model.safetensors"))
        do {
            _ = try ModelRegistry.loadMaskedLanguageModel(directory: directory)
            Issue.record("expected an error")
        } catch let error as ModelError {
            #expect("\(error)".contains("cls.predictions.transform.dense.weight"), "\(error)")
        }
    }
}
