import ApusTensor

/// Why checkpoint weights could not be loaded. Every case names the file (or model directory), the tensor
/// when there is one, and what was expected instead.
///
/// Cases about one tensor list `tensor` first and `file` last; cases about a whole file start with `file`.
public enum LoadingError: Error, CustomStringConvertible, Equatable, Sendable {
    // MARK: Opening

    /// The file could not be opened or mapped (missing, not a regular file, no permission…).
    case cannotOpen(file: String, reason: String)

    // MARK: The safetensors header

    /// The file is shorter than the 8-byte header length that starts every safetensors file.
    case fileTooSmall(file: String, byteCount: Int)
    /// The header length exceeds the 100 MB limit of the reference implementation.
    case headerTooLarge(file: String, headerLength: UInt64, limit: Int)
    /// The header length points past the end of the file.
    case headerPastEndOfFile(file: String, headerLength: UInt64, fileSize: Int)
    /// The header bytes are not valid UTF-8; `offset` counts from the start of the header.
    case headerNotUTF8(file: String, offset: Int)
    /// The header is not well-formed JSON; `offset` counts from the start of the header.
    case headerNotJSON(file: String, offset: Int, problem: String)
    /// The header is JSON but not an object; `found` says what it is ("an array").
    case headerNotObject(file: String, found: String)
    /// `__metadata__` is not an object of string values.
    case invalidMetadata(file: String, reason: String)
    /// Two header entries have the same tensor name.
    case duplicateTensorName(tensor: String, file: String)

    // MARK: One tensor's header entry

    /// The entry is not an object, or a field is missing or of the wrong JSON type.
    case invalidTensorEntry(tensor: String, reason: String, file: String)
    /// `dtype` is not one of `DType`'s spellings.
    case unknownDType(tensor: String, dtype: String, file: String)
    /// A `shape` entry is not a non-negative integer; `entry` is its JSON text.
    case invalidShape(tensor: String, entry: String, file: String)
    /// The product of the shape (times the element size) does not fit in `Int`.
    case shapeOverflow(tensor: String, shape: [Int], dtype: DType, file: String)
    /// `data_offsets` has `end < begin`.
    case invalidDataOffsets(tensor: String, begin: Int, end: Int, file: String)
    /// `end - begin` is not `product(shape) · dtype.byteSize`.
    case byteCountMismatch(tensor: String, dtype: DType, shape: [Int], expectedBytes: Int, actualBytes: Int, file: String)

    // MARK: The data region

    /// The tensor's bytes run past the end of the data region (a truncated file, usually).
    case tensorOutOfBounds(tensor: String, begin: Int, end: Int, dataRegionSize: Int, file: String)
    /// Two tensors claim some of the same bytes.
    case overlappingTensors(first: String, second: String, file: String)
    /// Bytes before this tensor belong to no tensor.
    case gapBeforeTensor(tensor: String, gapStart: Int, begin: Int, file: String)
    /// The tensors end before the data region does; `lastTensor` is the one that ends last.
    case trailingBytes(covered: Int, dataRegionSize: Int, lastTensor: String?, file: String)

    // MARK: Using a tensor

    /// A tensor the model asked for is not in the checkpoint; `similar` are the closest names that are.
    case missingTensor(tensor: String, file: String, similar: [String])
    /// A tensor has another shape than the architecture expects.
    case unexpectedShape(tensor: String, expected: [Int], actual: [Int], file: String)
    /// A tensor's dtype cannot be converted to what was asked for.
    case unexpectedDType(tensor: String, dtype: DType, expected: [DType], file: String)

    // MARK: PyTorch .bin checkpoints

    /// A `pytorch_model.bin` is not a well-formed `torch.save` archive; `reason` says what is wrong where.
    case invalidPyTorchCheckpoint(file: String, reason: String)
    /// The checkpoint's pickle asks for something a state dict never needs (a global such as `os.system`, an
    /// object-building opcode): loading it could run code, so it is refused.
    case unsafePickle(file: String, reason: String)

    // MARK: Sharded checkpoints and model directories

    /// `model.safetensors.index.json` is not JSON of the expected form.
    case invalidIndex(index: String, reason: String)
    /// The index maps `tensor` to something that is not a plain file name in the index's directory.
    case shardNameNotPlain(shard: String, tensor: String, index: String)
    /// The index maps `tensor` to a shard file that does not exist.
    case missingShard(shard: String, tensor: String, index: String)
    /// The index maps `tensor` to a shard that does not contain it.
    case tensorNotInShard(tensor: String, shard: String, index: String)
    /// The same tensor name is in more than one file of a checkpoint.
    case duplicateTensorAcrossFiles(tensor: String, files: [String])
    /// A model directory has no weights Apus can read; `otherWeightFiles` are weight-like files it does have.
    case noWeights(directory: String, lookedFor: [String], otherWeightFiles: [String])
    /// Tensors in the checkpoint that the model never used (strict loading), all of them, sorted.
    case unusedTensors(names: [String], source: String)

