import Foundation

/// Decodes JSON configuration files (config.json, sentence-transformers module configs) into typed
/// values, turning `DecodingError` into a `ModelError` that names the file and the key.
public enum ConfigurationFile {
    /// Decodes `type` from the JSON file at `url`.
    public static func decode<Value: Decodable>(_ type: Value.Type, from url: URL) throws -> Value {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ModelError.invalidConfiguration(file: url.path, field: "(file)", reason: "cannot be read: \(error.localizedDescription)")
        }
        return try decode(type, from: data, source: url.path)
    }

    /// Decodes `type` from JSON `data`; `source` names the file in errors.
    public static func decode<Value: Decodable>(_ type: Value.Type, from data: Data, source: String) throws -> Value {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let error as DecodingError {
            throw translate(error, source: source)
        }
    }

    private static func translate(_ error: DecodingError, source: String) -> ModelError {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context.codingPath)
            return .missingConfigurationKey(file: source, key: parent.isEmpty ? key.stringValue : parent + "." + key.stringValue)
        case .typeMismatch(let type, let context):
            return .invalidConfiguration(file: source, field: path(context.codingPath), reason: "expected \(type)")
        case .valueNotFound(let type, let context):
            return .invalidConfiguration(file: source, field: path(context.codingPath), reason: "expected \(type), found null")
        case .dataCorrupted(let context):
            let field = path(context.codingPath)
            let underlying = (context.underlyingError as NSError?)?.localizedDescription ?? context.debugDescription
            return .invalidConfiguration(file: source, field: field.isEmpty ? "(document)" : field, reason: field.isEmpty ? "not valid JSON: \(underlying)" : context.debugDescription)
        @unknown default:
            return .invalidConfiguration(file: source, field: "(document)", reason: "\(error)")
        }
    }
}
