import ApusTensor
import Foundation
import Testing
@testable import ApusModels

/// GGUF parsing: a file written by gguf-py's GGUFWriter read back key by key and tensor by tensor, and every
/// kind of damage refused with an error naming the file and the key or tensor.
struct GGUFFileTests {
    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/gguf")

    // MARK: A file from gguf-py's writer

    @Test func metadataOfEveryTypeMatchesGGUFPy() throws {
        let file = try GGUFFile(url: Self.fixtures.appendingPathComponent("tiny-llama.gguf"))
        #expect(file.version == 3)
        #expect(file.alignment == 32)
        #expect(try file.int("test.uint8") == 200)
        #expect(try file.int("test.int8") == -100)
        #expect(try file.int("test.uint16") == 60000)
        #expect(try file.int("test.int16") == -30000)
        #expect(try file.int("test.uint32") == 4_000_000_000)
        #expect(try file.int("test.int32") == -2_000_000_000)
        #expect(file.value("test.uint64") == .uint64(1 << 63 + 5))
        #expect(throws: GGUFError.self) { _ = try file.int("test.uint64") } // 2⁶³ + 5 does not fit in Int
        #expect(try file.int("test.int64") == -(1 << 62))
        #expect(file.value("test.float32") == .float32(0.1))
        #expect(try file.float("test.float64") == 0.1)
        #expect(try file.bool("test.bool") == true)
        #expect(try file.string("test.string") == "naïve 😀")
        #expect(try file.intArray("test.int_array") == [1, -2, 3])
        #expect(try file.floatArray("test.float_array") == [0.5, -1.25])
        #expect(file.value("test.empty_array") == nil) // gguf-py's writer drops an empty array; handBuiltFileReadsBack has one
        #expect(try file.string("no.such.key") == nil)
        #expect(throws: GGUFError.metadataType(file: file.url.path, key: "test.string", expected: "an integer", actual: "a string")) {
            _ = try file.int("test.string")
        }