    /// The file, index or directory the error is about.
    public var file: String {
        switch self {
        case .cannotOpen(let file, _), .fileTooSmall(let file, _), .headerTooLarge(let file, _, _),
             .headerPastEndOfFile(let file, _, _), .headerNotUTF8(let file, _), .headerNotJSON(let file, _, _),
             .headerNotObject(let file, _), .invalidMetadata(let file, _), .duplicateTensorName(_, let file),
             .invalidTensorEntry(_, _, let file), .unknownDType(_, _, let file), .invalidShape(_, _, let file),
             .shapeOverflow(_, _, _, let file), .invalidDataOffsets(_, _, _, let file),
             .byteCountMismatch(_, _, _, _, _, let file), .tensorOutOfBounds(_, _, _, _, let file),
             .overlappingTensors(_, _, let file), .gapBeforeTensor(_, _, _, let file), .trailingBytes(_, _, _, let file),
             .missingTensor(_, let file, _), .unexpectedShape(_, _, _, let file), .unexpectedDType(_, _, _, let file),
             .invalidPyTorchCheckpoint(let file, _), .unsafePickle(let file, _):
            return file
        case .invalidIndex(let index, _), .shardNameNotPlain(_, _, let index), .missingShard(_, _, let index),
             .tensorNotInShard(_, _, let index):
            return index
        case .duplicateTensorAcrossFiles(_, let files):
            return files.first ?? ""
        case .noWeights(let directory, _, _):
            return directory
        case .unusedTensors(_, let source):
            return source
        }
    }

    /// The tensor the error is about, when it is about one.
    public var tensor: String? {
        switch self {
        case .duplicateTensorName(let tensor, _), .invalidTensorEntry(let tensor, _, _), .unknownDType(let tensor, _, _),
             .invalidShape(let tensor, _, _), .shapeOverflow(let tensor, _, _, _), .invalidDataOffsets(let tensor, _, _, _),
             .byteCountMismatch(let tensor, _, _, _, _, _), .tensorOutOfBounds(let tensor, _, _, _, _),
             .gapBeforeTensor(let tensor, _, _, _), .missingTensor(let tensor, _, _), .unexpectedShape(let tensor, _, _, _),
             .unexpectedDType(let tensor, _, _, _), .shardNameNotPlain(_, let tensor, _), .missingShard(_, let tensor, _),
             .tensorNotInShard(let tensor, _, _), .duplicateTensorAcrossFiles(let tensor, _):
            return tensor
        case .overlappingTensors(let first, _, _):
            return first
        case .trailingBytes(_, _, let lastTensor, _):
            return lastTensor
        case .cannotOpen, .fileTooSmall, .headerTooLarge, .headerPastEndOfFile, .headerNotUTF8, .headerNotJSON,
             .headerNotObject, .invalidMetadata, .invalidIndex, .noWeights, .unusedTensors, .invalidPyTorchCheckpoint, .unsafePickle:
            return nil
        }
    }

