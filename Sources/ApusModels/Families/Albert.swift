// ALBERT encoder (AlbertModel without the pooler), a port of
// https://github.com/huggingface/transformers/blob/main/src/transformers/models/albert/modeling_albert.py
// BERT's layer (Bert.swift) with two changes that shrink the checkpoint:
//   - factorised embeddings: tables of width `embedding_size`, then `encoder.embedding_hidden_mapping_in` up to
//     the hidden width;
//   - shared layers: `num_hidden_groups` groups of `inner_group_num` layers each; pass i of `num_hidden_layers`
//     runs every layer of group ⌊i / (num_hidden_layers / num_hidden_groups)⌋.
// Names: `encoder.albert_layer_groups.G.albert_layers.J.{attention.{query,key,value,dense,LayerNorm}, ffn,
// ffn_output, full_layer_layer_norm}`.
import ApusTensor
import Foundation

// MARK: - Configuration

/// ALBERT's `config.json`: BERT's keys plus the factorisation and sharing sizes.
public struct AlbertConfiguration: Sendable, Equatable {
    /// The BERT-compatible fields.
    public var base: BertConfiguration
    /// Width of the embedding tables (`embedding_size`).
    public var embeddingSize: Int
    /// Distinct groups of layers (`num_hidden_groups`) and layers per group (`inner_group_num`).
    public var groups: Int, layersPerGroup: Int

    /// Reads and checks `config.json`.
    public static func load(from url: URL) throws -> AlbertConfiguration {
        struct Extra: Decodable {
            let embeddingSize: Int?, groups: Int?, layersPerGroup: Int?
            enum CodingKeys: String, CodingKey {
                case embeddingSize = "embedding_size", groups = "num_hidden_groups", layersPerGroup = "inner_group_num"
            }
        }
        let base = try BertConfiguration.load(from: url)
        let extra = try ConfigurationFile.decode(Extra.self, from: url)
        let configuration = AlbertConfiguration(base: base, embeddingSize: extra.embeddingSize ?? 128, groups: extra.groups ?? 1,
                                                layersPerGroup: extra.layersPerGroup ?? 1)
        for (key, value) in [("embedding_size", configuration.embeddingSize), ("num_hidden_groups", configuration.groups),
                             ("inner_group_num", configuration.layersPerGroup)] where value < 1 {
            throw ModelError.invalidConfiguration(file: url.path, field: key, reason: "must be positive, got \(value)")
        }
        if configuration.embeddingSize > base.hiddenSize {
            throw ModelError.invalidConfiguration(file: url.path, field: "embedding_size",
                                                  reason: "\(configuration.embeddingSize) exceeds hidden_size \(base.hiddenSize)")
        }
        if configuration.groups > base.layerCount {
            throw ModelError.invalidConfiguration(file: url.path, field: "num_hidden_groups",
                                                  reason: "\(configuration.groups) groups for \(base.layerCount) layers")
        }
        return configuration
    }
}

// MARK: - Model

/// An ALBERT encoder: token ids in, last hidden states `[totalTokens, hiddenSize]` out.
public final class AlbertModel: TextEncoder {
    /// The configuration the weights were loaded with.
    public let configuration: AlbertConfiguration
    let stack: BertStack

    public var hiddenSize: Int { configuration.base.hiddenSize }
    public var maxPositions: Int { stack.embeddings.longestSequence }

    /// Builds the encoder from `weights`, whose names may carry the `albert.` prefix of task checkpoints.
    public init(configuration: AlbertConfiguration, weights: WeightStore, precision: Precision = .fp32) throws {
        let base = configuration.base
        guard let activation = Activation(huggingFaceName: base.hiddenActivation) else {
            throw ModelError.unsupportedConfigurationValue(file: "config.json", key: "hidden_act",
                                                           value: base.hiddenActivation, supported: Activation.huggingFaceNames)
        }
        let root = weights.contains("albert.embeddings.word_embeddings.weight") ? weights.scope("albert") : weights.root
        let hidden = base.hiddenSize, epsilon = base.layerNormEpsilon
        let groups = try (0..<configuration.groups).map { group in
            try (0..<configuration.layersPerGroup).map { index -> BertLayer in
                let layer = root.scope("encoder.albert_layer_groups.\(group).albert_layers.\(index)")
                let attention = layer.scope("attention")
                let projections = try ["query", "key", "value"].map { try Linear(attention, $0, inFeatures: hidden, outFeatures: hidden) }
                return BertLayer(
                    attention: BertAttention(
                        queryKeyValue: Linear(concatenating: projections, precision: precision),
                        outputDense: try Linear(attention, "dense", inFeatures: hidden, outFeatures: hidden, precision: precision),
                        outputLayerNorm: try LayerNorm(attention, "LayerNorm", width: hidden, epsilon: epsilon),
                        heads: base.attentionHeads),
                    intermediate: try Linear(layer, "ffn", inFeatures: hidden, outFeatures: base.intermediateSize, precision: precision),
                    activation: activation,
                    output: try Linear(layer, "ffn_output", inFeatures: base.intermediateSize, outFeatures: hidden, precision: precision),
                    outputLayerNorm: try LayerNorm(layer, "full_layer_layer_norm", width: hidden, epsilon: epsilon))
            }
        }
        // transformers: group_idx = int(i / (num_hidden_layers / num_hidden_groups)), in floating point.
        let passes = (0..<base.layerCount).flatMap { pass -> [BertLayer] in
            let group = Int(Double(pass) / (Double(base.layerCount) / Double(configuration.groups)))
            return groups[min(group, groups.count - 1)]
        }
        var embeddingConfiguration = base
        embeddingConfiguration.hiddenSize = configuration.embeddingSize
        self.configuration = configuration
        stack = BertStack(
            embeddings: try BertEmbeddings(root.scope("embeddings"), embeddingConfiguration),
            layers: passes,
            embeddingProjection: try Linear(root.scope("encoder"), "embedding_hidden_mapping_in",
                                            inFeatures: configuration.embeddingSize, outFeatures: hidden, precision: precision))
        let rootPrefix = root.prefix.isEmpty ? "" : root.prefix + "."
        for unused in ["embeddings.position_ids", "embeddings.token_type_ids", "pooler."] {
            weights.markUnused(prefix: rootPrefix + unused)
        }
        if !root.prefix.isEmpty {
            for head in ["predictions.", "sop_classifier.", "classifier.", "qa_outputs."] { weights.markUnused(prefix: head) }
        }
    }

    /// Runs the encoder on a packed batch, writing `[totalTokens, hiddenSize]` to `output`.
    public func encode(_ batch: TokenBatch, into output: UnsafeMutablePointer<Float>, pool: ThreadPool,
                       arena: ActivationArena) throws {
        try stack.encode(batch, into: output, pool: pool, arena: arena)
    }
}

extension ModelRegistry {
    /// `model_type` "albert".
    static let albert = ModelRegistry.Family(modelTypes: ["albert"]) { directory, configurationURL, precision in
        let configuration = try AlbertConfiguration.load(from: configurationURL)
        let weights = try WeightStore(directory: directory)
        let model = try AlbertModel(configuration: configuration, weights: weights, precision: precision)
        try weights.finish()
        return model
    }
}
