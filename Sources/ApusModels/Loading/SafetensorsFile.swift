import ApusTensor
import Foundation

/// A memory-mapped `.safetensors` file, validated completely before any tensor is handed out.
///
/// Layout (https://github.com/huggingface/safetensors): an 8-byte little-endian header length N, N bytes of
/// JSON `{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {string: string}}`, then the
/// data region, offsets relative to its start. As the reference implementation does, Apus requires the
/// tensors to tile the data region exactly: sorted by offset, each begins where the previous ends, and the
/// last ends at the end of the file — which rules out overlaps, gaps and trailing bytes.
public final class SafetensorsFile: @unchecked Sendable {
    /// Where one tensor lives and what it holds.
    public struct TensorInfo: Sendable, Equatable {
        /// Element type.
        public let dtype: DType
        /// Extents, outermost first (empty for a scalar).
        public let shape: [Int]
        /// Byte range within the data region.
        public let dataOffsets: Range<Int>
    }

    /// Largest header accepted, as in the reference implementation (100 MB).
    public static let maximumHeaderLength = 100_000_000

    /// The file's path.
    public var url: URL { file.url }
    /// `__metadata__` (e.g. `{"format": "pt"}`).
    public let metadata: [String: String]
    /// Every tensor in the file.
    public let tensors: [String: TensorInfo]
    private let file: MappedFile
    private let dataStart: Int

    /// Maps and validates the file at `url`.
    public convenience init(url: URL) throws {
        try self.init(file: MappedFile(url: url))
    }