    /// The message shown to users: file, tensor, what was found and what was expected.
    public var description: String {
        switch self {
        case .cannotOpen(let file, let reason):
            return "\(file): cannot open: \(reason)"
        case .fileTooSmall(let file, let byteCount):
            return "\(file): not a safetensors file: \(byteCount) bytes, fewer than the 8-byte header length every safetensors file starts with"
        case .headerTooLarge(let file, let headerLength, let limit):
            return "\(file): safetensors header length \(headerLength) exceeds the limit of \(limit) bytes (corrupt file, or not safetensors)"
        case .headerPastEndOfFile(let file, let headerLength, let fileSize):
            return "\(file): safetensors header length \(headerLength) runs past the end of the \(fileSize)-byte file (truncated download?)"
        case .headerNotUTF8(let file, let offset):
            return "\(file): safetensors header is not valid UTF-8 (at byte \(offset) of the header)"
        case .headerNotJSON(let file, let offset, let problem):
            return "\(file): safetensors header is not valid JSON: \(problem) at byte \(offset) of the header"
        case .headerNotObject(let file, let found):
            return "\(file): safetensors header is \(found), expected a JSON object of tensor name → {dtype, shape, data_offsets}"
        case .invalidMetadata(let file, let reason):
            return "\(file): '__metadata__' \(reason); expected an object of string → string"
        case .duplicateTensorName(let tensor, let file):
            return "\(file): tensor '\(tensor)' appears twice in the header"
        case .invalidTensorEntry(let tensor, let reason, let file):
            return "\(file): tensor '\(tensor)': \(reason); expected {\"dtype\": string, \"shape\": [int], \"data_offsets\": [begin, end]}"
        case .unknownDType(let tensor, let dtype, let file):
            return "\(file): tensor '\(tensor)' has dtype '\(dtype)', which Apus does not read; supported: \(DType.supportedNames)"
        case .invalidShape(let tensor, let entry, let file):
            return "\(file): tensor '\(tensor)': shape entry \(entry) is not a non-negative integer"
        case .shapeOverflow(let tensor, let shape, let dtype, let file):
            return "\(file): tensor '\(tensor)': shape \(shape) of \(dtype) has more bytes than a 64-bit integer can count"
        case .invalidDataOffsets(let tensor, let begin, let end, let file):
            return "\(file): tensor '\(tensor)': data_offsets [\(begin), \(end)] end before they begin; expected [begin, end] with begin ≤ end"
        case .byteCountMismatch(let tensor, let dtype, let shape, let expectedBytes, let actualBytes, let file):
            return "\(file): tensor '\(tensor)': data_offsets span \(actualBytes) bytes, expected \(expectedBytes) for shape \(shape) of \(dtype) (\(dtype.byteSize) bytes each)"
        case .tensorOutOfBounds(let tensor, let begin, let end, let dataRegionSize, let file):
            return "\(file): tensor '\(tensor)': data_offsets [\(begin), \(end)] run past the end of the \(dataRegionSize)-byte data region (truncated file?)"
        case .overlappingTensors(let first, let second, let file):
            return "\(file): tensors '\(first)' and '\(second)' overlap in the data region; expected each tensor to have its own bytes"
        case .gapBeforeTensor(let tensor, let gapStart, let begin, let file):
            return "\(file): tensor '\(tensor)' begins at byte \(begin) of the data region, but bytes \(gapStart)..<\(begin) belong to no tensor; expected the tensors to cover the data region without gaps"
        case .trailingBytes(let covered, let dataRegionSize, let lastTensor, let file):
            let last = lastTensor.map { " (the last is '\($0)')" } ?? ""
            return "\(file): the tensors\(last) cover \(covered) bytes but the data region has \(dataRegionSize); expected no bytes after the last tensor"
        case .missingTensor(let tensor, let file, let similar):
            let hint = similar.isEmpty ? "" : "; similar names in the checkpoint: \(similar.map { "'\($0)'" }.joined(separator: ", "))"
            return "\(file): no tensor '\(tensor)'\(hint)"
        case .unexpectedShape(let tensor, let expected, let actual, let file):
            return "\(file): tensor '\(tensor)' has shape \(actual), expected \(expected) (does config.json match the checkpoint?)"
        case .unexpectedDType(let tensor, let dtype, let expected, let file):
            return "\(file): tensor '\(tensor)' has dtype \(dtype), expected \(expected.map(\.rawValue).joined(separator: ", "))"
        case .invalidPyTorchCheckpoint(let file, let reason):
            return "\(file): not a readable PyTorch checkpoint: \(reason)"
        case .unsafePickle(let file, let reason):
            return "\(file): refused: \(reason) (unpickling can run arbitrary code; Apus reads only plain state dicts)"
        case .invalidIndex(let index, let reason):
            return "\(index): \(reason); expected {\"weight_map\": {tensor name: shard file name}}"
        case .shardNameNotPlain(let shard, let tensor, let index):
            return "\(index): tensor '\(tensor)' is mapped to '\(shard)', which is not a plain file name in the index's directory"
        case .missingShard(let shard, let tensor, let index):
            return "\(index): tensor '\(tensor)' is mapped to shard '\(shard)', which does not exist (incomplete download?)"
        case .tensorNotInShard(let tensor, let shard, let index):
            return "\(index): tensor '\(tensor)' is mapped to shard '\(shard)', but that shard does not contain it"
        case .duplicateTensorAcrossFiles(let tensor, let files):
            return "tensor '\(tensor)' is in more than one checkpoint file: \(files.joined(separator: ", "))"
        case .noWeights(let directory, let lookedFor, let otherWeightFiles):
            let found = otherWeightFiles.isEmpty ? ""
                : "; found other weight files (\(otherWeightFiles.joined(separator: ", "))), but Apus reads safetensors and PyTorch .bin checkpoints under the names above"
            return "\(directory): no weights found; looked for \(lookedFor.joined(separator: ", "))\(found)"
        case .unusedTensors(let names, let source):
            return "\(source): the checkpoint has \(names.count) tensor\(names.count == 1 ? "" : "s") the model does not use "
                + "(wrong architecture or config.json?): \(names.joined(separator: ", "))"
        }
    }
}
