import ApusTensor
import Foundation

/// A memory-mapped GGUF file (llama.cpp's checkpoint format), validated completely before any tensor is read.
///
/// Layout (https://github.com/ggml-org/ggml/blob/master/docs/gguf.md; reader `gguf_init_from_file_impl` in
/// llama.cpp's `ggml/src/gguf.cpp`), all little-endian: magic `GGUF`, `u32` version (2 or 3), `u64` tensor
/// count, `u64` metadata count; the metadata (`u64`-length string key, `u32` value type, value — arrays carry an
/// element type and a `u64` count); the tensor directory (name, `u32` dimension count, `u64` extents innermost
/// first, `u32` ggml type, `u64` offset into the data section); padding to `general.alignment` (default 32);
/// the data section.
///
/// Checked here, as gguf.cpp does, before anything is allocated from a count: every count and string length
/// against the bytes left; strings are UTF-8; keys and tensor names are unique; at most four dimensions whose
/// product and byte size do not overflow; rows are whole blocks of the type; each offset is a multiple of the
/// alignment and the tensor ends inside the file; no two tensors share bytes. Gaps between tensors are the
/// writers' padding and allowed.
///
///     let file = try GGUFFile(url: url)
///     try file.string("general.architecture")                  // "llama"
///     let embedding = try file.floatTensor(named: "token_embd.weight")  // [49152, 576], dequantised
///
/// `GGUFCheckpoint` presents the tensors under Hub names for model code. `@unchecked Sendable`: immutable after
/// `init`; the mapping is read-only.
public final class GGUFFile: @unchecked Sendable {
    /// One entry of the tensor directory.
    public struct TensorInfo: Sendable, Equatable {
        /// The GGUF name, e.g. `blk.0.attn_q.weight`.
        public let name: String
        /// Element type as stored.
        public let type: GGMLType
        /// ggml's extents, innermost (row length) first: a PyTorch `[out, in]` weight is `[in, out]` here.
        public let dimensions: [Int]
        /// Offset of the first byte within the data section.
        public let offset: Int
        /// Bytes of data.
        public let byteCount: Int

        /// Extents outermost first, PyTorch's order.
        public var shape: [Int] { dimensions.reversed() }
        /// Number of elements.
        public var elementCount: Int { dimensions.reduce(1, *) }
    }

    /// The four bytes every GGUF starts with.
    public static let magic: [UInt8] = Array("GGUF".utf8)
    /// Alignment of the data section and of every tensor when `general.alignment` is absent (`GGUF_DEFAULT_ALIGNMENT`).
    public static let defaultAlignment = 32
    /// ggml's `GGML_MAX_DIMS`.
    public static let maximumDimensions = 4
    /// Deepest nesting of arrays accepted (real files nest none; the limit keeps recursion bounded).
    public static let maximumArrayDepth = 8

    /// The file's location.
    public var url: URL { mapping.url }
    /// Format version, 2 or 3.
    public let version: UInt32
    /// Every metadata value, by key.
    public let metadata: [String: GGUFValue]
    /// The metadata keys in file order.
    public let metadataKeys: [String]
    /// The tensor directory, in file order.
    public let tensors: [TensorInfo]
    /// `general.alignment`, or 32.
    public let alignment: Int
    /// Offset of the data section from the start of the file.
    public let dataStart: Int
    private let tensorIndex: [String: Int]
    private let mapping: MappedFile

    /// Maps and validates the file at `url`; throws a `GGUFError` (or `LoadingError.cannotOpen`) naming the file
    /// and the key or tensor at fault.
    public init(url: URL) throws {
        let mapping = try MappedFile(url: url)
        self.mapping = mapping
        let parsed = try withExtendedLifetime(mapping) {
            var parser = Parser(bytes: mapping.bytes, file: url.path)
            return try parser.parse()
        }
        version = parsed.version
        metadata = parsed.metadata
        metadataKeys = parsed.metadataKeys
        tensors = parsed.tensors
        alignment = parsed.alignment
        dataStart = parsed.dataStart
        tensorIndex = Dictionary(uniqueKeysWithValues: parsed.tensors.enumerated().map { ($1.name, $0) })
    }

