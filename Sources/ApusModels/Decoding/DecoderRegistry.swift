import ApusTensor
import Foundation

/// Picks the decoder family from `config.json`'s `model_type` and loads it.
public enum DecoderRegistry {
    /// One architecture: the `model_type` values it serves and how to load it from a directory.
    struct Family: Sendable {
        let modelTypes: [String]
        let load: @Sendable (_ directory: URL, _ configuration: URL, _ precision: Precision) throws -> any CausalLanguageModel
    }

    static let families: [Family] = [gpt2, llama, gemma3]

    /// Every `model_type` Apus can load as a causal language model.
    public static var supportedModelTypes: [String] { families.flatMap(\.modelTypes).sorted() }

    /// Loads the causal language model in a Hub-layout `directory` (config.json + safetensors weights), its linear
    /// layers computing in `precision`.
    public static func load(directory: URL, precision: Precision = .fp32) throws -> any CausalLanguageModel {
        let configurationURL = try ModelRegistry.configurationFile(in: directory)
        let header = try ConfigurationFile.decode(ModelTypeField.self, from: configurationURL)
        guard let family = families.first(where: { $0.modelTypes.contains(header.modelType) }) else {
            throw ModelError.unsupportedModelType(file: configurationURL.path, modelType: header.modelType,
                                                  supported: supportedModelTypes)
        }
        return try family.load(directory, configurationURL, precision)
    }

    private struct ModelTypeField: Decodable {
        let modelType: String
        enum CodingKeys: String, CodingKey { case modelType = "model_type" }
    }
}
