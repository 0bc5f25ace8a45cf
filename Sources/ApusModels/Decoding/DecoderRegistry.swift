import ApusTensor
import Foundation

/// Where a decoder's configuration and weights come from: a Hub-layout directory or a GGUF file.
public struct DecoderCheckpoint: Sendable {
    /// config.json's bytes, or the equivalent document a GGUF file's metadata gives.
    public let configuration: Data
    /// Names the configuration in errors (the config.json path, or the GGUF file's).
    public let configurationSource: String
    /// Opens the weights, strictly checked by name and shape as the family asks for them.
    public let openWeights: @Sendable () throws -> WeightStore

    /// A checkpoint from its parts.
    public init(configuration: Data, configurationSource: String, openWeights: @escaping @Sendable () throws -> WeightStore) {
        self.configuration = configuration
        self.configurationSource = configurationSource
        self.openWeights = openWeights
    }
}

/// Picks the decoder family from `config.json`'s `model_type` and loads it.
public enum DecoderRegistry {
    /// One architecture: the `model_type` values it serves and how to load it from a checkpoint.
    struct Family: Sendable {
        let modelTypes: [String]
        let load: @Sendable (_ checkpoint: DecoderCheckpoint, _ precision: Precision) throws -> any CausalLanguageModel
    }

    static let families: [Family] = [gpt2, llama, gemma3]

    /// Every `model_type` Apus can load as a causal language model.
    public static var supportedModelTypes: [String] { families.flatMap(\.modelTypes).sorted() }

    /// Loads the causal language model in a Hub-layout `directory` (config.json + safetensors weights), its linear
    /// layers computing in `precision`.
    public static func load(directory: URL, precision: Precision = .fp32) throws -> any CausalLanguageModel {
        let configurationURL = try ModelRegistry.configurationFile(in: directory)
        let data: Data
        do {
            data = try Data(contentsOf: configurationURL)
        } catch {
            throw ModelError.invalidConfiguration(file: configurationURL.path, field: "(file)", reason: "cannot be read: \(error.localizedDescription)")
        }
        return try load(DecoderCheckpoint(configuration: data, configurationSource: configurationURL.path) {
            try WeightStore(directory: directory)
        }, precision: precision)
    }

    /// Loads the causal language model in a GGUF file: the configuration from its metadata, the weights
    /// dequantised to fp32 under their Hub names (see `GGUFCheckpoint`).
    public static func load(gguf url: URL, precision: Precision = .fp32) throws -> any CausalLanguageModel {
        let checkpoint = try GGUFCheckpoint(url: url)
        return try load(DecoderCheckpoint(configuration: checkpoint.configuration.json, configurationSource: url.path) {
            try checkpoint.weightStore()
        }, precision: precision)
    }

    /// Loads the family `checkpoint`'s configuration names.
    public static func load(_ checkpoint: DecoderCheckpoint, precision: Precision = .fp32) throws -> any CausalLanguageModel {
        let header = try ConfigurationFile.decode(ModelTypeField.self, from: checkpoint.configuration, source: checkpoint.configurationSource)
        guard let family = families.first(where: { $0.modelTypes.contains(header.modelType) }) else {
            throw ModelError.unsupportedModelType(file: checkpoint.configurationSource, modelType: header.modelType,
                                                  supported: supportedModelTypes)
        }
        return try family.load(checkpoint, precision)
    }

    private struct ModelTypeField: Decodable {
        let modelType: String
        enum CodingKeys: String, CodingKey { case modelType = "model_type" }
    }
}