    /// The directory entry of tensor `name`, or nil.
    public func tensor(named name: String) -> TensorInfo? { tensorIndex[name].map { tensors[$0] } }

    /// Calls `body` with the raw bytes of `tensor`, valid only during the call.
    public func withRawBytes<Result>(of tensor: TensorInfo, _ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try withExtendedLifetime(self) { try body(rawBytes(of: tensor)) }
    }

    /// Tensor `name` as fp32 in PyTorch's shape order (`shape`), dequantised as gguf-py does. F32 data is borrowed
    /// from the mapping; other types are converted into new memory. Throws `missingTensor` or
    /// `unsupportedTensorType` (the IQ types, ternary, integer and fp64 tensors).
    public func floatTensor(named name: String) throws -> Tensor {
        guard let info = tensor(named: name) else {
            throw LoadingError.missingTensor(tensor: name, file: url.path, similar: TensorNameSuggestions.closest(to: name, in: tensorIndex.keys))
        }
        return try floatTensor(info)
    }

    /// `info`'s data as fp32, shape outermost first.
    func floatTensor(_ info: TensorInfo) throws -> Tensor {
        guard info.type.isDequantizable else {
            throw GGUFError.unsupportedTensorType(file: url.path, tensor: info.name, type: info.type)
        }
        let bytes = rawBytes(of: info)
        let count = info.elementCount
        #if _endian(little)
        if info.type == .f32, count > 0, let base = bytes.baseAddress, Int(bitPattern: base) % MemoryLayout<Float>.alignment == 0 {
            // Mapped PROT_READ: nothing writes to weights (as in SafetensorsFile).
            let pointer = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Float.self))
            return Tensor(shape: info.shape, storage: TensorStorage(borrowing: pointer, count: count, owner: mapping))
        }
        #endif
        let storage = TensorStorage(allocating: count)
        GGMLDequantization.dequantize(info.type, bytes, into: UnsafeMutableBufferPointer(start: storage.pointer, count: count))
        return Tensor(shape: info.shape, storage: storage)
    }

    private func rawBytes(of info: TensorInfo) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: mapping.bytes[(dataStart + info.offset)..<(dataStart + info.offset + info.byteCount)])
    }
}

// MARK: - Parsing

extension GGUFFile {
    /// Everything `init` keeps, read from the mapped bytes.
    fileprivate struct Parsed {
        var version: UInt32 = 0
        var metadata: [String: GGUFValue] = [:]
        var metadataKeys: [String] = []
        var tensors: [TensorInfo] = []
        var alignment = GGUFFile.defaultAlignment
        var dataStart = 0
    }

