import ApusTensor
import Foundation
import Testing
@testable import ApusModels

/// DeBERTa-v2/v3 against PyTorch on tiny random checkpoints (scripts/make_tiny_deberta_fixtures.py): the v3 layout
/// (log buckets 8 / max_relative_positions 24, shared keys, normalised relative embeddings, sequences up to 64),
/// the v2 layout (clamped distances at 16, own position projections, absolute positions, token types, embed_proj,
/// ConvLayer with 2 groups), and c2p alone; one sequence at a time and packed, 1 and 2 threads.
struct DebertaV2Tests {
    static func directory(_ name: String) -> URL { BertModelTests.fixtures.appendingPathComponent("tiny-deberta-\(name)") }

    @Test(arguments: ["v3", "v2", "c2p"])
    func hiddenStatesMatchPyTorch(fixture: String) throws {
        let model = try ModelRegistry.loadEncoder(directory: Self.directory(fixture))
        #expect(model is DebertaV2Model)
        #expect(model.hiddenSize == 32)
        try expectHiddenStatesMatchPyTorch(model, fixture: Self.directory(fixture), label: "deberta-\(fixture)")
    }

    /// The fixtures' sequences reach past the bucket span and `max_relative_positions`, so the clamp and the log
    /// buckets are exercised, not only the exact distances.
    @Test func fixturesReachPastTheRelativeSpan() throws {
        for (fixture, maxRelative) in [("v3", 24), ("v2", 16), ("c2p", 32)] {
            let model = try #require(try ModelRegistry.loadEncoder(directory: Self.directory(fixture)) as? DebertaV2Model)
            #expect(model.configuration.effectiveMaxRelativePositions == maxRelative)
            let reference = try JSONDecoder().decode(BertModelTests.Reference.self,
                                                     from: Data(contentsOf: Self.directory(fixture).appendingPathComponent("reference.json")))
            #expect(reference.cases.map(\.ids.count).max() ?? 0 > maxRelative, "\(fixture)")
        }
    }

    struct BucketReference: Decodable {
        struct Buckets: Decodable {
            let positionBuckets: Int, maxRelativePositions: Int, buckets: [Int]
            enum CodingKeys: String, CodingKey {
                case positionBuckets = "position_buckets", maxRelativePositions = "max_relative_positions", buckets
            }
        }
        let buckets: Buckets
    }

    /// transformers' `make_log_bucket_position` at DeBERTa-v3-base's setting (256 buckets, 512 positions) for
    /// distances 0…1500, stored by the fixture script: the float32 log and ceil decide the bucket edges.
    @Test func logBucketsFollowTransformers() throws {
        let reference = try JSONDecoder().decode(BucketReference.self,
                                                 from: Data(contentsOf: Self.directory("v3").appendingPathComponent("reference.json"))).buckets
        let positions = DebertaRelativePositions(span: reference.positionBuckets, buckets: reference.positionBuckets,
                                                 maxPosition: reference.maxRelativePositions)
        var mismatches: [Int] = []
        for (distance, expected) in reference.buckets.enumerated() {
            if positions.bucket(distance) != expected || positions.bucket(-distance) != -expected { mismatches.append(distance) }
        }
        #expect(reference.buckets.count == 1501)
        #expect(mismatches.isEmpty, "distances \(mismatches.prefix(10))")
    }

    /// A `conv_act` transformers has no function for is named in the error.
    @Test func unknownConvolutionActivationIsRejected() throws {
        let scratch = try ScratchDirectory()
        let source = Self.directory("v2")
        try FileManager.default.copyItem(at: source.appendingPathComponent("model.safetensors"),
                                         to: scratch.url.appendingPathComponent("model.safetensors"))
        var configuration = try JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("config.json")))
            as? [String: Any] ?? [:]
        configuration["conv_act"] = "mish"
        try JSONSerialization.data(withJSONObject: configuration).write(to: scratch.url.appendingPathComponent("config.json"))
        let error = #expect(throws: ModelError.self) { try ModelRegistry.loadEncoder(directory: scratch.url) }
        #expect(error == .unsupportedConfigurationValue(file: scratch.url.appendingPathComponent("config.json").path,
                                                        key: "conv_act", value: "mish", supported: ["tanh"] + Activation.huggingFaceNames))
    }

    /// Longer than `max_position_embeddings` is an error naming both lengths.
    @Test func tooLongSequenceIsRejected() throws {
        let model = try ModelRegistry.loadEncoder(directory: Self.directory("v3"))
        let error = #expect(throws: ModelError.self) {
            _ = try model.encode(TokenBatch(tokenIds: [Array(repeating: 5, count: 65)]), pool: ThreadPool(threadCount: 1))
        }
        #expect(error == .sequenceTooLong(length: 65, maximum: 64))
    }
}
