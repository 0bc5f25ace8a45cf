import ApusModels
import Foundation

/// The module stack a sentence-transformers model directory declares in `modules.json`.
///
/// Mirrors `SentenceTransformer(path)`: with `modules.json`, its Transformer → Pooling → (Dense …) → Normalize
/// chain and the prompts of `config_sentence_transformers.json`; without it, a plain transformers checkpoint with
/// mean pooling and no normalisation.
public struct SentenceTransformerModules: Sendable {
    /// Directory holding the transformer's config.json, weights and tokenizer.
    public var transformerDirectory: URL
    /// `max_seq_length` from `sentence_bert_config.json`, if the file gives one.
    public var maxSequenceLength: Int?
    /// `do_lower_case` from `sentence_bert_config.json`: lowercase texts before tokenising.
    public var lowercasesInput: Bool
    /// How token vectors are combined.
    public var pooling: Pooling?
    /// What follows pooling, in modules.json order.
    public var afterPooling: [SentenceModule]
    /// Whether a `Normalize` module follows pooling.
    public var normalizes: Bool { afterPooling.contains { if case .normalize = $0 { return true } else { return false } } }
    /// Named prompts (`"query": "query: "`) from `config_sentence_transformers.json`.
    public var prompts: [String: String]
    /// The prompt used when the caller names none (`default_prompt_name`).
    public var defaultPromptName: String?

    /// One module applied to pooled vectors.
    public enum SentenceModule: Sendable {
        /// `Dense`: a linear layer and an activation.
        case dense(DenseModule)
        /// `Normalize`: unit L2 norm.
        case normalize
    }

    /// Module classes this pipeline implements. sentence-transformers moved them between packages
    /// (`sentence_transformers.models.Pooling` up to 5.x, `sentence_transformers.sentence_transformer.modules.
    /// pooling.Pooling` or `sentence_transformers.base.modules.dense.Dense` in 6.x), so the class name decides.
    public static let supportedTypes = ["Transformer", "Pooling", "Dense", "Normalize"]

    private struct ModuleEntry: Decodable {
        let path: String
        let type: String
    }

    private struct ModelSettings: Decodable {
        let prompts: [String: String]?
        let defaultPromptName: String?
        enum CodingKeys: String, CodingKey {
            case prompts
            case defaultPromptName = "default_prompt_name"
        }
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
        afterPooling = []
        prompts = [:]
        defaultPromptName = nil
        let settingsURL = directory.appendingPathComponent("config_sentence_transformers.json")
        if FileManager.default.fileExists(atPath: settingsURL.path) {
            let settings = try ConfigurationFile.decode(ModelSettings.self, from: settingsURL)
            prompts = settings.prompts ?? [:]
            defaultPromptName = settings.defaultPromptName
            if let name = defaultPromptName, prompts[name] == nil {
                throw PipelineError.inconsistentModules(file: settingsURL.path,
                                                        reason: "default_prompt_name '\(name)' is not among the prompts \(prompts.keys.sorted())")
            }
        }
        guard FileManager.default.fileExists(atPath: modulesURL.path) else { return }

        let entries = try ConfigurationFile.decode([ModuleEntry].self, from: modulesURL)
        for entry in entries {
            let moduleDirectory = try Self.resolve(entry.path, in: directory, file: modulesURL.path)
            let className = entry.type.hasPrefix("sentence_transformers.") ? String(entry.type.split(separator: ".").last ?? "") : ""
            switch className {
            case "Transformer":
                transformerDirectory = moduleDirectory
                let settingsURL = moduleDirectory.appendingPathComponent("sentence_bert_config.json")
                if FileManager.default.fileExists(atPath: settingsURL.path) {
                    let settings = try ConfigurationFile.decode(TransformerSettings.self, from: settingsURL)
                    maxSequenceLength = settings.maxSequenceLength
                    lowercasesInput = settings.doLowerCase ?? false
                }
            case "Pooling":
                let configURL = moduleDirectory.appendingPathComponent("config.json")
                guard FileManager.default.fileExists(atPath: configURL.path) else {
                    throw PipelineError.missingFile(path: configURL.path, hint: "modules.json lists a Pooling module at '\(entry.path)'")
                }
                let pooling = try ConfigurationFile.decode(Pooling.self, from: configURL)
                if pooling.modes.isEmpty {
                    throw PipelineError.inconsistentModules(file: configURL.path, reason: "no pooling mode is enabled")
                }
                self.pooling = pooling
            case "Dense":
                afterPooling.append(.dense(try DenseModule(directory: moduleDirectory)))
            case "Normalize":
                afterPooling.append(.normalize)
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
