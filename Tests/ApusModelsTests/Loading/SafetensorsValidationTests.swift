import ApusTensor
import Foundation
import Testing
@testable import ApusModels

/// Malformed safetensors files: each is refused when opened, with its own error case and a message naming the
/// file and the tensor at fault.
struct SafetensorsValidationTests {
    typealias Writer = SafetensorsWriter
    typealias Entry = SafetensorsWriter.Entry

    /// Writes a file from header text and data, opens it, and expects `expected(path)`.
    func expectRefused(header: String, data: [UInt8] = [], headerLength: UInt64? = nil, mentioning mentions: [String] = [],
                       sourceLocation: SourceLocation = #_sourceLocation, _ expected: (String) -> LoadingError) throws {
        try expectRefused(bytes: Writer.file(header: header, data: data, headerLength: headerLength), mentioning: mentions,
                          sourceLocation: sourceLocation, expected)
    }

    /// Writes `bytes` as a file, opens it, and expects `expected(path)`.
    func expectRefused(bytes: [UInt8], mentioning mentions: [String] = [], sourceLocation: SourceLocation = #_sourceLocation,
                       _ expected: (String) -> LoadingError) throws {
        let scratch = try ScratchDirectory()
        let url = try scratch.write(bytes, to: "bad.safetensors")
        expectLoadingError(expected(url.path), mentioning: mentions, sourceLocation: sourceLocation) { _ = try SafetensorsFile(url: url) }
    }

    @Test func filesSmallerThanTheLengthField() throws {
        try expectRefused(bytes: [1, 2, 3], mentioning: ["8-byte"]) { .fileTooSmall(file: $0, byteCount: 3) }
        try expectRefused(bytes: []) { .fileTooSmall(file: $0, byteCount: 0) }
    }

    @Test func missingFileAndDirectory() throws {
        let scratch = try ScratchDirectory()
        let missing = scratch.url.appendingPathComponent("missing.safetensors")
        expectLoadingError(.cannotOpen(file: missing.path, reason: "No such file or directory")) { _ = try SafetensorsFile(url: missing) }
        expectLoadingError(.cannotOpen(file: scratch.url.path, reason: "not a regular file")) { _ = try SafetensorsFile(url: scratch.url) }
    }

    @Test func truncatedFiles() throws {
        let good = Writer.file([.init(name: "w", dtype: .float32, shape: [4], bytes: Writer.float32Bytes([1, 2, 3, 4]))])
        try expectRefused(bytes: Array(good.dropLast(4)), mentioning: ["truncated"]) {
            .tensorOutOfBounds(tensor: "w", begin: 0, end: 16, dataRegionSize: 12, file: $0)
        }
        let headerLength = UInt64(good.count - 8 - 16)
        try expectRefused(bytes: Array(good.prefix(20))) { .headerPastEndOfFile(file: $0, headerLength: headerLength, fileSize: 20) }
    }

    @Test func headerLengthBeyondTheLimitOrTheFile() throws {
        let limit = SafetensorsFile.maximumHeaderLength
        try expectRefused(header: "{}", headerLength: 200_000_000, mentioning: ["100000000"]) {
            .headerTooLarge(file: $0, headerLength: 200_000_000, limit: limit)
        }
        try expectRefused(header: "{}", headerLength: UInt64(limit) + 1) { .headerTooLarge(file: $0, headerLength: UInt64(limit) + 1, limit: limit) }
        try expectRefused(header: "{}", headerLength: .max) { .headerTooLarge(file: $0, headerLength: .max, limit: limit) }
        try expectRefused(header: "{}", headerLength: UInt64(limit)) { .headerPastEndOfFile(file: $0, headerLength: UInt64(limit), fileSize: 10) }
        try expectRefused(header: "{}", headerLength: 4096) { .headerPastEndOfFile(file: $0, headerLength: 4096, fileSize: 10) }
        try expectRefused(header: "{}", headerLength: 3) { .headerPastEndOfFile(file: $0, headerLength: 3, fileSize: 10) }
    }

    @Test func headerThatIsNotJSON() throws {
        try expectRefused(header: "{not json") { .headerNotJSON(file: $0, offset: 1, problem: "expected a string key, found 'n'") }
        try expectRefused(header: "") { .headerNotJSON(file: $0, offset: 0, problem: "expected a value, found the end of the input") }
        try expectRefused(header: "{} x") { .headerNotJSON(file: $0, offset: 3, problem: "unexpected 'x' after the JSON value") }
        try expectRefused(header: "{\"__metadata__\":{},}") { .headerNotJSON(file: $0, offset: 19, problem: "expected a string key, found '}'") }
        try expectRefused(header: "{\"w\":{\"dtype\":\"F32\"") {
            .headerNotJSON(file: $0, offset: 19, problem: "expected ',' or '}' in an object, found the end of the input")
        }
        // Nesting is limited, so a hostile header cannot exhaust the stack.
        let deep = "{\"w\":" + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
        try expectRefused(header: deep, mentioning: ["nested deeper than 128"]) {
            .headerNotJSON(file: $0, offset: 5 + 127, problem: "objects and arrays nested deeper than 128 levels")
        }
    }

