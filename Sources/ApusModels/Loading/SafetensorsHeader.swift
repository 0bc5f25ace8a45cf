import ApusTensor

/// The header of a safetensors file, parsed and checked against the file before any tensor is read.
///
/// Format (https://github.com/huggingface/safetensors, `safetensors/src/tensor.rs`): 8 bytes of little-endian
/// `u64` header length `N`; `N` bytes of UTF-8 JSON, an object mapping each tensor name to
/// `{"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}` plus an optional `"__metadata__"` object
/// of strings; then the data region, which the offsets index from its first byte.
///
/// Checks mirror `SafeTensors::read_metadata` and `Metadata::validate`: `N` at most 100 MB and inside the
/// file; the tensors, sorted by offsets, tile the data region exactly — each begins where the previous ended
/// and the last ends at the end of the file (no overlaps, no gaps, no trailing bytes); `end - begin` equals
/// `product(shape) · dtype size`, computed without overflow. Shapes may be empty (a scalar) or contain 0.
/// As there, unknown fields in a tensor entry are ignored, `"__metadata__": null` means no metadata, and the
/// JSON may have whitespace around it (writers pad the header with spaces to a multiple of 8 bytes).
///
/// Where Apus differs from the reference: a tensor name or object key given twice is an error (serde keeps the
/// last silently); dtypes outside `DType` are refused when the file is opened (the reference knows 22 types);
/// errors name the tensor and the numbers involved (the reference reports, e.g., `TensorInvalidInfo` alone).
struct SafetensorsHeader {
    /// The `__metadata__` object (empty when absent or `null`).
    let metadata: [String: String]
    /// Every tensor entry, by name.
    let tensors: [String: SafetensorsFile.TensorInfo]
    /// Offset of the data region from the start of the file: 8 + the header length.
    let dataStart: Int

    /// Largest header accepted: `MAX_HEADER_SIZE` of the reference implementation.
    static let maximumLength = 100_000_000
    /// Bytes of the little-endian header length that starts the file.
    static let lengthFieldSize = 8
    /// The header key that holds file metadata instead of a tensor.
    static let metadataKey = "__metadata__"

    /// Parses and validates the header of `fileBytes`, the whole file; `file` names it in errors.
    init(fileBytes bytes: UnsafeRawBufferPointer, file: String) throws(LoadingError) {
        guard bytes.count >= Self.lengthFieldSize else { throw .fileTooSmall(file: file, byteCount: bytes.count) }
        let headerLength = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        guard headerLength <= UInt64(Self.maximumLength) else {
            throw .headerTooLarge(file: file, headerLength: headerLength, limit: Self.maximumLength)
        }
        guard headerLength <= UInt64(bytes.count - Self.lengthFieldSize) else {
            throw .headerPastEndOfFile(file: file, headerLength: headerLength, fileSize: bytes.count)
        }
        dataStart = Self.lengthFieldSize + Int(headerLength)

        let json: JSONValue
        do {
            json = try JSONValue.parse(UnsafeRawBufferPointer(rebasing: bytes[Self.lengthFieldSize..<dataStart]))
        } catch {
            switch error {
            case .invalidUTF8(let offset): throw .headerNotUTF8(file: file, offset: offset)
            case .syntax(let offset, let problem): throw .headerNotJSON(file: file, offset: offset, problem: problem)
            }
        }
        guard case .object(let members) = json else { throw .headerNotObject(file: file, found: json.kind) }

        var metadata: [String: String]?
        var tensors: [String: SafetensorsFile.TensorInfo] = [:]
        for member in members {
            if member.key == Self.metadataKey {
                guard metadata == nil else { throw .invalidMetadata(file: file, reason: "appears twice") }
                metadata = try Self.parseMetadata(member.value, file: file)
                continue
            }
            guard tensors[member.key] == nil else { throw .duplicateTensorName(tensor: member.key, file: file) }
            tensors[member.key] = try Self.parseEntry(member.key, member.value, file: file)
        }
        self.metadata = metadata ?? [:]
        self.tensors = tensors
        try Self.validateLayout(tensors, dataRegionSize: bytes.count - dataStart, file: file)
    }

    private static func parseMetadata(_ value: JSONValue, file: String) throws(LoadingError) -> [String: String] {
        switch value {
        case .null:
            return [:]
        case .object(let members):
            var metadata: [String: String] = [:]
            for member in members {
                guard case .string(let text) = member.value else {
                    throw .invalidMetadata(file: file, reason: "has \(member.value.kind) for key '\(member.key)'")
                }
                guard metadata[member.key] == nil else { throw .invalidMetadata(file: file, reason: "has key '\(member.key)' twice") }
                metadata[member.key] = text
            }
            return metadata
        default:
            throw .invalidMetadata(file: file, reason: "is \(value.kind)")
        }
    }

