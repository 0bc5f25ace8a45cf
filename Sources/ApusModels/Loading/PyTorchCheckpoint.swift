import ApusTensor
import Foundation

/// A `pytorch_model.bin` written by `torch.save(state_dict)` (PyTorch ≥ 1.6): a ZIP of stored records —
/// `<archive>/data.pkl`, the pickled state dict, and `<archive>/data/<key>`, the raw bytes of each storage —
/// read without Python and without running the pickle (see `RestrictedUnpickler`).
///
///     let checkpoint = try PyTorchCheckpoint(url: directory.appendingPathComponent("pytorch_model.bin"))
///     let weight = try checkpoint.floatTensor(named: "encoder.layer.0.attention.self.query.weight")
///
/// Tensors are views into storages (several tensors may share one, tied weights do); each view's elements are
/// checked to lie inside its storage record. Contiguous aligned F32 views are borrowed from the mapping;
/// strided views and F16/BF16 are gathered/converted into fp32 copies. The pre-1.6 format (a bare pickle
/// stream followed by storages) is an error saying how to re-save the file.
///
/// `@unchecked Sendable`: immutable after `init`; the mapping is read-only.
public final class PyTorchCheckpoint: TensorFile, @unchecked Sendable {
    /// The file name transformers gives a single-file PyTorch checkpoint.
    public static let singleFileName = "pytorch_model.bin"
    /// The index of a sharded one.
    public static let indexFileName = "pytorch_model.bin.index.json"

    /// One tensor of the state dict: a view into a storage record.
    struct View {
        let dtype: DType
        let shape: [Int]
        let strides: [Int]
        let storageOffset: Int
        /// The storage's bytes in the mapping.
        let record: Range<Int>
    }

    public var url: URL { mapping.url }
    private let mapping: MappedFile
    private let views: [String: View]

