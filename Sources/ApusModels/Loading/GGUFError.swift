import ApusTensor

/// Why a GGUF file could not be read or turned into a model. Every case names the file and, when there is
/// one, the metadata key or tensor at fault, and says what was expected.
public enum GGUFError: Error, CustomStringConvertible, Equatable, Sendable {
    // MARK: The header

    /// The file does not start with the four bytes `GGUF`.
    case notGGUF(file: String, firstBytes: [UInt8])
    /// The version is not 2 or 3 (version 1 used 32-bit counts; a byte-swapped number means a big-endian file).
    case unsupportedVersion(file: String, version: UInt32)
    /// The file ends inside `what`, which starts at byte `offset` and needs `needed` bytes.
    case truncated(file: String, what: String, offset: Int, needed: UInt64, fileSize: Int)
    /// A count (of keys, tensors, array elements) cannot fit in the bytes left, checked before anything is allocated.
    case countTooLarge(file: String, what: String, count: UInt64, bytesLeft: Int)
    /// A string is not valid UTF-8.
    case invalidUTF8(file: String, what: String, offset: Int)

    // MARK: Metadata

    /// A value's type number is not one GGUF defines (0–12).
    case unknownValueType(file: String, key: String, type: UInt32)
    /// Arrays nested deeper than `GGUFFile.maximumArrayDepth`.
    case arrayTooDeep(file: String, key: String)
    /// The same key appears twice.
    case duplicateKey(file: String, key: String)
    /// A key has another type than the one asked for.
    case metadataType(file: String, key: String, expected: String, actual: String)
    /// A key the model needs is absent.
    case missingMetadata(file: String, key: String)
    /// A key has a value the model cannot use (a zero head count, a power of two that is not one…).
    case invalidMetadata(file: String, key: String, reason: String)

    // MARK: The tensor directory

    /// Two tensors have the same name.
    case duplicateTensor(file: String, tensor: String)
    /// More than four dimensions, or a dimension whose product overflows.
    case invalidDimensions(file: String, tensor: String, dimensions: [UInt64], reason: String)
    /// The ggml type number is not one ggml defines.
    case unknownTensorType(file: String, tensor: String, type: UInt32)
    /// The innermost dimension is not a multiple of the type's block size.
    case partialBlock(file: String, tensor: String, type: GGMLType, innermost: Int)
    /// The tensor's offset is not a multiple of the file's alignment.
    case misalignedTensor(file: String, tensor: String, offset: UInt64, alignment: Int)
    /// The tensor's bytes run past the end of the file.
    case tensorOutOfBounds(file: String, tensor: String, begin: UInt64, byteCount: Int, dataSize: Int)
    /// Two tensors claim some of the same bytes.
    case overlappingTensors(file: String, first: String, second: String)

    // MARK: Using the file

    /// Apus cannot dequantise this tensor's type.
    case unsupportedTensorType(file: String, tensor: String, type: GGMLType)
    /// `general.architecture` names an architecture Apus does not map to Hub names.
    case unsupportedArchitecture(file: String, architecture: String, supported: [String])
    /// `tokenizer.ggml.model` names a tokenizer Apus does not convert.
    case unsupportedTokenizer(file: String, model: String, supported: [String])

    /// The file the error is about.
    public var file: String {
        switch self {
        case .notGGUF(let file, _), .unsupportedVersion(let file, _), .truncated(let file, _, _, _, _),
             .countTooLarge(let file, _, _, _), .invalidUTF8(let file, _, _), .unknownValueType(let file, _, _),
             .arrayTooDeep(let file, _), .duplicateKey(let file, _), .metadataType(let file, _, _, _),
             .missingMetadata(let file, _), .invalidMetadata(let file, _, _), .duplicateTensor(let file, _),
             .invalidDimensions(let file, _, _, _), .unknownTensorType(let file, _, _), .partialBlock(let file, _, _, _),
             .misalignedTensor(let file, _, _, _), .tensorOutOfBounds(let file, _, _, _, _),
             .overlappingTensors(let file, _, _), .unsupportedTensorType(let file, _, _),
             .unsupportedArchitecture(let file, _, _), .unsupportedTokenizer(let file, _, _):
            return file
        }
    }