    private static func parseEntry(_ name: String, _ value: JSONValue, file: String) throws(LoadingError) -> SafetensorsFile.TensorInfo {
        func invalid(_ reason: String) -> LoadingError { .invalidTensorEntry(tensor: name, reason: reason, file: file) }
        guard case .object(let members) = value else { throw invalid("entry is \(value.kind)") }
        var fields: [String: JSONValue] = [:]
        for member in members {
            guard fields[member.key] == nil else { throw invalid("field '\(member.key)' appears twice") }
            fields[member.key] = member.value
        }

        guard let dtypeField = fields["dtype"] else { throw invalid("missing field 'dtype'") }
        guard case .string(let dtypeName) = dtypeField else { throw invalid("'dtype' is \(dtypeField.kind)") }
        guard let dtype = DType(rawValue: dtypeName) else { throw .unknownDType(tensor: name, dtype: dtypeName, file: file) }

        guard let shapeField = fields["shape"] else { throw invalid("missing field 'shape'") }
        guard case .array(let extents) = shapeField else { throw invalid("'shape' is \(shapeField.kind)") }
        var shape: [Int] = []
        for extent in extents {
            guard let value = extent.integer, value >= 0 else { throw .invalidShape(tensor: name, entry: extent.shortText, file: file) }
            shape.append(value)
        }

        guard let offsetsField = fields["data_offsets"] else { throw invalid("missing field 'data_offsets'") }
        guard case .array(let offsets) = offsetsField else { throw invalid("'data_offsets' is \(offsetsField.kind)") }
        guard offsets.count == 2 else { throw invalid("'data_offsets' has \(offsets.count) entries, not 2") }
        guard let begin = offsets[0].integer, let end = offsets[1].integer, begin >= 0, end >= 0 else {
            throw invalid("'data_offsets' [\(offsets[0].shortText), \(offsets[1].shortText)] must be non-negative integers below 2⁶³")
        }
        guard begin <= end else { throw .invalidDataOffsets(tensor: name, begin: begin, end: end, file: file) }

        var elementCount = 1
        for extent in shape {
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: extent)
            guard !overflow else { throw .shapeOverflow(tensor: name, shape: shape, dtype: dtype, file: file) }
            elementCount = product
        }
        let (byteCount, overflow) = elementCount.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow else { throw .shapeOverflow(tensor: name, shape: shape, dtype: dtype, file: file) }
        guard end - begin == byteCount else {
            throw .byteCountMismatch(tensor: name, dtype: dtype, shape: shape, expectedBytes: byteCount, actualBytes: end - begin, file: file)
        }
        return SafetensorsFile.TensorInfo(dtype: dtype, shape: shape, dataOffsets: begin..<end)
    }

    /// The tensors, sorted by offsets, must tile `0..<dataRegionSize` exactly.
    private static func validateLayout(_ tensors: [String: SafetensorsFile.TensorInfo], dataRegionSize: Int,
                                       file: String) throws(LoadingError) {
        let ordered = tensors.sorted {
            ($0.value.dataOffsets.lowerBound, $0.value.dataOffsets.upperBound, $0.key)
                < ($1.value.dataOffsets.lowerBound, $1.value.dataOffsets.upperBound, $1.key)
        }
        var covered = 0             // every byte before this belongs to exactly one tensor
        var coveringTensor: String? // the non-empty tensor that ends at `covered`
        for (name, info) in ordered {
            let range = info.dataOffsets
            guard range.upperBound <= dataRegionSize else {
                throw .tensorOutOfBounds(tensor: name, begin: range.lowerBound, end: range.upperBound,
                                         dataRegionSize: dataRegionSize, file: file)
            }
            if range.lowerBound < covered, let coveringTensor {
                throw .overlappingTensors(first: coveringTensor, second: name, file: file)
            }
            guard range.lowerBound == covered else {
                throw .gapBeforeTensor(tensor: name, gapStart: covered, begin: range.lowerBound, file: file)
            }
            // A zero-size tensor holds no bytes: it may sit where its neighbour begins or ends, not inside it.
            if !range.isEmpty {
                covered = range.upperBound
                coveringTensor = name
            }
        }
        guard covered == dataRegionSize else {
            throw .trailingBytes(covered: covered, dataRegionSize: dataRegionSize, lastTensor: coveringTensor, file: file)
        }
    }
}