    @Test func headerThatIsNotUTF8() throws {
        for (invalid, offset) in [([0xFF], 2), ([0xC0, 0xAF], 2), ([0xED, 0xA0, 0x80], 2), ([0x61, 0xE2, 0x82], 3)] as [([UInt8], Int)] {
            let header = [0x7B, 0x22] + invalid + [0x22, 0x3A, 0x31, 0x7D] // {"<invalid>":1}
            try expectRefused(bytes: Writer.file(header: header, data: []), mentioning: ["UTF-8"]) { .headerNotUTF8(file: $0, offset: offset) }
        }
    }

    @Test func headerThatIsNotAnObject() throws {
        try expectRefused(header: "[1, 2]", mentioning: ["JSON object"]) { .headerNotObject(file: $0, found: "an array") }
        try expectRefused(header: "\"model\"") { .headerNotObject(file: $0, found: "a string") }
        try expectRefused(header: "null") { .headerNotObject(file: $0, found: "null") }
    }

    @Test func invalidMetadata() throws {
        try expectRefused(header: #"{"__metadata__": {"n": 1}}"#, mentioning: ["'n'"]) { .invalidMetadata(file: $0, reason: "has a number for key 'n'") }
        try expectRefused(header: #"{"__metadata__": ["pt"]}"#) { .invalidMetadata(file: $0, reason: "is an array") }
        try expectRefused(header: #"{"__metadata__": {}, "__metadata__": {}}"#) { .invalidMetadata(file: $0, reason: "appears twice") }
        try expectRefused(header: #"{"__metadata__": {"a": "x", "a": "y"}}"#) { .invalidMetadata(file: $0, reason: "has key 'a' twice") }
    }

    @Test func overlappingTensors() throws {
        let header = Writer.header([Entry("a", "F32", [2], 0, 8), Entry("b", "F32", [2], 4, 12)])
        try expectRefused(header: header, data: Writer.float32Bytes([1, 2, 3]), mentioning: ["'b'", "overlap"]) {
            .overlappingTensors(first: "a", second: "b", file: $0)
        }
        let same = Writer.header([Entry("a", "F32", [2], 0, 8), Entry("b", "F32", [2], 0, 8)])
        try expectRefused(header: same, data: Writer.float32Bytes([1, 2]), mentioning: ["'b'"]) { .overlappingTensors(first: "a", second: "b", file: $0) }
        // A zero-size tensor may touch its neighbours but not sit inside one.
        let inside = Writer.header([Entry("a", "F32", [2], 0, 8), Entry("z", "F32", [0], 4, 4)])
        try expectRefused(header: inside, data: Writer.float32Bytes([1, 2]), mentioning: ["'z'"]) { .overlappingTensors(first: "a", second: "z", file: $0) }
    }

    @Test func offsetsOutsideTheDataRegion() throws {
        let header = Writer.header([Entry("a", "F32", [2], 8, 16)])
        try expectRefused(header: header, data: Writer.float32Bytes([1, 2])) {
            .tensorOutOfBounds(tensor: "a", begin: 8, end: 16, dataRegionSize: 8, file: $0)
        }
        let zeroSizeBeyond = Writer.header([Entry("a", "F32", [1], 0, 4), Entry("z", "F32", [0], 12, 12)])
        try expectRefused(header: zeroSizeBeyond, data: Writer.float32Bytes([1])) {
            .tensorOutOfBounds(tensor: "z", begin: 12, end: 12, dataRegionSize: 4, file: $0)
        }
        try expectRefused(header: Writer.header([Entry("a", "F32", [0], 8, 4)])) { .invalidDataOffsets(tensor: "a", begin: 8, end: 4, file: $0) }
    }

    @Test func dataRegionMustBeCoveredWithoutGaps() throws {
        // As in the reference implementation (`Metadata::validate`, `MetadataIncompleteBuffer`).
        try expectRefused(header: Writer.header([Entry("a", "F32", [1], 4, 8)]), data: Writer.float32Bytes([1, 2]), mentioning: ["gaps"]) {
            .gapBeforeTensor(tensor: "a", gapStart: 0, begin: 4, file: $0)
        }
        try expectRefused(header: Writer.header([Entry("a", "F32", [1], 0, 4)]), data: Writer.float32Bytes([1, 2])) {
            .trailingBytes(covered: 4, dataRegionSize: 8, lastTensor: "a", file: $0)
        }
        try expectRefused(header: "{}", data: [0, 0]) { .trailingBytes(covered: 0, dataRegionSize: 2, lastTensor: nil, file: $0) }
    }

    @Test func byteCountMustMatchShapeAndDTypeSize() throws {
        // F16 [4] needs 8 bytes; the offsets give 16 (what F32 would need).
        try expectRefused(header: Writer.header([Entry("w", "F16", [4], 0, 16)]), data: Writer.float32Bytes([1, 2, 3, 4]),
                          mentioning: ["16 bytes", "expected 8"]) {
            .byteCountMismatch(tensor: "w", dtype: .float16, shape: [4], expectedBytes: 8, actualBytes: 16, file: $0)
        }
        try expectRefused(header: Writer.header([Entry("s", "I64", [], 0, 4)]), data: [0, 0, 0, 0]) {
            .byteCountMismatch(tensor: "s", dtype: .int64, shape: [], expectedBytes: 8, actualBytes: 4, file: $0)
        }
        try expectRefused(header: Writer.header([Entry("w", "F32", [1 << 40, 1 << 40], 0, 4)]), data: [0, 0, 0, 0]) {
            .shapeOverflow(tensor: "w", shape: [1 << 40, 1 << 40], dtype: .float32, file: $0)
        }
        // 2⁶² elements fit in Int; their 2⁶⁴ bytes do not.
        try expectRefused(header: Writer.header([Entry("w", "F32", [1 << 31, 1 << 31], 0, 4)]), data: [0, 0, 0, 0]) {
            .shapeOverflow(tensor: "w", shape: [1 << 31, 1 << 31], dtype: .float32, file: $0)
        }
    }

    @Test func unknownDTypes() throws {
        for name in ["F64", "f32", "I16", ""] {
            try expectRefused(header: Writer.header([Entry("w", name, [1], 0, 8)]), data: Array(repeating: 0, count: 8),
                              mentioning: ["'\(name)'", DType.supportedNames]) { .unknownDType(tensor: "w", dtype: name, file: $0) }
        }
    }

    @Test func duplicateTensorNames() throws {
        let header = Writer.header([Entry("w", "F32", [1], 0, 4), Entry("v", "F32", [1], 4, 8), Entry("w", "F32", [1], 4, 8)])
        try expectRefused(header: header, data: Writer.float32Bytes([1, 2]), mentioning: ["twice"]) { .duplicateTensorName(tensor: "w", file: $0) }
    }

    @Test func shapeEntriesMustBeNonNegativeIntegers() throws {
        for entry in ["-1", "1.5", "1e2", "2.0", "\"2\"", "true", "null", "[1]", "99999999999999999999"] {
            let shapeText = entry == "[1]" ? "[…]" : entry
            try expectRefused(header: Writer.header([Entry("w", "F32", shapeJSON: "[\(entry)]", 0, 4)]), data: [0, 0, 0, 0],
                              mentioning: ["shape entry \(shapeText)"]) { .invalidShape(tensor: "w", entry: shapeText, file: $0) }
        }
    }

    @Test func malformedTensorEntries() throws {
        let cases: [(header: String, reason: String)] = [
            (#"{"w": [1, 2]}"#, "entry is an array"),
            (#"{"w": {"shape": [1], "data_offsets": [0, 4]}}"#, "missing field 'dtype'"),
            (#"{"w": {"dtype": 32, "shape": [1], "data_offsets": [0, 4]}}"#, "'dtype' is a number"),
            (#"{"w": {"dtype": "F32", "data_offsets": [0, 4]}}"#, "missing field 'shape'"),
            (#"{"w": {"dtype": "F32", "shape": 1, "data_offsets": [0, 4]}}"#, "'shape' is a number"),
            (#"{"w": {"dtype": "F32", "shape": [1]}}"#, "missing field 'data_offsets'"),
            (#"{"w": {"dtype": "F32", "shape": [1], "data_offsets": {"begin": 0}}}"#, "'data_offsets' is an object"),
            (#"{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4, 8]}}"#, "'data_offsets' has 3 entries, not 2"),
            (#"{"w": {"dtype": "F32", "shape": [1], "data_offsets": [-4, 0]}}"#, "'data_offsets' [-4, 0] must be non-negative integers below 2⁶³"),
            (#"{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4.0]}}"#, "'data_offsets' [0, 4.0] must be non-negative integers below 2⁶³"),
            (#"{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 18446744073709551615]}}"#,
             "'data_offsets' [0, 18446744073709551615] must be non-negative integers below 2⁶³"),
            (#"{"w": {"dtype": "F32", "dtype": "F16", "shape": [1], "data_offsets": [0, 4]}}"#, "field 'dtype' appears twice"),
        ]
        for (header, reason) in cases {
            try expectRefused(header: header, data: [0, 0, 0, 0], mentioning: ["expected {\"dtype\""]) {
                .invalidTensorEntry(tensor: "w", reason: reason, file: $0)
            }
        }
    }
}
