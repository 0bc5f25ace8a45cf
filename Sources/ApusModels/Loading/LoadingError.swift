/// Why checkpoint weights could not be loaded; every case names the file, and the tensor where there is one.
public enum LoadingError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(file: String, reason: String)
    /// The 8-byte header length or the header itself is missing, too long or not what the format requires.
    case invalidHeader(file: String, reason: String)
    /// One tensor's entry in the header is malformed or inconsistent with the file.
    case invalidTensor(file: String, tensor: String, reason: String)
    /// Two tensors claim overlapping bytes.
    case overlappingTensors(file: String, first: String, second: String)
    /// `model.safetensors.index.json` is malformed or points at something that is not there.
    case invalidIndex(file: String, reason: String)
    /// A tensor the model needs is not in the checkpoint.
    case missingTensor(tensor: String, file: String, similar: [String])
    /// A tensor has another shape than the architecture expects.
    case unexpectedShape(tensor: String, expected: [Int], actual: [Int], file: String)
    /// A tensor has a type that cannot be converted to what was asked.
    case unexpectedDType(tensor: String, dtype: String, expected: String, file: String)
    /// Tensors in the checkpoint that the model never used (strict loading).
    case unusedTensors(names: [String], directory: String)
    /// No weights file in a model directory.
    case noWeights(directory: String, lookedFor: [String])

    public var description: String {
        switch self {
        case .cannotOpen(let file, let reason):
            return "\(file): cannot open: \(reason)"
        case .invalidHeader(let file, let reason):
            return "\(file): invalid safetensors header: \(reason)"
        case .invalidTensor(let file, let tensor, let reason):
            return "\(file): tensor '\(tensor)': \(reason)"
        case .overlappingTensors(let file, let first, let second):
            return "\(file): tensors '\(first)' and '\(second)' overlap in the data region"
        case .invalidIndex(let file, let reason):
            return "\(file): \(reason)"
        case .missingTensor(let tensor, let file, let similar):
            let hint = similar.isEmpty ? "" : "; similar names in the checkpoint: \(similar.joined(separator: ", "))"
            return "\(file): no tensor '\(tensor)'\(hint)"
        case .unexpectedShape(let tensor, let expected, let actual, let file):
            return "\(file): tensor '\(tensor)' has shape \(actual), expected \(expected)"
        case .unexpectedDType(let tensor, let dtype, let expected, let file):
            return "\(file): tensor '\(tensor)' has dtype \(dtype), expected \(expected)"
        case .unusedTensors(let names, let directory):
            let shown = names.prefix(10).joined(separator: ", ") + (names.count > 10 ? ", … (\(names.count) in all)" : "")
            return "\(directory): the checkpoint has tensors the model does not use: \(shown)"
        case .noWeights(let directory, let lookedFor):
            return "\(directory): no weights found; looked for \(lookedFor.joined(separator: ", "))"
        }
    }
}
