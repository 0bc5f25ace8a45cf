import ApusTensor
import Foundation
import Testing
@testable import ApusModels

/// A fresh directory under the system's temporary directory, removed when the object goes away.
final class ScratchDirectory {
    /// The directory.
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("apus-loading-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// Writes `bytes` to `name` in the directory and returns the file's URL.
    @discardableResult
    func write(_ bytes: [UInt8], to name: String) throws -> URL {
        let file = url.appendingPathComponent(name)
        try Data(bytes).write(to: file)
        return file
    }

    /// Writes `text` as UTF-8 to `name` in the directory and returns the file's URL.
    @discardableResult
    func write(_ text: String, to name: String) throws -> URL {
        try write(Array(text.utf8), to: name)
    }
}

/// Builds safetensors files byte by byte, so tests can make good ones and every kind of broken one.
enum SafetensorsWriter {
    /// One header entry, written as given (offsets and shape need not be consistent).
    struct Entry {
        var name: String
        var dtype: String
        /// The JSON text of the shape, so tests can write `[-1]` or `[1.5]`.
        var shape: String
        var begin: Int
        var end: Int

        init(_ name: String, _ dtype: String, _ shape: [Int], _ begin: Int, _ end: Int) {
            self.init(name, dtype, shapeJSON: "[\(shape.map(String.init).joined(separator: ","))]", begin, end)
        }

        init(_ name: String, _ dtype: String, shapeJSON: String, _ begin: Int, _ end: Int) {
            self.name = name
            self.dtype = dtype
            shape = shapeJSON
            self.begin = begin
            self.end = end
        }

        var json: String {
            "\(SafetensorsWriter.quoted(name)):{\"dtype\":\(SafetensorsWriter.quoted(dtype)),\"shape\":\(shape),\"data_offsets\":[\(begin),\(end)]}"
        }
    }

    /// One tensor for `file(_:metadata:)`, which places it after the previous one.
    struct TensorBytes {
        var name: String
        var dtype: DType
        var shape: [Int]
        var bytes: [UInt8]
    }

    /// A JSON string literal for `text`.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    /// The header text for `entries`, in their order, with `metadata` first when given.
    static func header(_ entries: [Entry], metadata: [String: String]? = nil) -> String {
        var members: [String] = []
        if let metadata {
            let pairs = metadata.sorted { $0.key < $1.key }.map { "\(quoted($0.key)):\(quoted($0.value))" }
            members.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        members += entries.map(\.json)
        return "{\(members.joined(separator: ","))}"
    }

    /// A whole file: the little-endian header length (`headerLength` overrides the true one), the header
    /// bytes, then `data`. `padTo` pads the header with spaces to a multiple of that many bytes, as the
    /// reference writer does with 8.
    static func file(header: [UInt8], data: [UInt8], headerLength: UInt64? = nil, padTo alignment: Int = 1) -> [UInt8] {
        var header = header
        while header.count % alignment != 0 { header.append(0x20) }
        return littleEndianBytes(headerLength ?? UInt64(header.count)) + header + data
    }

    /// A whole file from header text.
    static func file(header: String, data: [UInt8], headerLength: UInt64? = nil, padTo alignment: Int = 1) -> [UInt8] {
        file(header: Array(header.utf8), data: data, headerLength: headerLength, padTo: alignment)
    }

    /// A well-formed file: `tensors` laid end to end in order, the header padded to 8 bytes.
    static func file(_ tensors: [TensorBytes], metadata: [String: String]? = nil) -> [UInt8] {
        var entries: [Entry] = []
        var data: [UInt8] = []
        for tensor in tensors {
            entries.append(Entry(tensor.name, tensor.dtype.rawValue, tensor.shape, data.count, data.count + tensor.bytes.count))
            data += tensor.bytes
        }
        return file(header: header(entries, metadata: metadata), data: data, padTo: 8)
    }

    /// The little-endian bytes of each value.
    static func littleEndianBytes<Value: FixedWidthInteger>(_ values: Value...) -> [UInt8] { littleEndianBytes(values) }

    /// The little-endian bytes of each value.
    static func littleEndianBytes<Value: FixedWidthInteger>(_ values: [Value]) -> [UInt8] {
        values.flatMap { value in (0..<MemoryLayout<Value>.size).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) } }
    }

    /// The little-endian fp32 bytes of each value.
    static func float32Bytes(_ values: [Float]) -> [UInt8] { littleEndianBytes(values.map(\.bitPattern)) }
}

/// Expects `body` to throw exactly `expected`, with a message naming the file, the tensor (when the error is
/// about one) and every string in `mentions`.
func expectLoadingError(_ expected: LoadingError, mentioning mentions: [String] = [],
                        sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected \(expected), but nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as LoadingError {
        #expect(error == expected, sourceLocation: sourceLocation)
        let message = error.description
        let required = [expected.file] + (expected.tensor.map { ["'\($0)'"] } ?? []) + mentions
        for text in required where !message.contains(text) {
            Issue.record("message \"\(message)\" does not mention \"\(text)\"", sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("expected \(expected), but got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
    }
}