    /// Maps `url` and reads its state dict; throws `invalidPyTorchCheckpoint` or `unsafePickle` naming the file.
    public init(url: URL) throws {
        mapping = try MappedFile(url: url)
        let path = url.path
        let bytes = mapping.bytes
        guard bytes.count >= 4, bytes.loadUnaligned(as: UInt32.self) == UInt32(0x0403_4b50).littleEndian else {
            if bytes.count >= 2, bytes[0] == 0x80 {
                throw LoadingError.invalidPyTorchCheckpoint(file: path, reason: """
                    this is the legacy (PyTorch < 1.6) torch.save format, which Apus does not read; re-save it with a \
                    current torch (torch.save(torch.load(f, weights_only=True), f)) or convert it to safetensors
                    """)
            }
            throw LoadingError.invalidPyTorchCheckpoint(file: path, reason: "not a ZIP archive (torch.save output starts with 'PK')")
        }
        let archive = try StoredZipArchive(bytes: bytes, path: path)
        let pickles = archive.entries.keys.filter { $0.hasSuffix("/data.pkl") && $0.split(separator: "/").count == 2 }
        guard pickles.count == 1, let pickleName = pickles.first, let pickle = archive.entries[pickleName] else {
            throw LoadingError.invalidPyTorchCheckpoint(file: path, reason: "expected one '<archive>/data.pkl' record, found \(pickles.sorted())")
        }
        let prefix = String(pickleName.dropLast("data.pkl".count))
        if let order = archive.entries[prefix + "byteorder"] {
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[order.dataRange]), as: UTF8.self)
            guard text == "little" else {
                throw LoadingError.invalidPyTorchCheckpoint(file: path, reason: "the storages are '\(text)'-endian; Apus reads little-endian checkpoints")
            }
        }

        var unpickler = RestrictedUnpickler(bytes: UnsafeRawBufferPointer(rebasing: bytes[pickle.dataRange]), path: path)
        let root = try unpickler.load()
        guard case .dict(let stateDict) = root else {
            throw LoadingError.invalidPyTorchCheckpoint(file: path, reason: "data.pkl holds \(root.kind), expected a state dict (name → tensor)")
        }
        var views: [String: View] = [:]
        for (key, value) in stateDict.items {
            guard case .string(let name) = key else {
                throw LoadingError.invalidPyTorchCheckpoint(file: path, reason: "the state dict has a key that is \(key.kind), not a tensor name")
            }
            guard case .tensor(let tensor) = value else {
                throw LoadingError.invalidPyTorchCheckpoint(file: path, reason: "state dict entry '\(name)' is \(value.kind), expected a tensor")
            }
            guard views[name] == nil else { throw LoadingError.duplicateTensorName(tensor: name, file: path) }
            views[name] = try Self.view(of: tensor, named: name, archive: archive, prefix: prefix)
        }
        self.views = views
    }

    /// Checks that every element of `tensor` lies in its storage record and returns where it is.
    private static func view(of tensor: RestrictedUnpickler.PickledTensor, named name: String, archive: StoredZipArchive,
                             prefix: String) throws -> View {
        let path = archive.path
        func invalid(_ reason: String) -> LoadingError { .invalidPyTorchCheckpoint(file: path, reason: "tensor '\(name)': \(reason)") }
        let storage = tensor.storage
        guard let dtype = storage.dtype else {
            throw invalid("its storage is torch.\(storage.typeName), which Apus does not read (F32, F16, BF16 and integer storages are supported)")
        }
        guard let record = archive.entries[prefix + "data/" + storage.key] else {
            throw invalid("its storage record '\(prefix)data/\(storage.key)' is missing from the archive")
        }
        let (storageBytes, overflow) = storage.elementCount.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow, storageBytes <= record.dataRange.count else {
            throw invalid("its storage claims \(storage.elementCount) elements of \(dtype) but record '\(record.name)' has \(record.dataRange.count) bytes")
        }
        guard tensor.shape.count == tensor.strides.count, tensor.shape.allSatisfy({ $0 >= 0 }), tensor.strides.allSatisfy({ $0 >= 0 }),
              tensor.storageOffset >= 0 else {
            throw invalid("size \(tensor.shape) / stride \(tensor.strides) / offset \(tensor.storageOffset) is not a valid view")
        }
        // The last element a view touches: offset + Σ (size − 1) · stride, which must be inside the storage.
        if !tensor.shape.contains(0) {
            var last = tensor.storageOffset
            for (size, stride) in zip(tensor.shape, tensor.strides) {
                let (step, stepOverflow) = (size - 1).multipliedReportingOverflow(by: stride)
                let (sum, sumOverflow) = last.addingReportingOverflow(step)
                guard !stepOverflow, !sumOverflow else { throw invalid("size \(tensor.shape) with stride \(tensor.strides) overflows") }
                last = sum
            }
            guard last < storage.elementCount else {
                throw invalid("size \(tensor.shape), stride \(tensor.strides) and offset \(tensor.storageOffset) reach element \(last) of a \(storage.elementCount)-element storage")
            }
        }
        return View(dtype: dtype, shape: tensor.shape, strides: tensor.strides, storageOffset: tensor.storageOffset,
                    record: record.dataRange)
    }

    public var tensorNames: [String] { views.keys.sorted() }

    public func tensorDescription(of name: String) -> TensorDescription? {
        views[name].map { TensorDescription(dtype: $0.dtype, shape: $0.shape) }
    }

    /// Tensor `name` as fp32: F32 borrowed when contiguous and aligned, otherwise gathered; F16/BF16 converted.
    public func floatTensor(named name: String) throws -> Tensor {
        guard let view = views[name] else {
            throw LoadingError.missingTensor(tensor: name, file: url.path, similar: TensorNameSuggestions.closest(to: name, in: views.keys))
        }
        let element: (UnsafeRawPointer) -> Float
        switch view.dtype {
        case .float32: element = { Float(bitPattern: UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self))) }
        case .float16: element = { Float(float16Bits: UInt16(littleEndian: $0.loadUnaligned(as: UInt16.self))) }
        case .bfloat16: element = { Float(bfloat16Bits: UInt16(littleEndian: $0.loadUnaligned(as: UInt16.self))) }
        case .int64, .int32, .int8, .uint8, .bool:
            throw LoadingError.unexpectedDType(tensor: name, dtype: view.dtype, expected: [.float32, .float16, .bfloat16], file: url.path)
        }
        guard let base = mapping.bytes.baseAddress else { return Tensor(shape: view.shape, storage: TensorStorage(allocating: 0)) }
        let elementSize = view.dtype.byteSize
        let start = base + view.record.lowerBound + view.storageOffset * elementSize
        let count = view.shape.reduce(1, *)
        let contiguous = Self.isContiguous(shape: view.shape, strides: view.strides)
        #if _endian(little)
        if contiguous, view.dtype == .float32, count > 0, Int(bitPattern: start) % MemoryLayout<Float>.alignment == 0 {
            // Read-only mapping: nothing writes to weights (see SafetensorsFile).
            let pointer = UnsafeMutablePointer(mutating: start.assumingMemoryBound(to: Float.self))
            return Tensor(shape: view.shape, storage: TensorStorage(borrowing: pointer, count: count, owner: mapping))
        }
        #endif
        let storage = TensorStorage(allocating: count)
        if contiguous {
            for index in 0..<count { storage.pointer[index] = element(start + index * elementSize) }
        } else {
            // Row-major walk over the view's indices, stepping through the storage by its strides.
            var indices = [Int](repeating: 0, count: view.shape.count)
            var offset = 0
            for index in 0..<count {
                storage.pointer[index] = element(start + offset * elementSize)
                var axis = view.shape.count - 1
                while axis >= 0 {
                    indices[axis] += 1
                    offset += view.strides[axis]
                    if indices[axis] < view.shape[axis] { break }
                    offset -= indices[axis] * view.strides[axis]
                    indices[axis] = 0
                    axis -= 1
                }
            }
        }
        return Tensor(shape: view.shape, storage: storage)
    }

    /// Whether `strides` are the row-major strides of `shape` (extents of 1 may have any stride).
    static func isContiguous(shape: [Int], strides: [Int]) -> Bool {
        var expected = 1
        for (size, stride) in zip(shape, strides).reversed() {
            if size != 1 && stride != expected { return false }
            expected *= size
        }
        return true
    }

    /// Whether `tensor` reads straight from this file's mapping (borrowed, not copied).
    public func isBorrowed(_ tensor: Tensor) -> Bool {
        mapping.contains(UnsafeRawPointer(tensor.pointer))
    }
}