    init(file: MappedFile) throws {
        self.file = file
        let path = file.url.path
        guard file.byteCount >= 8 else {
            throw LoadingError.invalidHeader(file: path, reason: "file has \(file.byteCount) bytes, fewer than the 8-byte header length")
        }
        let lengthBytes = file.bytes(0..<8)
        var headerLength: UInt64 = 0
        for index in (0..<8).reversed() { headerLength = headerLength << 8 | UInt64(lengthBytes[index]) }
        guard headerLength <= UInt64(Self.maximumHeaderLength) else {
            throw LoadingError.invalidHeader(file: path, reason: "header length \(headerLength) exceeds the limit of \(Self.maximumHeaderLength) bytes")
        }
        guard Int(headerLength) <= file.byteCount - 8 else {
            throw LoadingError.invalidHeader(file: path, reason: "header length \(headerLength) runs past the end of the \(file.byteCount)-byte file")
        }
        dataStart = 8 + Int(headerLength)
        let headerBytes = Data(file.bytes(8..<dataStart))
        guard String(data: headerBytes, encoding: .utf8) != nil else {
            throw LoadingError.invalidHeader(file: path, reason: "header is not valid UTF-8")
        }
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: headerBytes)
        } catch {
            throw LoadingError.invalidHeader(file: path, reason: "header is not valid JSON")
        }
        guard let object = json as? [String: Any] else {
            throw LoadingError.invalidHeader(file: path, reason: "header is not a JSON object")
        }

        var metadata: [String: String] = [:]
        var tensors: [String: TensorInfo] = [:]
        for (name, value) in object {
            if name == "__metadata__" {
                guard let entries = value as? [String: Any] else {
                    throw LoadingError.invalidHeader(file: path, reason: "__metadata__ is not an object of strings")
                }
                for (key, entry) in entries {
                    guard let text = entry as? String else {
                        throw LoadingError.invalidHeader(file: path, reason: "__metadata__ value for '\(key)' is not a string")
                    }
                    metadata[key] = text
                }
                continue
            }
            tensors[name] = try Self.parseTensor(name, value, file: path)
        }
        self.metadata = metadata
        self.tensors = tensors
        try validateLayout(dataLength: file.byteCount - dataStart)
    }

    private static func parseTensor(_ name: String, _ value: Any, file: String) throws -> TensorInfo {
        func fail(_ reason: String) -> LoadingError { .invalidTensor(file: file, tensor: name, reason: reason) }
        guard let entry = value as? [String: Any] else { throw fail("entry is not an object") }
        guard let dtypeName = entry["dtype"] as? String else { throw fail("missing string field 'dtype'") }
        guard let dtype = DType(rawValue: dtypeName) else {
            throw fail("unsupported dtype '\(dtypeName)'; supported: \(DType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let shapeValues = entry["shape"] as? [Any] else { throw fail("missing array field 'shape'") }
        let shape = try shapeValues.map { extent -> Int in
            guard let number = exactInteger(extent), number >= 0 else { throw fail("shape entry \(extent) is not a non-negative integer") }
            return number
        }
        guard let offsets = entry["data_offsets"] as? [Any], offsets.count == 2,
              let begin = exactInteger(offsets[0]), let end = exactInteger(offsets[1]), begin >= 0, end >= begin
        else { throw fail("'data_offsets' must be [begin, end] with 0 ≤ begin ≤ end") }
        var elements = 1
        for extent in shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: extent)
            guard !overflow else { throw fail("shape \(shape) overflows") }
            elements = product
        }
        let (byteCount, overflow) = elements.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow, end - begin == byteCount else {
            throw fail("data_offsets [\(begin), \(end)] hold \(end - begin) bytes but shape \(shape) of \(dtype.rawValue) needs \(overflow ? "too many" : String(byteCount))")
        }
        return TensorInfo(dtype: dtype, shape: shape, dataOffsets: begin..<end)
    }

    /// JSON numbers arrive as NSNumber; accept only integral values (not 1.5, not true).
    private static func exactInteger(_ value: Any) -> Int? {
        guard let number = value as? NSNumber, String(cString: number.objCType) != "c" else { return nil }
        let double = number.doubleValue
        guard double.rounded() == double, abs(double) < 9e15 else { return nil }
        return number.intValue
    }

    private func validateLayout(dataLength: Int) throws {
        let path = file.url.path
        let ordered = tensors.sorted { ($0.value.dataOffsets.lowerBound, $0.value.dataOffsets.upperBound, $0.key)
            < ($1.value.dataOffsets.lowerBound, $1.value.dataOffsets.upperBound, $1.key) }
        var position = 0
        var previous: String?
        for (name, info) in ordered {
            let range = info.dataOffsets
            if range.upperBound > dataLength {
                throw LoadingError.invalidTensor(file: path, tensor: name,
                                                 reason: "data_offsets [\(range.lowerBound), \(range.upperBound)] run past the data region of \(dataLength) bytes")
            }
            if range.lowerBound < position, let previous {
                throw LoadingError.overlappingTensors(file: path, first: previous, second: name)
            }
            if range.lowerBound > position {
                throw LoadingError.invalidTensor(file: path, tensor: name,
                                                 reason: "begins at byte \(range.lowerBound) of the data region, leaving a gap after byte \(position)")
            }
            // Zero-size tensors may share an offset with their neighbour; they hold no bytes.
            if !range.isEmpty { previous = name }
            position = max(position, range.upperBound)
        }
        if position != dataLength {
            throw LoadingError.invalidHeader(file: path, reason: "tensors cover \(position) bytes but the data region has \(dataLength)")
        }
    }

    /// Names of all tensors, sorted.
    public var tensorNames: [String] { tensors.keys.sorted() }

    /// The raw bytes of tensor `name`.
    public func rawBytes(of name: String) throws -> UnsafeRawBufferPointer {
        let info = try info(name)
        return file.bytes((dataStart + info.dataOffsets.lowerBound)..<(dataStart + info.dataOffsets.upperBound))
    }

    /// Tensor `name` as fp32. F32 data is borrowed from the mapping when aligned (no copy); F16 and BF16 are
    /// converted exactly into new memory.
    public func floatTensor(named name: String) throws -> Tensor {
        let info = try info(name)
        let bytes = try rawBytes(of: name)
        let count = info.shape.reduce(1, *)
        switch info.dtype {
        case .float32:
            if let base = bytes.baseAddress, Int(bitPattern: base) % MemoryLayout<Float>.alignment == 0 {
                let pointer = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Float.self))
                return Tensor(shape: info.shape, storage: TensorStorage(borrowing: pointer, count: count, owner: file))
            }
            let storage = TensorStorage(allocating: count)
            if let source = bytes.baseAddress { UnsafeMutableRawPointer(storage.pointer).copyMemory(from: source, byteCount: bytes.count) }
            return Tensor(shape: info.shape, storage: storage)
        case .float16, .bfloat16:
            let storage = TensorStorage(allocating: count)
            let convert = info.dtype == .float16 ? floatFromHalfBits : floatFromBFloat16Bits
            for index in 0..<count {
                let bits = UInt16(bytes[2 * index]) | UInt16(bytes[2 * index + 1]) << 8
                storage.pointer[index] = convert(bits)
            }
            return Tensor(shape: info.shape, storage: storage)
        default:
            throw LoadingError.unexpectedDType(tensor: name, dtype: info.dtype.rawValue, expected: "F32, F16 or BF16", file: url.path)
        }
    }

    /// Whether tensor `name` is borrowed from the mapping by `floatTensor(named:)` (F32 and aligned).
    public func isZeroCopy(_ name: String) -> Bool {
        guard let info = tensors[name], info.dtype == .float32, let bytes = try? rawBytes(of: name) else { return false }
        return bytes.baseAddress.map { Int(bitPattern: $0) % MemoryLayout<Float>.alignment == 0 } ?? true
    }

    /// Integer tensor `name` (I64, I32, I8, U8 or BOOL) widened to Int64.
    public func integerValues(named name: String) throws -> [Int64] {
        let info = try info(name)
        let bytes = try rawBytes(of: name)
        let count = info.shape.reduce(1, *)
        func littleEndian(_ offset: Int, _ width: Int) -> UInt64 {
            (0..<width).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64(bytes[offset + $1]) }
        }
        switch info.dtype {
        case .int64: return (0..<count).map { Int64(bitPattern: littleEndian($0 * 8, 8)) }
        case .int32: return (0..<count).map { Int64(Int32(bitPattern: UInt32(littleEndian($0 * 4, 4)))) }
        case .int8: return (0..<count).map { Int64(Int8(bitPattern: bytes[$0])) }
        case .uint8, .bool: return (0..<count).map { Int64(bytes[$0]) }
        default:
            throw LoadingError.unexpectedDType(tensor: name, dtype: info.dtype.rawValue, expected: "an integer or bool type", file: url.path)
        }
    }

    private func info(_ name: String) throws -> TensorInfo {
        guard let info = tensors[name] else {
            throw LoadingError.missingTensor(tensor: name, file: url.path, similar: [])
        }
        return info
    }
}
