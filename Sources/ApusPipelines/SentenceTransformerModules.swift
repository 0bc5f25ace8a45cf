import ApusModels
import Foundation

/// The module stack a sentence-transformers model directory declares in `modules.json`.
///
/// Mirrors `SentenceTransformer(path)`: with `modules.json`, its Transformer → Pooling → Normalize chain;
/// without it, a plain transformers checkpoint with mean pooling and no normalisation.
public struct SentenceTransformerModules: Sendable, Equatable {
    /// Directory holding the transformer's config.json, weights and tokenizer.
    public var transformerDirectory: URL
    /// `max_seq_length` from `sentence_bert_config.json`, if the file gives one.
    public var maxSequenceLength: Int?
    /// `do_lower_case` from `sentence_bert_config.json`: lowercase texts before tokenising.
    public var lowercasesInput: Bool
    /// How token vectors are combined.
    public var pooling: Pooling?
    /// Whether a `Normalize` module follows pooling.
    public var normalizes: Bool

    private static let transformerType = "sentence_transformers.models.Transformer"
    private static let poolingType = "sentence_transformers.models.Pooling"
    private static let normalizeType = "sentence_transformers.models.Normalize"
    /// Module types this pipeline implements.
    public static let supportedTypes = [transformerType, poolingType, normalizeType]

    private struct ModuleEntry: Decodable {
        let path: String
        let type: String
    }

    private struct TransformerSettings: Decodable {
        let maxSequenceLength: Int?
        let doLowerCase: Bool?
        enum CodingKeys: String, CodingKey {
            case maxSequenceLength = "max_seq_length"
            case doLowerCase = "do_lower_case"
        }
    }

    /// Reads the module configuration of `directory`.
    public init(directory: URL) throws {
        let modulesURL = directory.appendingPathComponent("modules.json")
        transformerDirectory = directory
        maxSequenceLength = nil
        lowercasesInput = false
        pooling = nil
        normalizes = false
        guard FileManager.default.fileExists(atPath: modulesURL.path) else { return }

        let entries = try ConfigurationFile.decode([ModuleEntry].self, from: modulesURL)
        for entry in entries {
            let moduleDirectory = try Self.resolve(entry.path, in: directory, file: modulesURL.path)
            switch entry.type {
            case Self.transformerType:
                transformerDirectory = moduleDirectory
                let settingsURL = moduleDirectory.appendingPathComponent("sentence_bert_config.json")
                if FileManager.default.fileExists(atPath: settingsURL.path) {
                    let settings = try ConfigurationFile.decode(TransformerSettings.self, from: settingsURL)
                    maxSequenceLength = settings.maxSequenceLength
                    lowercasesInput = settings.doLowerCase ?? false
                }
            case Self.poolingType:
                let configURL = moduleDirectory.appendingPathComponent("config.json")
                guard FileManager.default.fileExists(atPath: configURL.path) else {
                    throw PipelineError.missingFile(path: configURL.path, hint: "modules.json lists a Pooling module at '\(entry.path)'")
                }
                let pooling = try ConfigurationFile.decode(Pooling.self, from: configURL)
                if pooling.modes.isEmpty {
                    throw PipelineError.inconsistentModules(file: configURL.path, reason: "no pooling mode is enabled")
                }
                self.pooling = pooling
            case Self.normalizeType:
                normalizes = true
            default:
                throw PipelineError.unsupportedModule(file: modulesURL.path, type: entry.type, supported: Self.supportedTypes)
            }
        }
    }

    /// A module path from modules.json, kept inside the model directory.
    private static func resolve(_ path: String, in directory: URL, file: String) throws -> URL {
        if path.isEmpty { return directory }
        let components = path.split(separator: "/")
        if path.hasPrefix("/") || components.contains("..") {
            throw PipelineError.inconsistentModules(file: file, reason: "module path '\(path)' leaves the model directory")
        }
        return directory.appendingPathComponent(path)
    }
}
