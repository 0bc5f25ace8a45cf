import Foundation

/// Why a model could not be built or run: each case names the file, field or input at fault.
public enum ModelError: Error, CustomStringConvertible, Equatable {
    /// A configuration file is not valid JSON or a value has the wrong type.
    case invalidConfiguration(file: String, field: String, reason: String)
    /// A configuration file lacks a key the architecture needs.
    case missingConfigurationKey(file: String, key: String)
    /// A configuration value is outside what the architecture supports.
    case unsupportedConfigurationValue(file: String, key: String, value: String, supported: [String])
    /// config.json names a `model_type` Apus does not implement.
    case unsupportedModelType(file: String, modelType: String, supported: [String])
    /// An input token id is not a row of the embedding matrix.
    case tokenIdOutOfRange(id: Int, vocabularySize: Int)
    /// An input sequence is longer than the model's position embeddings allow.
    case sequenceTooLong(length: Int, maximum: Int)
    /// The inputs of a batch disagree with each other (e.g. ids and type ids of different lengths).
    case inconsistentBatch(reason: String)
    /// config.json's `architectures` names no head of the requested task that Apus implements.
    case missingHead(file: String, task: String, architectures: [String], supported: [String])

    public var description: String {
        switch self {
        case .invalidConfiguration(let file, let field, let reason):
            return "\(file): invalid value for '\(field)': \(reason)"
        case .missingConfigurationKey(let file, let key):
            return "\(file): missing required key '\(key)'"
        case .unsupportedConfigurationValue(let file, let key, let value, let supported):
            return "\(file): '\(key)' = \(value) is not supported; supported: \(supported.joined(separator: ", "))"
        case .unsupportedModelType(let file, let modelType, let supported):
            return "\(file): model_type '\(modelType)' is not supported; supported model types: \(supported.joined(separator: ", "))"
        case .tokenIdOutOfRange(let id, let vocabularySize):
            return "token id \(id) is outside the vocabulary (0..<\(vocabularySize))"
        case .sequenceTooLong(let length, let maximum):
            return "a sequence of \(length) tokens is longer than the model's maximum of \(maximum) positions; truncate it (e.g. --max-length \(maximum))"
        case .inconsistentBatch(let reason):
            return "inconsistent batch: \(reason)"
        case .missingHead(let file, let task, let architectures, let supported):
            let found = architectures.isEmpty ? "no 'architectures' entry" : "architectures \(architectures.joined(separator: ", "))"
            return "\(file): no \(task) head: \(found); supported: \(supported.joined(separator: ", ")) "
                + "(a base encoder checkpoint has no trained head; use a fine-tuned classification checkpoint)"
        }
    }
}
