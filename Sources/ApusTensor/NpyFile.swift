import Foundation

/// Reads and writes NumPy `.npy` files (format version 1.0/2.0) holding little-endian float32 arrays.
///
/// Only what Apus exchanges with Python is supported: dtype `<f4`, C order. See
/// https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
public enum NpyFile {
    /// Why an .npy file could not be read.
    public enum Error: Swift.Error, CustomStringConvertible, Equatable {
        case notNpy(file: String)
        case unsupportedHeader(file: String, header: String, reason: String)
        case truncated(file: String, expectedBytes: Int, actualBytes: Int)

        public var description: String {
            switch self {
            case .notNpy(let file):
                return "\(file): not a .npy file (missing the \\x93NUMPY magic)"
            case .unsupportedHeader(let file, let header, let reason):
                return "\(file): unsupported .npy header \(header): \(reason); Apus reads little-endian float32 ('<f4') in C order"
            case .truncated(let file, let expected, let actual):
                return "\(file): data region holds \(actual) bytes, the header's shape needs \(expected)"
            }
        }
    }

    private static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59] // \x93NUMPY

    /// The bytes of a version 1.0 .npy file holding `values` as float32 with `shape`.
    public static func encode(_ values: [Float], shape: [Int]) -> Data {
        precondition(values.count == shape.reduce(1, *), "\(values.count) values for shape \(shape)")
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText), }"
        // Magic (6) + version (2) + length (2) + header + "\n" must be a multiple of 64 (the spec asks for 16; numpy uses 64).
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data(magic)
        data.append(contentsOf: [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        values.withUnsafeBufferPointer { buffer in
            for value in buffer {
                var bits = value.bitPattern.littleEndian
                withUnsafeBytes(of: &bits) { data.append(contentsOf: $0) }
            }
        }
        return data
    }

    /// Writes `values` with `shape` to `url` as a float32 .npy file.
    public static func write(_ values: [Float], shape: [Int], to url: URL) throws {
        try encode(values, shape: shape).write(to: url)
    }

    /// Reads a float32 .npy file: its shape and its values in C order.
    public static func read(contentsOf url: URL) throws -> (shape: [Int], values: [Float]) {
        try decode(Data(contentsOf: url), source: url.path)
    }

    /// Parses the bytes of a float32 .npy file; `source` names it in errors.
    public static func decode(_ data: Data, source: String) throws -> (shape: [Int], values: [Float]) {
        let bytes = [UInt8](data)
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else { throw Error.notNpy(file: source) }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        if major == 1 {
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        } else if major == 2 || major == 3, bytes.count >= 12 {
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        } else {
            throw Error.unsupportedHeader(file: source, header: "version \(major)", reason: "unknown format version")
        }
        guard headerStart + headerLength <= bytes.count,
              let header = String(bytes: bytes[headerStart..<(headerStart + headerLength)], encoding: .utf8)
        else { throw Error.notNpy(file: source) }
        guard header.contains("'descr': '<f4'") else {
            throw Error.unsupportedHeader(file: source, header: header, reason: "dtype is not '<f4'")
        }
        guard header.contains("'fortran_order': False") else {
            throw Error.unsupportedHeader(file: source, header: header, reason: "Fortran order")
        }
        guard let open = header.range(of: "'shape': ("),
              let close = header[open.upperBound...].firstIndex(of: ")")
        else { throw Error.unsupportedHeader(file: source, header: header, reason: "no shape") }
        var shape: [Int] = []
        for part in header[open.upperBound..<close].split(separator: ",") {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            guard let extent = Int(trimmed), extent >= 0 else {
                throw Error.unsupportedHeader(file: source, header: header, reason: "bad shape entry '\(trimmed)'")
            }
            shape.append(extent)
        }
        let count = shape.reduce(1, *)
        let dataStart = headerStart + headerLength
        guard bytes.count - dataStart >= count * 4 else {
            throw Error.truncated(file: source, expectedBytes: count * 4, actualBytes: bytes.count - dataStart)
        }
        var values = [Float](repeating: 0, count: count)
        for index in 0..<count {
            let offset = dataStart + index * 4
            let bits = UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
            values[index] = Float(bitPattern: bits)
        }
        return (shape, values)
    }
}
