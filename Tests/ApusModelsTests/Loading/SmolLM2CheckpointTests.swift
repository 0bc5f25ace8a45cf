import ApusTensor
import Foundation
import Testing
@testable import ApusModels

/// The real HuggingFaceTB/SmolLM2-135M-Instruct Q4_1 GGUF (scripts/fetch-smollm2.sh; scripts/test.sh fetches it)
/// against transformers' conversion of the same file (Tests/Fixtures/gguf-smollm2, scripts/make_smollm2_fixtures.py):
/// the derived config.json, and shapes, sums and sampled values of tensors of every stored type (Q8_0 embedding,
/// Q4_1 projections including the permuted q_proj/k_proj, F32 norms).
struct SmolLM2CheckpointTests {
    /// `$APUS_SMOLLM2_GGUF`, or `<repo>/.cache/models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf`.
    static var fileURL: URL {
        if let path = ProcessInfo.processInfo.environment["APUS_SMOLLM2_GGUF"] { return URL(fileURLWithPath: path) }
        return repositoryRoot.appendingPathComponent(".cache/models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
    }
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = repositoryRoot.appendingPathComponent("Tests/Fixtures/gguf-smollm2")
    static var fileIsPresent: Bool { FileManager.default.fileExists(atPath: fileURL.path) }

    /// Sums over up to 28 million fp32 values, accumulated in Double here and in numpy: they agree to rounding.
    static let relativeSumTolerance = 1e-9

    @Test(.enabled(if: fileIsPresent, "SmolLM2 GGUF absent: run scripts/fetch-smollm2.sh (or set APUS_SMOLLM2_GGUF)"))
    func configurationMatchesTransformers() throws {
        let checkpoint = try GGUFCheckpoint(url: Self.fileURL)
        try GGUFCheckpointTests.expectConfiguration(checkpoint.configuration.json, matches: Self.fixtures.appendingPathComponent("config.json"))
        #expect(checkpoint.architecture == "llama")
        #expect(checkpoint.file.tensors.count == 272)
    }

    @Test(.enabled(if: fileIsPresent, "SmolLM2 GGUF absent: run scripts/fetch-smollm2.sh (or set APUS_SMOLLM2_GGUF)"))
    func tensorsMatchTransformers() throws {
        let checkpoint = try GGUFCheckpoint(url: Self.fileURL)
        let listing = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: Self.fixtures.appendingPathComponent("tensors.json"))) as? [String: Any])
        #expect(checkpoint.tensorNames.count == listing["tensor_count"] as? Int)
        let entries = try #require(listing["tensors"] as? [[String: Any]])
        for entry in entries {
            let name = try #require(entry["name"] as? String)
            let tensor = try checkpoint.floatTensor(named: name)
            #expect(tensor.shape == entry["shape"] as? [Int], "\(name)")
            let count = tensor.shape.reduce(1, *)
            let values = UnsafeBufferPointer(start: tensor.storage.pointer, count: count)
            let indices = try #require(entry["indices"] as? [Int])
            let expected = try #require(entry["values"] as? [Double])
            for (index, value) in zip(indices, expected) {
                #expect(values[index] == Float(value), "\(name)[\(index)]")
            }
            let sum = values.reduce(0.0) { $0 + Double($1) }
            let squares = values.reduce(0.0) { $0 + Double($1) * Double($1) }
            let expectedSum = try #require(entry["sum"] as? Double), expectedSquares = try #require(entry["sum_of_squares"] as? Double)
            #expect(abs(sum - expectedSum) <= Self.relativeSumTolerance * max(1, squares), "\(name) sum \(sum) vs \(expectedSum)")
            #expect(abs(squares - expectedSquares) <= Self.relativeSumTolerance * expectedSquares, "\(name)")
        }
    }

    /// Opens the file and dequantises every tensor, as loading the model does; prints the time (about 0.3 s here).
    @Test(.enabled(if: fileIsPresent, "SmolLM2 GGUF absent: run scripts/fetch-smollm2.sh (or set APUS_SMOLLM2_GGUF)"))
    func everyTensorLoads() throws {
        let clock = ContinuousClock()
        var elements = 0
        let elapsed = try clock.measure {
            let checkpoint = try GGUFCheckpoint(url: Self.fileURL)
            let store = try checkpoint.weightStore()
            for name in store.tensorNames {
                let shape = try #require(store.info(name)?.shape)
                elements += try store.root.tensor(name, shape: shape).shape.reduce(1, *)
            }
            try store.finish()
        }
        #expect(elements == 134_515_008)
        print("SmolLM2-135M Q4_1 GGUF: opened and dequantised \(elements) weights in \(elapsed)")
    }
}
