// ELECTRA encoder (ElectraModel: the discriminator's body), a port of
// https://github.com/huggingface/transformers/blob/main/src/transformers/models/electra/modeling_electra.py
// It is BERT (Bert.swift) with embeddings of their own width (`embedding_size`, 128 in electra-small) and, when
// that differs from `hidden_size`, a linear `embeddings_project` up to the hidden width before the layers.
// Weight names are BERT's under `electra.` (task checkpoints) or bare.
import ApusTensor
import Foundation

// MARK: - Configuration

/// ELECTRA's `config.json`: BERT's keys plus `embedding_size`.
public struct ElectraConfiguration: Sendable, Equatable {
    /// The BERT-compatible fields.
    public var base: BertConfiguration
    /// Width of the embedding tables (`embedding_size`; `hidden_size` when absent).
    public var embeddingSize: Int

    /// Reads and checks `config.json`.
    public static func load(from url: URL) throws -> ElectraConfiguration {
        struct Extra: Decodable {
            let embeddingSize: Int?
            enum CodingKeys: String, CodingKey { case embeddingSize = "embedding_size" }
        }
        let base = try BertConfiguration.load(from: url)
        let configuration = ElectraConfiguration(base: base,
                                                 embeddingSize: try ConfigurationFile.decode(Extra.self, from: url).embeddingSize ?? base.hiddenSize)
        if configuration.embeddingSize < 1 || configuration.embeddingSize > base.hiddenSize {
            throw ModelError.invalidConfiguration(file: url.path, field: "embedding_size",
                                                  reason: "must be in 1...hidden_size (\(base.hiddenSize)), got \(configuration.embeddingSize)")
        }
        return configuration
    }
}

// MARK: - Model

/// An ELECTRA encoder: token ids in, last hidden states `[totalTokens, hiddenSize]` out.
public final class ElectraModel: TextEncoder {
    /// The configuration the weights were loaded with.
    public let configuration: ElectraConfiguration
    let stack: BertStack

    public var hiddenSize: Int { configuration.base.hiddenSize }
    public var maxPositions: Int { stack.embeddings.longestSequence }

    /// Builds the encoder from `weights`, whose names may carry the `electra.` prefix of task checkpoints; task
    /// heads (`discriminator_predictions`, `generator_*`, `classifier`) are declared unused.
    public init(configuration: ElectraConfiguration, weights: WeightStore, precision: Precision = .fp32) throws {
        let base = configuration.base
        guard let activation = Activation(huggingFaceName: base.hiddenActivation) else {
            throw ModelError.unsupportedConfigurationValue(file: "config.json", key: "hidden_act",
                                                           value: base.hiddenActivation, supported: Activation.huggingFaceNames)
        }
        let root = weights.contains("electra.embeddings.word_embeddings.weight") ? weights.scope("electra") : weights.root
        // The embeddings are BERT's at their own width: a BERT configuration with that width loads them.
        var embeddingConfiguration = base
        embeddingConfiguration.hiddenSize = configuration.embeddingSize
        self.configuration = configuration
        stack = BertStack(
            embeddings: try BertEmbeddings(root.scope("embeddings"), embeddingConfiguration),
            layers: try (0..<base.layerCount).map { index in
                try BertLayer(root.scope("encoder.layer.\(index)"), base, activation: activation, precision: precision)
            },
            embeddingProjection: configuration.embeddingSize == base.hiddenSize ? nil
                : try Linear(root, "embeddings_project", inFeatures: configuration.embeddingSize, outFeatures: base.hiddenSize,
                             precision: precision))
        let rootPrefix = root.prefix.isEmpty ? "" : root.prefix + "."
        for unused in ["embeddings.position_ids", "embeddings.token_type_ids"] { weights.markUnused(prefix: rootPrefix + unused) }
        if !root.prefix.isEmpty {
            for head in ["discriminator_predictions.", "generator_predictions.", "generator_lm_head.", "classifier.", "qa_outputs."] {
                weights.markUnused(prefix: head)
            }
        }
    }

    /// Runs the encoder on a packed batch, writing `[totalTokens, hiddenSize]` to `output`.
    public func encode(_ batch: TokenBatch, into output: UnsafeMutablePointer<Float>, pool: ThreadPool,
                       arena: ActivationArena) throws {
        try stack.encode(batch, into: output, pool: pool, arena: arena)
    }
}

extension ModelRegistry {
    /// `model_type` "electra".
    static let electra = ModelRegistry.Family(modelTypes: ["electra"]) { directory, configurationURL, precision in
        let configuration = try ElectraConfiguration.load(from: configurationURL)
        let weights = try WeightStore(directory: directory)
        let model = try ElectraModel(configuration: configuration, weights: weights, precision: precision)
        try weights.finish()
        return model
    }
}
