import ApusTensor
import Foundation
import Testing
@testable import ApusModels

/// Strict, name-tracking access to a checkpoint: shapes checked, missing names explained, leftovers reported.
struct WeightStoreTests {
    typealias Writer = SafetensorsWriter

    /// A directory holding `model.safetensors` with `tensors` (F32 zeros of the given shapes).
    func checkpoint(_ tensors: [(String, [Int])]) throws -> (ScratchDirectory, URL) {
        let scratch = try ScratchDirectory()
        let file = try scratch.write(Writer.file(tensors.map { name, shape in
            Writer.TensorBytes(name: name, dtype: .float32, shape: shape, bytes: Writer.float32Bytes(Array(repeating: 0, count: shape.reduce(1, *))))
        }), to: WeightStore.singleFileName)
        return (scratch, file)
    }

    @Test func scopesNest() throws {
        let (scratch, _) = try checkpoint([("encoder.layer.3.attention.self.query.weight", [2, 2])])
        let store = try WeightStore(directory: scratch.url)
        let nested = store.scope("encoder").scope("layer.3").scope("attention.self")
        #expect(nested.prefix == "encoder.layer.3.attention.self")
        #expect(nested == store.scope("encoder.layer.3.attention.self"))
        #expect(store.root.scope("encoder") == store.scope("encoder"))
        #expect(store.root.prefix == "" && store.root.scope("").prefix == "")
        #expect(nested.qualified("query.weight") == "encoder.layer.3.attention.self.query.weight")
        #expect(nested.contains("query.weight") && !nested.contains("key.weight"))
        #expect(store.contains("encoder.layer.3.attention.self.query.weight"))
        #expect(try nested.scope("query").tensor("weight", shape: [2, 2]).shape == [2, 2])
        try store.finish()
    }

    @Test func shapeMismatchNamesTensorShapesAndFile() throws {
        let (scratch, file) = try checkpoint([("encoder.layer.3.output.dense.weight", [6, 3])])
        let store = try WeightStore(directory: scratch.url)
        expectLoadingError(.unexpectedShape(tensor: "encoder.layer.3.output.dense.weight", expected: [3, 6], actual: [6, 3], file: file.path),
                           mentioning: ["[6, 3]", "expected [3, 6]"]) {
            _ = try store.scope("encoder.layer.3.output.dense").tensor("weight", shape: [3, 6])
        }
        // A failed request does not count as consumed.
        #expect(store.unconsumedTensorNames == ["encoder.layer.3.output.dense.weight"])
    }

    @Test func missingTensorSuggestsClosestNames() throws {
        let (scratch, _) = try checkpoint([
            ("bert.encoder.layer.0.output.dense.weight", [1]), ("bert.encoder.layer.1.output.dense.weight", [1]),
            ("bert.embeddings.LayerNorm.gamma", [1]), ("bert.embeddings.LayerNorm.beta", [1]), ("cls.predictions.bias", [1]),
        ])
        let store = try WeightStore(directory: scratch.url)
        // A missing "bert." prefix: the prefixed name comes first, then the same layer part elsewhere.
        expectLoadingError(.missingTensor(tensor: "encoder.layer.0.output.dense.weight", file: scratch.url.path,
                                          similar: ["bert.encoder.layer.0.output.dense.weight", "bert.encoder.layer.1.output.dense.weight"]),
                           mentioning: ["similar names", "'bert.encoder.layer.0.output.dense.weight'"]) {
            _ = try store.scope("encoder.layer.0.output.dense").tensor("weight", shape: [1])
        }
        // Old checkpoints spell LayerNorm parameters gamma/beta.
        expectLoadingError(.missingTensor(tensor: "bert.embeddings.LayerNorm.weight", file: scratch.url.path,
                                          similar: ["bert.embeddings.LayerNorm.beta", "bert.embeddings.LayerNorm.gamma"])) {
            _ = try store.scope("bert.embeddings.LayerNorm").tensor("weight", shape: [1])
        }
        // A typo.
        expectLoadingError(.missingTensor(tensor: "cls.prediction.bias", file: scratch.url.path, similar: ["cls.predictions.bias"])) {
            _ = try store.root.tensor("cls.prediction.bias", shape: [1])
        }
        // Nothing close: no hint.
        expectLoadingError(.missingTensor(tensor: "lm_head.weight", file: scratch.url.path, similar: [])) {
            _ = try store.root.tensor("lm_head.weight", shape: [1])
        }
    }