    /// A bounds-checked little-endian reader over the whole file.
    fileprivate struct Parser {
        let bytes: UnsafeRawBufferPointer
        let file: String
        var offset = 0

        init(bytes: UnsafeRawBufferPointer, file: String) {
            self.bytes = bytes
            self.file = file
        }

        var bytesLeft: Int { bytes.count - offset }

        mutating func parse() throws(GGUFError) -> Parsed {
            var parsed = Parsed()
            guard bytes.count >= 4, Array(bytes[0..<4]) == GGUFFile.magic else {
                throw .notGGUF(file: file, firstBytes: Array(bytes.prefix(4)))
            }
            offset = 4
            parsed.version = try uint32("the version")
            guard parsed.version == 2 || parsed.version == 3 else { throw .unsupportedVersion(file: file, version: parsed.version) }
            let tensorCount = try uint64("the tensor count")
            let metadataCount = try uint64("the metadata count")

            // A key-value pair takes at least 8 (key length) + 4 (type) + 1 bytes; a tensor entry 8 + 4 + 4 + 8.
            try checkCount(metadataCount, minimumSize: 13, "the metadata count")
            for index in 0..<Int(metadataCount) {
                let key = try string("metadata key \(index)")
                guard parsed.metadata[key] == nil else { throw .duplicateKey(file: file, key: key) }
                let type = try valueType(key: key)
                parsed.metadata[key] = try value(of: type, key: key, depth: 0)
                parsed.metadataKeys.append(key)
            }
            if let alignment = parsed.metadata["general.alignment"] {
                guard case .uint32(let value) = alignment else {
                    throw .metadataType(file: file, key: "general.alignment", expected: "uint32", actual: alignment.typeName)
                }
                guard value > 0, value & (value - 1) == 0 else {
                    throw .invalidMetadata(file: file, key: "general.alignment", reason: "is \(value), expected a power of two")
                }
                parsed.alignment = Int(value)
            }

            try checkCount(tensorCount, minimumSize: 24, "the tensor count")
            var names: Set<String> = []
            for index in 0..<Int(tensorCount) {
                let info = try tensorInfo(index: index, alignment: parsed.alignment)
                guard names.insert(info.name).inserted else { throw .duplicateTensor(file: file, tensor: info.name) }
                parsed.tensors.append(info)
            }

            // The data section starts at the next multiple of the alignment.
            let remainder = offset % parsed.alignment
            parsed.dataStart = remainder == 0 ? offset : offset + parsed.alignment - remainder
            let dataSize = max(0, bytes.count - parsed.dataStart)
            for info in parsed.tensors where info.byteCount > dataSize || info.offset > dataSize - info.byteCount {
                throw .tensorOutOfBounds(file: file, tensor: info.name, begin: UInt64(info.offset), byteCount: info.byteCount, dataSize: dataSize)
            }
            let byOffset = parsed.tensors.filter { $0.byteCount > 0 }.sorted { $0.offset < $1.offset }
            for (previous, next) in zip(byOffset, byOffset.dropFirst()) where next.offset < previous.offset + previous.byteCount {
                throw .overlappingTensors(file: file, first: previous.name, second: next.name)
            }
            return parsed
        }

        // MARK: Scalars and strings

        private func need(_ count: UInt64, _ what: @autoclosure () -> String) throws(GGUFError) {
            guard count <= UInt64(bytesLeft) else {
                throw .truncated(file: file, what: what(), offset: offset, needed: count, fileSize: bytes.count)
            }
        }

        private mutating func load<Value: FixedWidthInteger>(_ type: Value.Type, _ what: @autoclosure () -> String) throws(GGUFError) -> Value {
            try need(UInt64(MemoryLayout<Value>.size), what())
            let value = Value(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Value.self))
            offset += MemoryLayout<Value>.size
            return value
        }

        mutating func uint32(_ what: @autoclosure () -> String) throws(GGUFError) -> UInt32 { try load(UInt32.self, what()) }
        mutating func uint64(_ what: @autoclosure () -> String) throws(GGUFError) -> UInt64 { try load(UInt64.self, what()) }

        /// Checks that `count` items of at least `minimumSize` bytes each fit in what is left.
        private func checkCount(_ count: UInt64, minimumSize: Int, _ what: @autoclosure () -> String) throws(GGUFError) {
            guard count <= UInt64(bytesLeft / minimumSize) else {
                throw .countTooLarge(file: file, what: what(), count: count, bytesLeft: bytesLeft)
            }
        }

