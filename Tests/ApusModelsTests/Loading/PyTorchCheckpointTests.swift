import ApusTensor
import Foundation
import Testing
@testable import ApusModels

/// `pytorch_model.bin` files written by torch.save (scripts/make_pytorch_bin_fixtures.py): the same tensors as
/// the safetensors file they were saved from, every kind of view, and pickles that must be refused.
struct PyTorchCheckpointTests {
    static let directory = BertModelTests.fixtures.appendingPathComponent("pytorch-bin")
    static let safetensorsTwin = BertModelTests.fixtures.appendingPathComponent("tiny-bert-gelu")

    @Test func singleFileEqualsItsSafetensorsTwin() throws {
        let bin = try WeightStore(directory: Self.directory.appendingPathComponent("tiny-bert"))
        let safetensors = try WeightStore(directory: Self.safetensorsTwin)
        #expect(bin.tensorNames == safetensors.tensorNames)
        for name in safetensors.tensorNames {
            let shape = try #require(safetensors.info(name)?.shape)
            #expect(bin.info(name) == safetensors.info(name), "\(name)")
            // Bit-identical: both files hold the same fp32 bytes.
            #expect(try bin.root.tensor(name, shape: shape).scalars.map(\.bitPattern)
                    == safetensors.root.tensor(name, shape: shape).scalars.map(\.bitPattern), "\(name)")
        }
        let file = try #require(bin.files.first as? PyTorchCheckpoint)
        let tensor = try file.floatTensor(named: "embeddings.word_embeddings.weight")
        #expect(file.isBorrowed(tensor), "a contiguous aligned fp32 tensor is read in place")
    }

    @Test func shardedCheckpointLoadsThroughItsIndex() throws {
        let sharded = try WeightStore(directory: Self.directory.appendingPathComponent("tiny-bert-sharded"))
        let safetensors = try WeightStore(directory: Self.safetensorsTwin)
        #expect(sharded.files.count == 3)
        #expect(sharded.tensorNames == safetensors.tensorNames)
        for name in safetensors.tensorNames {
            let shape = try #require(safetensors.info(name)?.shape)
            #expect(try sharded.root.tensor(name, shape: shape).scalars == safetensors.root.tensor(name, shape: shape).scalars, "\(name)")
        }
    }

    @Test func modelFromBinMatchesPyTorch() throws {
        let directory = Self.directory.appendingPathComponent("tiny-bert")
        let reference = try JSONDecoder().decode(BertModelTests.Reference.self,
                                                 from: Data(contentsOf: Self.safetensorsTwin.appendingPathComponent("reference.json")))
        let model = try ModelRegistry.loadEncoder(directory: directory)
        let pool = ThreadPool(threadCount: 2)
        for item in reference.cases {
            let hidden = try model.encode(TokenBatch(sequences: [(item.ids, item.typeIds)]), pool: pool)
            #expect(maxAbsoluteDifference(hidden.scalars, item.hiddenStates.flatMap { $0 }) <= BertModelTests.hiddenStateFP32)
        }
    }

    struct Views: Decodable {
        let values: [String: [Double]]
        let shapes: [String: [Int]]
    }

    @Test func everyKindOfViewReadsAsTorchHoldsIt() throws {
        let checkpoint = try PyTorchCheckpoint(url: Self.directory.appendingPathComponent("views.bin"))
        let expected = try JSONDecoder().decode(Views.self, from: Data(contentsOf: Self.directory.appendingPathComponent("views.json")))
        #expect(Set(checkpoint.tensorNames) == Set(expected.shapes.keys))
        for (name, shape) in expected.shapes {
            #expect(checkpoint.tensorDescription(of: name)?.shape == shape, "\(name)")
        }
        #expect(checkpoint.tensorDescription(of: "half")?.dtype == .float16)
        #expect(checkpoint.tensorDescription(of: "bf16")?.dtype == .bfloat16)
        #expect(checkpoint.tensorDescription(of: "ids")?.dtype == .int64)
        for (name, values) in expected.values {
            let tensor = try checkpoint.floatTensor(named: name)
            #expect(tensor.shape == expected.shapes[name], "\(name)")
            // Every stored value is exactly representable in fp32 (fp16/bf16 widen exactly; fp32 round-trips).
            #expect(tensor.scalars == values.map { Float($0) }, "\(name)")
        }
        #expect(throws: LoadingError.unexpectedDType(tensor: "ids", dtype: .int64, expected: [.float32, .float16, .bfloat16],
                                                     file: checkpoint.url.path)) {
            try checkpoint.floatTensor(named: "ids")
        }
    }

    @Test(arguments: [("os-system.bin", "os.system"), ("eval-stack-global.bin", "builtins.eval"), ("newobj.bin", "__main__.Payload")])
    func maliciousPicklesAreRefused(file: String, global: String) throws {
        let url = Self.directory.appendingPathComponent(file)
        do {
            _ = try PyTorchCheckpoint(url: url)
            Issue.record("\(file) was loaded")
        } catch let error as LoadingError {
            guard case .unsafePickle(let path, let reason) = error else {
                Issue.record("\(file): expected unsafePickle, got \(error)")
                return
            }
            #expect(path == url.path)
            #expect(reason.contains(global), "\(reason)")
            #expect(error.description.contains("refused"))
        }
    }

    @Test func legacyFormatIsRefusedWithAdvice() throws {
        let url = Self.directory.appendingPathComponent("legacy.bin")
        expectLoadingError(.invalidPyTorchCheckpoint(file: url.path, reason: """
            this is the legacy (PyTorch < 1.6) torch.save format, which Apus does not read; re-save it with a \
            current torch (torch.save(torch.load(f, weights_only=True), f)) or convert it to safetensors
            """), mentioning: ["safetensors"]) {
            _ = try PyTorchCheckpoint(url: url)
        }
    }

    @Test func truncatedAndCorruptArchivesAreErrors() throws {
        let original = try Data(contentsOf: Self.directory.appendingPathComponent("tiny-bert/pytorch_model.bin"))
        let scratch = try ScratchDirectory()
        // Cut anywhere: the archive loses its end record or a record runs past the end; never a crash.
        for length in [0, 3, 100, original.count / 2, original.count - 30, original.count - 1] {
            let url = try scratch.write([UInt8](original.prefix(length)), to: "cut-\(length).bin")
            #expect(throws: LoadingError.self, "cut at \(length)") { _ = try PyTorchCheckpoint(url: url) }
        }
        // Flip every byte of the pickle region one at a time would be slow; flip a spread of them instead.
        var bytes = [UInt8](original)
        var failures = 0
        for position in stride(from: 0, to: bytes.count, by: 97) {
            let saved = bytes[position]
            bytes[position] ^= 0xFF
            let url = try scratch.write(bytes, to: "flip.bin")
            do { _ = try PyTorchCheckpoint(url: url) } catch is LoadingError { failures += 1 }
            bytes[position] = saved
        }
        #expect(failures > 0, "some corruptions must be detected")
    }

    @Test func contiguityIgnoresUnitExtents() {
        #expect(PyTorchCheckpoint.isContiguous(shape: [2, 3], strides: [3, 1]))
        #expect(PyTorchCheckpoint.isContiguous(shape: [1, 3], strides: [99, 1]))
        #expect(!PyTorchCheckpoint.isContiguous(shape: [3, 2], strides: [1, 3]))
    }
}
