import ApusTensor
import Foundation

/// An encoder-only transformer: packed token ids in, last hidden states out.
public protocol TextEncoder: Sendable {
    /// Width of each output row.
    var hiddenSize: Int { get }
    /// Longest sequence the model accepts (its position embeddings).
    var maxPositions: Int { get }
    /// Runs the encoder on a packed batch, writing `[batch.totalTokens, hiddenSize]` floats to `output`.
    /// Activations come from `arena` (one pass at a time per arena), so repeated calls allocate nothing.
    func encode(_ batch: TokenBatch, into output: UnsafeMutablePointer<Float>, pool: ThreadPool, arena: ActivationArena) throws
}

extension TextEncoder {
    /// Runs the encoder on a packed batch; the result is `[batch.totalTokens, hiddenSize]`.
    public func encode(_ batch: TokenBatch, pool: ThreadPool, arena: ActivationArena = ActivationArena()) throws -> Tensor {
        let output = Tensor(zeros: [batch.totalTokens, hiddenSize])
        try encode(batch, into: output.storage.pointer, pool: pool, arena: arena)
        return output
    }
}

/// Picks the model family from `config.json`'s `model_type` and loads it.
public enum ModelRegistry {
    /// One architecture: the `model_type` values it serves and how to load it from a directory.
    struct Family: Sendable {
        let modelTypes: [String]
        let load: @Sendable (_ directory: URL, _ configuration: URL, _ precision: Precision) throws -> any TextEncoder
    }

    static let families: [Family] = [bert, roberta, distilBert, modernBert, mpnet, electra, albert, debertaV2, nomicBert]

    /// Every `model_type` Apus can load as an encoder.
    public static var supportedModelTypes: [String] { families.flatMap(\.modelTypes).sorted() }

    /// Loads the encoder in a Hub-layout `directory` (config.json + safetensors weights), its linear layers
    /// computing in `precision`.
    public static func loadEncoder(directory: URL, precision: Precision = .fp32) throws -> any TextEncoder {
        let configurationURL = try configurationFile(in: directory)
        let header = try ConfigurationFile.decode(ModelTypeField.self, from: configurationURL)
        guard let family = families.first(where: { $0.modelTypes.contains(header.modelType) }) else {
            throw ModelError.unsupportedModelType(file: configurationURL.path, modelType: header.modelType,
                                                  supported: supportedModelTypes)
        }
        return try family.load(directory, configurationURL, precision)
    }

    /// `directory`'s config.json, or an error saying a Hub-layout directory needs one.
    static func configurationFile(in directory: URL) throws -> URL {
        let url = directory.appendingPathComponent("config.json")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw ModelError.invalidConfiguration(file: url.path, field: "(file)",
                                                  reason: "not found; a model directory in Hub layout has a config.json")
        }
        return url
    }

    private struct ModelTypeField: Decodable {
        let modelType: String
        enum CodingKeys: String, CodingKey { case modelType = "model_type" }
    }
}
