import ApusTensor
import Foundation

/// A memory-mapped `.safetensors` file, validated completely (see `SafetensorsHeader`) before any tensor is
/// handed out.
///
///     let file = try SafetensorsFile(url: directory.appendingPathComponent("model.safetensors"))
///     let weight = try file.floatTensor(named: "encoder.layer.0.attention.self.query.weight")
///
/// F32 tensors are borrowed from the mapping (no copy) whenever they are 4-byte aligned; F16 and BF16 are
/// converted to fp32 copies. Model code normally reads through a `WeightStore` instead, which checks shapes
/// and that every tensor is used.
///
/// `@unchecked Sendable`: immutable after `init`; the mapping is read-only.
public final class SafetensorsFile: @unchecked Sendable {
    /// Where one tensor lives and what it holds.
    public struct TensorInfo: Sendable, Equatable {
        /// Element type.
        public let dtype: DType
        /// Extents, outermost first; empty for a scalar, and an extent may be 0.
        public let shape: [Int]
        /// Byte range within the data region (which starts after the header).
        public let dataOffsets: Range<Int>

        /// Number of elements (1 for a scalar).
        public var elementCount: Int { shape.reduce(1, *) }
    }

    /// Largest header accepted, as in the reference implementation (100 MB).
    public static let maximumHeaderLength = SafetensorsHeader.maximumLength

    /// The file's location.
    public var url: URL { mapping.url }
    /// The `__metadata__` object, e.g. `["format": "pt"]`; empty when the file has none.
    public let metadata: [String: String]
    /// Every tensor in the file, by name.
    public let tensors: [String: TensorInfo]
    private let mapping: MappedFile
    private let dataStart: Int

    /// Maps and validates the file at `url`; throws a `LoadingError` naming the file (and the tensor) at fault.
    public init(url: URL) throws {
        mapping = try MappedFile(url: url)
        let header = try SafetensorsHeader(fileBytes: mapping.bytes, file: url.path)
        metadata = header.metadata
        tensors = header.tensors
        dataStart = header.dataStart
    }

    /// Names of all tensors, sorted.
    public var tensorNames: [String] { tensors.keys.sorted() }

    /// The entry of tensor `name`; throws `missingTensor` when the file has none.
    public func info(_ name: String) throws -> TensorInfo {
        guard let info = tensors[name] else {
            throw LoadingError.missingTensor(tensor: name, file: url.path, similar: TensorNameSuggestions.closest(to: name, in: tensors.keys))
        }
        return info
    }

    /// Calls `body` with the raw little-endian bytes of tensor `name`, which stay valid only during the call.
    public func withRawBytes<Result>(of name: String, _ body: (UnsafeRawBufferPointer) throws -> Result) throws -> Result {
        let bytes = try rawBytes(of: info(name))
        return try withExtendedLifetime(self) { try body(bytes) }
    }

    /// Tensor `name` as fp32.
    ///
    /// F32 data is borrowed from the mapping when its address is 4-byte aligned — headers are padded to a
    /// multiple of 8 by current writers, but older files are not, so a copy is the fallback. F16 and BF16
    /// are converted exactly into new memory. Integer and bool tensors throw `unexpectedDType`.
    public func floatTensor(named name: String) throws -> Tensor {
        let info = try info(name)
        let bytes = rawBytes(of: info)
        let count = info.elementCount
        switch info.dtype {
        case .float32:
            #if _endian(little)
            if count > 0, let base = bytes.baseAddress, Int(bitPattern: base) % MemoryLayout<Float>.alignment == 0 {
                // `TensorStorage` holds a mutable pointer because it also owns activations; this memory is
                // mapped PROT_READ, so writing to a weight would fault. Nothing writes to weights.
                let pointer = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Float.self))
                return Tensor(shape: info.shape, storage: TensorStorage(borrowing: pointer, count: count, owner: mapping))
            }
            #endif
            return Self.convertedTensor(info.shape, bytes, elementSize: 4) { bytes, offset in
                Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
            }
        case .float16:
            return Self.convertedTensor(info.shape, bytes, elementSize: 2) { bytes, offset in
                Float(float16Bits: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
            }
        case .bfloat16:
            return Self.convertedTensor(info.shape, bytes, elementSize: 2) { bytes, offset in
                Float(bfloat16Bits: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
            }
        case .int64, .int32, .int8, .uint8, .bool:
            throw LoadingError.unexpectedDType(tensor: name, dtype: info.dtype, expected: [.float32, .float16, .bfloat16], file: url.path)
        }
    }

    /// Integer or bool tensor `name` (I64, I32, I8, U8, BOOL), each element widened exactly to `Int64`
    /// (BOOL gives 0 or 1 as stored). Float tensors throw `unexpectedDType`.
    public func integerValues(named name: String) throws -> [Int64] {
        let info = try info(name)
        let bytes = rawBytes(of: info)
        let count = info.elementCount
        switch info.dtype {
        case .int64:
            return (0..<count).map { Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self)) }
        case .int32:
            return (0..<count).map { Int64(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self))) }
        case .int8:
            return (0..<count).map { Int64(Int8(bitPattern: bytes[$0])) }
        case .uint8, .bool:
            return (0..<count).map { Int64(bytes[$0]) }
        case .float32, .float16, .bfloat16:
            throw LoadingError.unexpectedDType(tensor: name, dtype: info.dtype, expected: [.int64, .int32, .int8, .uint8, .bool], file: url.path)
        }
    }

    /// Whether `tensor` reads straight from this file's mapping (borrowed, not copied).
    public func isBorrowed(_ tensor: Tensor) -> Bool {
        mapping.contains(UnsafeRawPointer(tensor.pointer))
    }

    private func rawBytes(of info: TensorInfo) -> UnsafeRawBufferPointer {
        // In range: `SafetensorsHeader` checked every tensor lies inside the data region.
        UnsafeRawBufferPointer(rebasing: mapping.bytes[(dataStart + info.dataOffsets.lowerBound)..<(dataStart + info.dataOffsets.upperBound)])
    }

    /// A new fp32 tensor whose element `i` is `element(bytes, i · elementSize)` (the byte offset of element `i`).
    private static func convertedTensor(_ shape: [Int], _ bytes: UnsafeRawBufferPointer, elementSize: Int,
                                        _ element: (UnsafeRawBufferPointer, Int) -> Float) -> Tensor {
        let count = bytes.count / elementSize
        let storage = TensorStorage(allocating: count)
        for index in 0..<count { storage.pointer[index] = element(bytes, index * elementSize) }
        return Tensor(shape: shape, storage: storage)
    }
}