        // Every key and tensor as gguf-py's GGUFReader lists them.
        let listing = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.fixtures.appendingPathComponent("tiny-llama-metadata.json"))) as? [String: Any]
        let metadata = try #require(listing?["metadata"] as? [String: [String: Any]])
        #expect(Set(file.metadataKeys) == Set(metadata.keys))
        for (key, entry) in metadata {
            let types = entry["types"] as? [String] ?? []
            let value = try #require(file.value(key))
            switch value {
            case .array(let elementType, let elements):
                #expect(types.first == "ARRAY" && types.dropFirst().first.map { $0.lowercased() } == (elements.isEmpty ? nil : elementType.description), "\(key)")
                #expect(elements.count == (entry["value"] as? [Any])?.count, "\(key)")
            case .string(let text):
                #expect(types == ["STRING"] && text == entry["value"] as? String, "\(key)")
            default:
                #expect(types.count == 1 && types[0].lowercased() == value.typeName, "\(key): \(types) vs \(value.typeName)")
            }
        }
        #expect(try file.stringArray("tokenizer.ggml.tokens") == (metadata["tokenizer.ggml.tokens"]?["value"] as? [String]))
        #expect(try file.stringArray("tokenizer.ggml.merges") == (metadata["tokenizer.ggml.merges"]?["value"] as? [String]))

        let tensors = try #require(listing?["tensors"] as? [[String: Any]])
        #expect(file.tensors.map(\.name) == tensors.map { $0["name"] as? String ?? "" })
        for (info, expected) in zip(file.tensors, tensors) {
            #expect(info.type.description == expected["type"] as? String, "\(info.name)")
            #expect(info.dimensions == expected["dimensions"] as? [Int], "\(info.name)")
            #expect(info.offset == expected["offset"] as? Int, "\(info.name)")
        }
        #expect(file.dataStart == listing?["data_offset"] as? Int)
    }

    @Test func handBuiltFileReadsBack() throws {
        let scratch = try ScratchDirectory()
        var builder = GGUFBuilder.valid
        builder.add("empty", type: 9, GGUFBuilder.uint32(8) + GGUFBuilder.uint64(0))
        let file = try GGUFFile(url: scratch.write(builder.bytes, to: "valid.gguf"))
        #expect(try file.string("general.architecture") == "llama")
        #expect(file.value("empty") == .array(.string, []))
        #expect(try file.stringArray("empty") == [])
        let a = try file.floatTensor(named: "a.weight")
        #expect(a.shape == [2, 3])
        #expect(Array(UnsafeBufferPointer(start: a.storage.pointer, count: 6)) == [1, 2, 3, 4, 5, 6])
        #expect(try file.floatTensor(named: "b.weight").shape == [4])
        #expect(throws: LoadingError.self) { _ = try file.floatTensor(named: "c.weight") }
    }

    // MARK: Damage

    func expectError(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation, _ check: (GGUFError, String) -> Bool) throws {
        let scratch = try ScratchDirectory()
        let url = try scratch.write(bytes, to: "damaged.gguf")
        do {
            _ = try GGUFFile(url: url)
            Issue.record("expected an error", sourceLocation: sourceLocation)
        } catch let error as GGUFError {
            #expect(error.file == url.path, sourceLocation: sourceLocation)
            #expect(check(error, url.path), "\(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func wrongMagicAndVersions() throws {
        var bytes = GGUFBuilder.valid.bytes
        bytes[0] = UInt8(ascii: "X")
        try expectError(bytes) { error, _ in if case .notGGUF = error { true } else { false } }
        try expectError(Array("GG".utf8)) { error, _ in if case .notGGUF = error { true } else { false } }
        for version: UInt32 in [1, 4, 0x0300_0000] {
            var builder = GGUFBuilder.valid
            builder.version = version
            try expectError(builder.bytes) { error, path in error == .unsupportedVersion(file: path, version: version) }
        }
        #expect(GGUFError.unsupportedVersion(file: "f", version: 0x0300_0000).description.contains("big-endian"))
    }

    @Test func truncationAnywhereIsReported() throws {
        let bytes = GGUFBuilder.valid.bytes
        let headerAndDirectory = bytes.count - GGUFBuilder.valid.data.count
        // Cutting inside the header, metadata or directory: `truncated` (or `countTooLarge` when a count is read
        // first); inside the data: `tensorOutOfBounds`.
        for length in stride(from: 4, to: bytes.count, by: 3) {
            try expectError(Array(bytes[0..<length])) { error, _ in
                switch error {
                case .truncated, .countTooLarge: return length < headerAndDirectory
                case .tensorOutOfBounds: return true
                default: return false
                }
            }
        }
    }

    @Test func countsLargerThanTheFileAreRefusedBeforeAllocating() throws {
        var builder = GGUFBuilder.valid
        builder.tensorCountOverride = 1 << 60
        try expectError(builder.bytes) { error, _ in if case .countTooLarge(_, "the tensor count", _, _) = error { true } else { false } }
        builder = GGUFBuilder.valid
        builder.metadataCountOverride = .max
        try expectError(builder.bytes) { error, _ in if case .countTooLarge(_, "the metadata count", _, _) = error { true } else { false } }
        builder = GGUFBuilder.valid
        builder.add("tokens", type: 9, GGUFBuilder.uint32(8) + GGUFBuilder.uint64(1 << 40))
        try expectError(builder.bytes) { error, _ in if case .countTooLarge(_, "the element count of 'tokens'", _, _) = error { true } else { false } }
        builder = GGUFBuilder.valid
        builder.add("name", type: 8, GGUFBuilder.uint64(1 << 62))
        try expectError(builder.bytes) { error, _ in if case .truncated(_, "the value of 'name'", _, _, _) = error { true } else { false } }
    }

    @Test func badMetadataIsNamed() throws {
        var builder = GGUFBuilder.valid
        builder.add("odd", type: 13, [0])
        try expectError(builder.bytes) { error, path in error == .unknownValueType(file: path, key: "odd", type: 13) }
        builder = GGUFBuilder.valid
        builder.addString("general.architecture", "again")
        try expectError(builder.bytes) { error, path in error == .duplicateKey(file: path, key: "general.architecture") }
        builder = GGUFBuilder.valid
        builder.add("bad.utf8", type: 8, GGUFBuilder.uint64(2) + [0xC3, 0x28])
        try expectError(builder.bytes) { error, _ in if case .invalidUTF8(_, "the value of 'bad.utf8'", _) = error { true } else { false } }
        builder = GGUFBuilder.valid
        builder.add("flag", type: 7, [2])
        try expectError(builder.bytes) { error, _ in if case .invalidMetadata(_, "flag", _) = error { true } else { false } }
        builder = GGUFBuilder.valid
        var nested: [UInt8] = []
        for _ in 0...GGUFFile.maximumArrayDepth { nested += GGUFBuilder.uint32(9) + GGUFBuilder.uint64(1) }
        builder.add("deep", type: 9, nested + GGUFBuilder.uint32(0) + GGUFBuilder.uint64(0))
        try expectError(builder.bytes) { error, path in error == .arrayTooDeep(file: path, key: "deep") }
    }

    @Test func alignmentMustBeAPowerOfTwoUInt32() throws {
        var builder = GGUFBuilder.valid
        builder.addUInt32("general.alignment", 24)
        try expectError(builder.bytes) { error, _ in if case .invalidMetadata(_, "general.alignment", _) = error { true } else { false } }
        builder = GGUFBuilder.valid
        builder.addString("general.alignment", "32")
        try expectError(builder.bytes) { error, _ in if case .metadataType(_, "general.alignment", "uint32", _) = error { true } else { false } }

        // A file with alignment 64 is read with its data section at a multiple of 64.
        builder = GGUFBuilder()
        builder.alignment = 64
        builder.addUInt32("general.alignment", 64)
        builder.addF32("x", dimensions: [2], values: [7, 8])
        builder.addF32("y", dimensions: [1], values: [9])
        let scratch = try ScratchDirectory()
        let file = try GGUFFile(url: scratch.write(builder.bytes, to: "aligned.gguf"))
        #expect(file.alignment == 64 && file.dataStart % 64 == 0 && file.tensor(named: "y")?.offset == 64)
        #expect(try file.floatTensor(named: "y").storage.pointer[0] == 9)
    }

    @Test func badTensorEntriesAreNamed() throws {
        func damaged(_ change: (inout GGUFBuilder.Entry) -> Void) -> [UInt8] {
            var builder = GGUFBuilder.valid
            change(&builder.entries[1])
            return builder.bytes
        }
        try expectError(damaged { $0.name = "a.weight" }) { error, path in error == .duplicateTensor(file: path, tensor: "a.weight") }
        try expectError(damaged { $0.dimensions = [1, 1, 1, 1, 4] }) { error, _ in
            if case .invalidDimensions(_, "b.weight", _, _) = error { true } else { false }
        }
        try expectError(damaged { $0.dimensions = [1 << 40, 1 << 40] }) { error, _ in
            if case .invalidDimensions(_, "b.weight", _, _) = error { true } else { false }
        }
        try expectError(damaged { $0.type = 5 }) { error, path in error == .unknownTensorType(file: path, tensor: "b.weight", type: 5) }
        try expectError(damaged { $0.type = GGMLType.q8_0.rawValue }) { error, path in
            error == .partialBlock(file: path, tensor: "b.weight", type: .q8_0, innermost: 4)
        }
        try expectError(damaged { $0.offset = 4 }) { error, path in error == .misalignedTensor(file: path, tensor: "b.weight", offset: 4, alignment: 32) }
        try expectError(damaged { $0.offset = 0 }) { error, path in error == .overlappingTensors(file: path, first: "a.weight", second: "b.weight") }
        try expectError(damaged { $0.offset = 64 }) { error, _ in if case .tensorOutOfBounds(_, "b.weight", 64, 16, _) = error { true } else { false } }
        try expectError(damaged { $0.offset = .max - 31 }) { error, _ in if case .tensorOutOfBounds(_, "b.weight", _, _, _) = error { true } else { false } }
    }

    @Test func unsupportedTypesAreNamedWhenRead() throws {
        var builder = GGUFBuilder.valid
        builder.entries[1].type = GGMLType.i32.rawValue
        let scratch = try ScratchDirectory()
        let file = try GGUFFile(url: scratch.write(builder.bytes, to: "i32.gguf"))
        #expect(throws: GGUFError.unsupportedTensorType(file: file.url.path, tensor: "b.weight", type: .i32)) {
            _ = try file.floatTensor(named: "b.weight")
        }
    }
}