    /// The message shown to users.
    public var description: String {
        switch self {
        case .notGGUF(let file, let firstBytes):
            let shown = firstBytes.map { String($0, radix: 16, uppercase: true) }.joined(separator: " ")
            return "\(file): not a GGUF file: starts with bytes [\(shown)], expected the magic 'GGUF' (47 47 55 46)"
        case .unsupportedVersion(let file, let version):
            let hint = version > 0xFFFF ? " (a byte-swapped number: a big-endian GGUF, which Apus does not read)"
                : version == 1 ? " (GGUF v1, from before August 2023; re-convert it with current llama.cpp)" : ""
            return "\(file): GGUF version \(version), expected 2 or 3\(hint)"
        case .truncated(let file, let what, let offset, let needed, let fileSize):
            return "\(file): \(what) at byte \(offset) needs \(needed) bytes but the \(fileSize)-byte file ends first (truncated download?)"
        case .countTooLarge(let file, let what, let count, let bytesLeft):
            return "\(file): \(what) is \(count), more than the \(bytesLeft) bytes left in the file can hold (corrupt file?)"
        case .invalidUTF8(let file, let what, let offset):
            return "\(file): \(what) at byte \(offset) is not valid UTF-8"
        case .unknownValueType(let file, let key, let type):
            return "\(file): metadata '\(key)' has value type \(type), expected one of GGUF's types 0–12"
        case .arrayTooDeep(let file, let key):
            return "\(file): metadata '\(key)' nests arrays deeper than \(GGUFFile.maximumArrayDepth) levels"
        case .duplicateKey(let file, let key):
            return "\(file): metadata key '\(key)' appears twice"
        case .metadataType(let file, let key, let expected, let actual):
            return "\(file): metadata '\(key)' is \(actual), expected \(expected)"
        case .missingMetadata(let file, let key):
            return "\(file): no metadata '\(key)', which this model needs"
        case .invalidMetadata(let file, let key, let reason):
            return "\(file): metadata '\(key)' \(reason)"
        case .duplicateTensor(let file, let tensor):
            return "\(file): tensor '\(tensor)' appears twice in the tensor directory"
        case .invalidDimensions(let file, let tensor, let dimensions, let reason):
            return "\(file): tensor '\(tensor)' has dimensions \(dimensions): \(reason)"
        case .unknownTensorType(let file, let tensor, let type):
            return "\(file): tensor '\(tensor)' has ggml type \(type), which ggml does not define"
        case .partialBlock(let file, let tensor, let type, let innermost):
            return "\(file): tensor '\(tensor)' of type \(type) has rows of \(innermost) elements, expected a multiple of its block size \(type.blockSize)"
        case .misalignedTensor(let file, let tensor, let offset, let alignment):
            return "\(file): tensor '\(tensor)' starts at offset \(offset) of the data section, expected a multiple of the alignment \(alignment)"
        case .tensorOutOfBounds(let file, let tensor, let begin, let byteCount, let dataSize):
            return "\(file): tensor '\(tensor)' occupies bytes \(begin)..<\(begin + UInt64(byteCount)) of the data section, which has only \(dataSize) (truncated file?)"
        case .overlappingTensors(let file, let first, let second):
            return "\(file): tensors '\(first)' and '\(second)' overlap in the data section; expected each tensor to have its own bytes"
        case .unsupportedTensorType(let file, let tensor, let type):
            return "\(file): tensor '\(tensor)' is \(type), which Apus cannot dequantise; supported: \(GGMLType.dequantizableNames)"
        case .unsupportedArchitecture(let file, let architecture, let supported):
            return "\(file): general.architecture is '\(architecture)', which Apus does not load from GGUF; supported: \(supported.joined(separator: ", "))"
        case .unsupportedTokenizer(let file, let model, let supported):
            return "\(file): tokenizer.ggml.model is '\(model)', which Apus does not convert; supported: \(supported.joined(separator: ", "))"
        }
    }
}
