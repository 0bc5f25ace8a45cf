import ApusTensor
import Foundation
import Testing
@testable import ApusModels

/// Hand-made safetensors files, good and bad: every malformed file gets its own error naming the file and tensor.
struct SafetensorsFileTests {
    /// Writes a safetensors file from a header object (or raw header text) and a data region.
    static func write(header: Any, data: [UInt8], headerLength: UInt64? = nil, name: String = "model.safetensors") throws -> URL {
        let text: Data
        if let raw = header as? String { text = Data(raw.utf8) } else if let raw = header as? [UInt8] { text = Data(raw) } else { text = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]) }
        var bytes = [UInt8]()
        var length = (headerLength ?? UInt64(text.count)).littleEndian
        withUnsafeBytes(of: &length) { bytes += $0 }
        bytes += text
        bytes += data
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("apus-st-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    static func entry(_ dtype: String, _ shape: [Int], _ begin: Int, _ end: Int) -> [String: Any] {
        ["dtype": dtype, "shape": shape, "data_offsets": [begin, end]]
    }

    static func floats(_ values: [Float]) -> [UInt8] {
        values.flatMap { value -> [UInt8] in
            let bits = value.bitPattern
            return [UInt8(bits & 0xFF), UInt8(bits >> 8 & 0xFF), UInt8(bits >> 16 & 0xFF), UInt8(bits >> 24)]
        }
    }

    /// Expects `body` to throw a LoadingError whose message contains every string in `mentions`.
    func expectError(mentioning mentions: [String], _ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try body()
            Issue.record("expected an error mentioning \(mentions)", sourceLocation: sourceLocation)
        } catch let error as LoadingError {
            let text = error.description
            for mention in mentions where !text.contains(mention) {
                Issue.record("error \"\(text)\" does not mention \"\(mention)\"", sourceLocation: sourceLocation)
            }
        } catch {
            Issue.record("unexpected error type: \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func everyDTypeRoundTrips() throws {
        // F16: 1.0, -2.0, smallest subnormal (2^-24), +inf; BF16: 1.0, -0.5; I64 -3; I32 7; I8 -1; U8 200; BOOL true.
        let f16: [UInt8] = [0x00, 0x3C, 0x00, 0xC0, 0x01, 0x00, 0x00, 0x7C]
        let bf16: [UInt8] = [0x80, 0x3F, 0x00, 0xBF]
        var data = Self.floats([1.5, -2.25, 0])   // F32 [3]   0..<12
        data += f16                                // F16 [2,2] 12..<20
        data += bf16                               // BF16 [2]  20..<24
        data += [0xFD, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF] // I64 24..<32
        data += [7, 0, 0, 0]                       // I32 32..<36
        data += [0xFF, 200, 1]                     // I8 36, U8 37, BOOL 38
        let url = try Self.write(header: [
            "__metadata__": ["format": "pt"],
            "f32": Self.entry("F32", [3], 0, 12), "f16": Self.entry("F16", [2, 2], 12, 20), "bf16": Self.entry("BF16", [2], 20, 24),
            "i64": Self.entry("I64", [], 24, 32), "i32": Self.entry("I32", [1], 32, 36), "i8": Self.entry("I8", [1], 36, 37),
            "u8": Self.entry("U8", [1], 37, 38), "bool": Self.entry("BOOL", [1], 38, 39), "empty": Self.entry("F32", [0, 4], 39, 39),
        ], data: data)
        let file = try SafetensorsFile(url: url)
        #expect(file.metadata == ["format": "pt"])
        #expect(file.tensorNames.count == 9)
        #expect(try file.floatTensor(named: "f32").scalars == [1.5, -2.25, 0])
        let half = try file.floatTensor(named: "f16")
        #expect(half.shape == [2, 2])
        #expect(half.scalars == [1, -2, 0x1p-24, .infinity])
        #expect(try file.floatTensor(named: "bf16").scalars == [1, -0.5])
        #expect(try file.integerValues(named: "i64") == [-3])
        #expect(try file.integerValues(named: "i32") == [7])
        #expect(try file.integerValues(named: "i8") == [-1])
        #expect(try file.integerValues(named: "u8") == [200])
        #expect(try file.integerValues(named: "bool") == [1])
        #expect(try file.floatTensor(named: "empty").shape == [0, 4])
        expectError(mentioning: ["i32", "I32"]) { _ = try file.floatTensor(named: "i32") }
    }

    @Test func halfPrecisionSpecialValues() {
        #expect(floatFromHalfBits(0x8000) == 0 && floatFromHalfBits(0x8000).sign == .minus)
        #expect(floatFromHalfBits(0x03FF) == Float(0x3FF) * 0x1p-24) // largest subnormal
        #expect(floatFromHalfBits(0x7BFF) == 65504)                  // largest normal
        #expect(floatFromHalfBits(0xFC00) == -.infinity)
        #expect(floatFromHalfBits(0x7E00).isNaN)
        #expect(floatFromBFloat16Bits(0x7FC0).isNaN)
        #expect(floatFromBFloat16Bits(0x0001) == Float(bitPattern: 0x0001_0000)) // bf16 subnormal
    }

    @Test func alignedFloat32IsBorrowedNotCopied() throws {
        // An 8-byte header length plus a 16-byte header keeps the data region 8-byte aligned.
        let header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}"
        let padded = header + String(repeating: " ", count: (8 - header.utf8.count % 8) % 8)
        let file = try SafetensorsFile(url: Self.write(header: padded, data: Self.floats([1, 2])))
        #expect(file.isZeroCopy("w"))
        #expect(try file.floatTensor(named: "w").scalars == [1, 2])
        // A header length that is not a multiple of 4 misaligns the data: the tensor is copied, values intact.
        let odd = header + String(repeating: " ", count: (8 - header.utf8.count % 8) % 8 + 1)
        let copied = try SafetensorsFile(url: Self.write(header: odd, data: Self.floats([3, 4])))
        #expect(!copied.isZeroCopy("w"))
        #expect(try copied.floatTensor(named: "w").scalars == [3, 4])
    }

    @Test func tooSmallAndTruncatedFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("apus-st-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let tiny = directory.appendingPathComponent("tiny.safetensors")
        try Data([1, 2, 3]).write(to: tiny)
        expectError(mentioning: ["tiny.safetensors", "8-byte"]) { _ = try SafetensorsFile(url: tiny) }

        let good = try Self.write(header: ["w": Self.entry("F32", [4], 0, 16)], data: Self.floats([1, 2, 3, 4]))
        let bytes = try Data(contentsOf: good)
        let truncated = directory.appendingPathComponent("truncated.safetensors")
        try bytes.prefix(bytes.count - 4).write(to: truncated)
        expectError(mentioning: ["truncated.safetensors", "'w'", "past the data region"]) { _ = try SafetensorsFile(url: truncated) }
        let cutHeader = directory.appendingPathComponent("cut-header.safetensors")
        try bytes.prefix(20).write(to: cutHeader)
        expectError(mentioning: ["cut-header.safetensors", "runs past the end"]) { _ = try SafetensorsFile(url: cutHeader) }
        expectError(mentioning: ["missing.safetensors"]) { _ = try SafetensorsFile(url: directory.appendingPathComponent("missing.safetensors")) }
    }

    @Test func hugeHeaderLength() throws {
        let beyondLimit = try Self.write(header: "{}", data: [], headerLength: 200_000_000)
        expectError(mentioning: [beyondLimit.path, "exceeds the limit"]) { _ = try SafetensorsFile(url: beyondLimit) }
        let beyondFile = try Self.write(header: "{}", data: [], headerLength: 4096)
        expectError(mentioning: [beyondFile.path, "runs past the end"]) { _ = try SafetensorsFile(url: beyondFile) }
        let overflowing = try Self.write(header: "{}", data: [], headerLength: UInt64.max)
        expectError(mentioning: [overflowing.path]) { _ = try SafetensorsFile(url: overflowing) }
    }

    @Test func headerMustBeAJSONObject() throws {
        let notJSON = try Self.write(header: "{not json", data: [])
        expectError(mentioning: [notJSON.path, "not valid JSON"]) { _ = try SafetensorsFile(url: notJSON) }
        let array = try Self.write(header: "[1, 2]", data: [])
        expectError(mentioning: [array.path, "not a JSON object"]) { _ = try SafetensorsFile(url: array) }
        let badUTF8 = try Self.write(header: [UInt8]([0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D]), data: [])
        expectError(mentioning: [badUTF8.path, "UTF-8"]) { _ = try SafetensorsFile(url: badUTF8) }
        let badMetadata = try Self.write(header: ["__metadata__": ["n": 1]], data: [])
        expectError(mentioning: [badMetadata.path, "__metadata__"]) { _ = try SafetensorsFile(url: badMetadata) }
    }

    @Test func overlappingAndOutOfRangeOffsets() throws {
        let overlapping = try Self.write(header: ["a": Self.entry("F32", [2], 0, 8), "b": Self.entry("F32", [2], 4, 12)],
                                         data: Self.floats([1, 2, 3]))
        expectError(mentioning: [overlapping.path, "'a'", "'b'", "overlap"]) { _ = try SafetensorsFile(url: overlapping) }
        let outOfRange = try Self.write(header: ["a": Self.entry("F32", [2], 8, 16)], data: Self.floats([1, 2]))
        expectError(mentioning: [outOfRange.path, "'a'", "past the data region"]) { _ = try SafetensorsFile(url: outOfRange) }
        let gap = try Self.write(header: ["a": Self.entry("F32", [1], 4, 8)], data: Self.floats([1, 2]))
        expectError(mentioning: [gap.path, "'a'", "gap"]) { _ = try SafetensorsFile(url: gap) }
        let trailing = try Self.write(header: ["a": Self.entry("F32", [1], 0, 4)], data: Self.floats([1, 2]))
        expectError(mentioning: [trailing.path, "cover 4 bytes"]) { _ = try SafetensorsFile(url: trailing) }
        let reversed = try Self.write(header: ["a": Self.entry("F32", [0], 8, 4)], data: Self.floats([1, 2]))
        expectError(mentioning: [reversed.path, "'a'", "data_offsets"]) { _ = try SafetensorsFile(url: reversed) }
    }

    @Test func sizeMustMatchShapeAndDType() throws {
        // F16 [4] needs 8 bytes, but the offsets give 16 (what F32 would need).
        let wrongSize = try Self.write(header: ["w": Self.entry("F16", [4], 0, 16)], data: Self.floats([1, 2, 3, 4]))
        expectError(mentioning: [wrongSize.path, "'w'", "needs 8"]) { _ = try SafetensorsFile(url: wrongSize) }
        let unknown = try Self.write(header: ["w": Self.entry("F64", [2], 0, 16)], data: Self.floats([1, 2, 3, 4]))
        expectError(mentioning: [unknown.path, "'w'", "F64", "BF16"]) { _ = try SafetensorsFile(url: unknown) }
        let negative = try Self.write(header: ["w": Self.entry("F32", [-1], 0, 4)], data: Self.floats([1]))
        expectError(mentioning: [negative.path, "'w'", "shape"]) { _ = try SafetensorsFile(url: negative) }
        let fractional = try Self.write(header: ["w": ["dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]]], data: Self.floats([1]))
        expectError(mentioning: [fractional.path, "'w'", "shape"]) { _ = try SafetensorsFile(url: fractional) }
        let overflow = try Self.write(header: ["w": Self.entry("F32", [Int(1) << 40, Int(1) << 40], 0, 4)], data: Self.floats([1]))
        expectError(mentioning: [overflow.path, "'w'", "overflows"]) { _ = try SafetensorsFile(url: overflow) }
        let missingField = try Self.write(header: ["w": ["dtype": "F32", "data_offsets": [0, 4]]], data: Self.floats([1]))
        expectError(mentioning: [missingField.path, "'w'", "shape"]) { _ = try SafetensorsFile(url: missingField) }
    }
}

/// Sharded checkpoints and the strict WeightStore.
struct WeightStoreTests {
    func shardedDirectory(index: [String: Any]) throws -> URL {
        let first = try SafetensorsFileTests.write(header: ["a.weight": SafetensorsFileTests.entry("F32", [2], 0, 8)],
                                                   data: SafetensorsFileTests.floats([1, 2]), name: "model-00001-of-00002.safetensors")
        let directory = first.deletingLastPathComponent()
        let second = try SafetensorsFileTests.write(header: ["b.weight": SafetensorsFileTests.entry("F32", [1], 0, 4)],
                                                    data: SafetensorsFileTests.floats([3]), name: "model-00002-of-00002.safetensors")
        try FileManager.default.moveItem(at: second, to: directory.appendingPathComponent(second.lastPathComponent))
        try JSONSerialization.data(withJSONObject: index).write(to: directory.appendingPathComponent("model.safetensors.index.json"))
        return directory
    }

    @Test func shardedCheckpointLoads() throws {
        let directory = try shardedDirectory(index: ["metadata": ["total_size": 12],
            "weight_map": ["a.weight": "model-00001-of-00002.safetensors", "b.weight": "model-00002-of-00002.safetensors"]])
        let store = try WeightStore(directory: directory)
        #expect(store.tensorNames == ["a.weight", "b.weight"])
        #expect(try store.scope("a").tensor("weight", shape: [2]).scalars == [1, 2])
        #expect(try store.root.tensor("b.weight", shape: [1]).scalars == [3])
        try store.finish()
    }

    @Test func badIndexesAreRefused() throws {
        let missingShard = try shardedDirectory(index: ["weight_map": ["a.weight": "model-00003-of-00003.safetensors"]])
        #expect { try WeightStore(directory: missingShard) } throws: { "\($0)".contains("model-00003-of-00003.safetensors") }
        let wrongShard = try shardedDirectory(index: ["weight_map": ["b.weight": "model-00001-of-00002.safetensors"]])
        #expect { try WeightStore(directory: wrongShard) } throws: { "\($0)".contains("'b.weight'") }
        let escaping = try shardedDirectory(index: ["weight_map": ["a.weight": "../model-00001-of-00002.safetensors"]])
        #expect { try WeightStore(directory: escaping) } throws: { "\($0)".contains("not a plain file name") }
        let notAnIndex = try shardedDirectory(index: ["weights": [:]])
        #expect { try WeightStore(directory: notAnIndex) } throws: { "\($0)".contains("weight_map") }
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("apus-empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        #expect { try WeightStore(directory: empty) } throws: { "\($0)".contains("model.safetensors.index.json") }
    }

    @Test func strictLoadingNamesTensors() throws {
        let url = try SafetensorsFileTests.write(header: [
            "bert.encoder.dense.weight": SafetensorsFileTests.entry("F32", [2, 1], 0, 8),
            "pooler.dense.weight": SafetensorsFileTests.entry("F32", [1], 8, 12),
            "extra": SafetensorsFileTests.entry("F32", [1], 12, 16),
        ], data: SafetensorsFileTests.floats([1, 2, 3, 4]))
        let store = try WeightStore(directory: url.deletingLastPathComponent())
        #expect(throws: LoadingError.unexpectedShape(tensor: "bert.encoder.dense.weight", expected: [1, 2], actual: [2, 1], file: url.path)) {
            try store.scope("bert.encoder").tensor("dense.weight", shape: [1, 2])
        }
        #expect { try store.scope("encoder").tensor("dense.weight", shape: [2, 1]) } throws: { error in
            "\(error)".contains("'encoder.dense.weight'") && "\(error)".contains("bert.encoder.dense.weight")
        }
        _ = try store.scope("bert.encoder.dense").tensor("weight", shape: [2, 1])
        store.markUnused(prefix: "pooler.")
        #expect(throws: LoadingError.unusedTensors(names: ["extra"], directory: url.deletingLastPathComponent().path)) { try store.finish() }
    }

    @Test func realMiniLMCheckpoint() throws {
        let path = ProcessInfo.processInfo.environment["APUS_MINILM_PATH"]
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent(".cache/models/all-MiniLM-L6-v2").path
        let file = try SafetensorsFile(url: URL(fileURLWithPath: path).appendingPathComponent("model.safetensors"))
        #expect(file.tensors.count >= 101)
        #expect(file.tensors["embeddings.word_embeddings.weight"]?.shape == [30522, 384])
        #expect(file.tensors["encoder.layer.5.intermediate.dense.weight"]?.shape == [1536, 384])
        #expect(file.isZeroCopy("embeddings.word_embeddings.weight"))
    }
}