    @Test func finishReportsEveryLeftoverUnlessMarkedUnused() throws {
        let names = (0..<12).map { "encoder.layer.\($0).weight" } + ["pooler.dense.weight", "pooler.dense.bias", "embeddings.position_ids"]
        let (scratch, _) = try checkpoint(names.map { ($0, [1]) })
        let store = try WeightStore(directory: scratch.url)
        _ = try store.scope("encoder.layer.0").tensor("weight", shape: [1])
        _ = try store.scope("encoder.layer.0").tensor("weight", shape: [1]) // asking twice (tied weights) is fine
        store.markUnused(prefix: "pooler.")
        let leftovers = ((1..<12).map { "encoder.layer.\($0).weight" } + ["embeddings.position_ids"]).sorted()
        expectLoadingError(.unusedTensors(names: leftovers, source: scratch.url.path),
                           mentioning: ["12 tensors", "encoder.layer.11.weight", "embeddings.position_ids"]) { try store.finish() }

        store.markUnused(prefix: "embeddings.position_ids")
        for index in 1..<12 { _ = try store.scope("encoder.layer.\(index)").tensor("weight", shape: [1]) }
        try store.finish()
    }

    @Test func convertedAndIntegerTensorsThroughTheStore() throws {
        let scratch = try ScratchDirectory()
        let file = try scratch.write(Writer.file([
            .init(name: "half", dtype: .float16, shape: [2], bytes: Writer.littleEndianBytes([UInt16(0x3C00), 0xC000])),
            .init(name: "ids", dtype: .int64, shape: [1], bytes: Writer.littleEndianBytes(Int64(3))),
        ]), to: WeightStore.singleFileName)
        let store = try WeightStore(files: [SafetensorsFile(url: file)])
        #expect(store.source == file.path)
        #expect(try store.root.tensor("half", shape: [2]).scalars == [1, -2])
        expectLoadingError(.unexpectedDType(tensor: "ids", dtype: .int64, expected: [.float32, .float16, .bfloat16], file: file.path)) {
            _ = try store.root.tensor("ids", shape: [1])
        }
        #expect(store.info("ids")?.dtype == .int64)
        #expect(store.unconsumedTensorNames == ["ids"])
    }

    @Test func sameTensorInTwoFilesIsRefused() throws {
        let scratch = try ScratchDirectory()
        let bytes = Writer.file([.init(name: "w", dtype: .float32, shape: [1], bytes: Writer.float32Bytes([1]))])
        let first = try scratch.write(bytes, to: "first.safetensors")
        let second = try scratch.write(bytes, to: "second.safetensors")
        expectLoadingError(.duplicateTensorAcrossFiles(tensor: "w", files: [first.path, second.path]), mentioning: [second.path]) {
            _ = try WeightStore(files: [SafetensorsFile(url: first), SafetensorsFile(url: second)])
        }
    }

    @Test func directoryWithoutWeights() throws {
        let scratch = try ScratchDirectory()
        try scratch.write("{}", to: "config.json")
        try scratch.write([0], to: "model.ckpt")
        expectLoadingError(.noWeights(directory: scratch.url.path,
                                      lookedFor: ["model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json"],
                                      otherWeightFiles: ["model.ckpt"]),
                           mentioning: ["model.safetensors, model.safetensors.index.json, pytorch_model.bin", "model.ckpt"]) {
            _ = try WeightStore(directory: scratch.url)
        }
        let missing = scratch.url.appendingPathComponent("no-such-model")
        expectLoadingError(.cannotOpen(file: missing.path, reason: "no such directory")) { _ = try WeightStore(directory: missing) }
    }

    @Test func layersMayLoadConcurrently() throws {
        let names = (0..<64).map { "layer.\($0).weight" }
        let (scratch, _) = try checkpoint(names.map { ($0, [4]) })
        let store = try WeightStore(directory: scratch.url)
        DispatchQueue.concurrentPerform(iterations: names.count) { index in
            _ = try? store.scope("layer.\(index)").tensor("weight", shape: [4])
        }
        try store.finish()
    }
}
