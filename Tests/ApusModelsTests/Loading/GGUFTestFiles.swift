import ApusTensor
import Foundation
@testable import ApusModels

/// Writes GGUF bytes by hand, so a test can make exactly the damaged file it needs.
struct GGUFBuilder {
    /// One tensor directory entry; `offset` is within the data section.
    struct Entry {
        var name: String
        var dimensions: [UInt64]
        var type: UInt32
        var offset: UInt64
    }

    var version: UInt32 = 3
    var metadata: [(key: String, value: [UInt8])] = []
    var entries: [Entry] = []
    var alignment = 32
    /// Bytes of the data section.
    var data: [UInt8] = []
    /// Overrides the tensor count written in the header.
    var tensorCountOverride: UInt64?
    /// Overrides the metadata count written in the header.
    var metadataCountOverride: UInt64?

    static func uint32(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.littleEndian, Array.init) }
    static func uint64(_ value: UInt64) -> [UInt8] { withUnsafeBytes(of: value.littleEndian, Array.init) }
    static func string(_ text: String) -> [UInt8] { uint64(UInt64(text.utf8.count)) + Array(text.utf8) }

    /// A metadata value of type `type` (raw GGUF type number) with payload `payload`.
    mutating func add(_ key: String, type: UInt32, _ payload: [UInt8]) { metadata.append((key, Self.uint32(type) + payload)) }
    mutating func addString(_ key: String, _ text: String) { add(key, type: 8, Self.string(text)) }
    mutating func addUInt32(_ key: String, _ value: UInt32) { add(key, type: 4, Self.uint32(value)) }

    /// Adds an F32 tensor of `values` (in GGUF dimension order) at the next aligned offset of the data section.
    mutating func addF32(_ name: String, dimensions: [UInt64], values: [Float]) {
        padData()
        entries.append(Entry(name: name, dimensions: dimensions, type: 0, offset: UInt64(data.count)))
        for value in values { data += Self.uint32(value.bitPattern) }
    }

    mutating func padData() {
        while data.count % alignment != 0 { data.append(0) }
    }

    /// The file's bytes.
    var bytes: [UInt8] {
        var out = Array("GGUF".utf8) + Self.uint32(version)
        out += Self.uint64(tensorCountOverride ?? UInt64(entries.count)) + Self.uint64(metadataCountOverride ?? UInt64(metadata.count))
        for (key, value) in metadata { out += Self.string(key) + value }
        for entry in entries {
            out += Self.string(entry.name) + Self.uint32(UInt32(entry.dimensions.count))
            for dimension in entry.dimensions { out += Self.uint64(dimension) }
            out += Self.uint32(entry.type) + Self.uint64(entry.offset)
        }
        while out.count % alignment != 0 { out.append(0) }
        return out + data
    }

    /// A valid file: two metadata keys and two F32 tensors.
    static var valid: GGUFBuilder {
        var builder = GGUFBuilder()
        builder.addString("general.architecture", "llama")
        builder.addUInt32("llama.block_count", 1)
        builder.addF32("a.weight", dimensions: [3, 2], values: [1, 2, 3, 4, 5, 6])
        builder.addF32("b.weight", dimensions: [4], values: [-1, -2, -3, -4])
        return builder
    }
}