        mutating func string(_ what: @autoclosure () -> String) throws(GGUFError) -> String {
            let start = offset
            let length = try uint64("the length of \(what())")
            try need(length, what())
            let text = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + Int(length))])
            if JSONValue.firstInvalidUTF8Offset(text) != nil { throw .invalidUTF8(file: file, what: what(), offset: start) }
            offset += Int(length)
            return String(decoding: text, as: UTF8.self)
        }

        // MARK: Metadata values

        private mutating func valueType(key: String) throws(GGUFError) -> GGUFValueType {
            let raw = try uint32("the value type of '\(key)'")
            guard let type = GGUFValueType(rawValue: raw) else { throw .unknownValueType(file: file, key: key, type: raw) }
            return type
        }

        private mutating func value(of type: GGUFValueType, key: String, depth: Int) throws(GGUFError) -> GGUFValue {
            let what = "the value of '\(key)'"
            switch type {
            case .uint8: return .uint8(try load(UInt8.self, what))
            case .int8: return .int8(try load(Int8.self, what))
            case .uint16: return .uint16(try load(UInt16.self, what))
            case .int16: return .int16(try load(Int16.self, what))
            case .uint32: return .uint32(try load(UInt32.self, what))
            case .int32: return .int32(try load(Int32.self, what))
            case .uint64: return .uint64(try load(UInt64.self, what))
            case .int64: return .int64(try load(Int64.self, what))
            case .float32: return .float32(Float(bitPattern: try load(UInt32.self, what)))
            case .float64: return .float64(Double(bitPattern: try load(UInt64.self, what)))
            case .bool:
                let byte = try load(UInt8.self, what)
                guard byte <= 1 else { throw .invalidMetadata(file: file, key: key, reason: "is a bool stored as \(byte), expected 0 or 1") }
                return .bool(byte == 1)
            case .string: return .string(try string(what))
            case .array:
                guard depth < GGUFFile.maximumArrayDepth else { throw .arrayTooDeep(file: file, key: key) }
                let elementType = try valueType(key: key)
                let count = try uint64("the element count of '\(key)'")
                try checkCount(count, minimumSize: elementType.minimumSize, "the element count of '\(key)'")
                var elements: [GGUFValue] = []
                elements.reserveCapacity(Int(count))
                for _ in 0..<Int(count) { elements.append(try value(of: elementType, key: key, depth: depth + 1)) }
                return .array(elementType, elements)
            }
        }

        // MARK: The tensor directory

        private mutating func tensorInfo(index: Int, alignment: Int) throws(GGUFError) -> TensorInfo {
            let name = try string("the name of tensor \(index)")
            let dimensionCount = try uint32("the dimension count of '\(name)'")
            guard dimensionCount <= UInt32(GGUFFile.maximumDimensions) else {
                throw .invalidDimensions(file: file, tensor: name, dimensions: [], reason: "\(dimensionCount) dimensions, expected at most \(GGUFFile.maximumDimensions)")
            }
            var raw: [UInt64] = []
            for axis in 0..<Int(dimensionCount) { raw.append(try uint64("extent \(axis) of '\(name)'")) }
            let rawType = try uint32("the type of '\(name)'")
            let tensorOffset = try uint64("the offset of '\(name)'")
            guard let type = GGMLType(rawValue: rawType) else { throw .unknownTensorType(file: file, tensor: name, type: rawType) }

            // Elements and bytes must fit in Int64, as gguf.cpp requires (INT64_MAX / ne checks).
            var dimensions: [Int] = []
            var elements = 1
            for extent in raw {
                guard let value = Int(exactly: extent), case let (product, overflow) = elements.multipliedReportingOverflow(by: value), !overflow else {
                    throw .invalidDimensions(file: file, tensor: name, dimensions: raw, reason: "the element count overflows a 64-bit integer")
                }
                dimensions.append(value)
                elements = product
            }
            let innermost = dimensions.first ?? 1
            guard innermost % type.blockSize == 0 else { throw .partialBlock(file: file, tensor: name, type: type, innermost: innermost) }
            let (byteCount, overflow) = (elements / type.blockSize).multipliedReportingOverflow(by: type.typeSize)
            guard !overflow else {
                throw .invalidDimensions(file: file, tensor: name, dimensions: raw, reason: "the byte size overflows a 64-bit integer")
            }
            guard tensorOffset % UInt64(alignment) == 0 else {
                throw .misalignedTensor(file: file, tensor: name, offset: tensorOffset, alignment: alignment)
            }
            // Checked against the data section once its start is known; an offset beyond Int is beyond any file.
            guard let begin = Int(exactly: tensorOffset) else {
                throw .tensorOutOfBounds(file: file, tensor: name, begin: tensorOffset, byteCount: byteCount, dataSize: bytes.count)
            }
            return TensorInfo(name: name, type: type, dimensions: dimensions, offset: begin, byteCount: byteCount)
        }
    }
}
