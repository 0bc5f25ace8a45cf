import ApusTensor
import Foundation
import Testing
@testable import ApusModels

/// The real sentence-transformers/all-MiniLM-L6-v2 `model.safetensors`: every tensor where it should be, and
/// F32 weights read straight from the mapping.
struct MiniLMCheckpointTests {
    /// `$APUS_MINILM_PATH`, or `<repo>/.cache/models/all-MiniLM-L6-v2`.
    static var modelDirectory: URL {
        if let path = ProcessInfo.processInfo.environment["APUS_MINILM_PATH"] { return URL(fileURLWithPath: path) }
        let repositoryRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return repositoryRoot.appendingPathComponent(".cache/models/all-MiniLM-L6-v2")
    }

    // BERT with 6 layers, hidden 384, intermediate 1536, vocabulary 30522, 512 positions.
    static let layerCount = 6
    /// 5 embedding tensors + the `position_ids` buffer + 16 per layer + the pooler's 2.
    static let tensorCount = 5 + 1 + 16 * layerCount + 2

    @Test func realCheckpointLoadsWithoutCopies() throws {
        let weightsURL = Self.modelDirectory.appendingPathComponent(WeightStore.singleFileName)
        guard FileManager.default.fileExists(atPath: weightsURL.path) else {
            Issue.record("all-MiniLM-L6-v2 not found at \(Self.modelDirectory.path): run scripts/fetch-minilm.sh (or set APUS_MINILM_PATH)")
            return
        }
        let store = try WeightStore(directory: Self.modelDirectory)
        let file = try #require(store.files.first as? SafetensorsFile)
        #expect(store.files.count == 1)
        #expect(file.metadata["format"] == "pt")
        #expect(store.tensorNames.count == Self.tensorCount)

        let expectedShapes: [String: [Int]] = [
            "embeddings.word_embeddings.weight": [30522, 384],
            "embeddings.position_embeddings.weight": [512, 384],
            "embeddings.token_type_embeddings.weight": [2, 384],
            "embeddings.LayerNorm.weight": [384],
            "embeddings.position_ids": [1, 512],
            "encoder.layer.0.attention.self.query.weight": [384, 384],
            "encoder.layer.5.attention.output.dense.bias": [384],
            "encoder.layer.5.intermediate.dense.weight": [1536, 384],
            "encoder.layer.5.output.dense.weight": [384, 1536],
            "pooler.dense.weight": [384, 384],
        ]
        for (name, shape) in expectedShapes {
            #expect(store.info(name)?.shape == shape, "\(name)")
        }
        #expect(try file.integerValues(named: "embeddings.position_ids") == (0..<512).map(Int64.init))

        // Every F32 tensor is borrowed from the mapping, consumed through the store with its own shape.
        var borrowedCount = 0
        for name in store.tensorNames {
            guard let info = store.info(name), info.dtype == .float32 else {
                #expect(name == "embeddings.position_ids", "only the position_ids buffer is not F32")
                continue
            }
            let tensor = try store.root.tensor(name, shape: info.shape)
            #expect(file.isBorrowed(tensor), "\(name) was copied")
            borrowedCount += 1
        }
        #expect(borrowedCount == Self.tensorCount - 1)
        let word = try store.root.tensor("embeddings.word_embeddings.weight", shape: [30522, 384])
        let firstBytes = try file.withRawBytes(of: "embeddings.word_embeddings.weight") { Array($0.prefix(4)) }
        #expect(word.pointer[0].bitPattern == firstBytes.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) })

        store.markUnused(prefix: "embeddings.position_ids")
        try store.finish()
    }
}
