// DistilBERT encoder (DistilBertModel), a port of
// https://github.com/huggingface/transformers/blob/main/src/transformers/models/distilbert/modeling_distilbert.py
// running on packed batches (see TokenBatch).
//
// DistilBERT computes what BERT does with the token-type embeddings removed:
//   embeddings = LayerNorm(word + position)
//   h = sa_layer_norm(h + out_lin(attention(q_lin, k_lin, v_lin)(h)));  h = output_layer_norm(h + lin2(act(lin1(h))))
// so this file only reads its own config keys and weight names and builds Bert.swift's blocks from them.
// With `sinusoidal_pos_embds` the position table is a fixed sine/cosine matrix, but it is still saved in the
// checkpoint as `embeddings.position_embeddings.weight`, so it is loaded like learned positions.
import ApusTensor
import Foundation

// MARK: - Configuration

/// The fields of a DistilBERT `config.json` that the forward pass uses.
public struct DistilBertConfiguration: Decodable, Sendable, Equatable {
    /// Rows of the word-embedding matrix (`vocab_size`).
    public var vocabularySize: Int
    /// Width of every hidden state (`dim`).
    public var hiddenSize: Int
    /// Number of transformer blocks (`n_layers`).
    public var layerCount: Int
    /// Attention heads per block (`n_heads`).
    public var attentionHeads: Int
    /// Width of the feed-forward block (`hidden_dim`).
    public var intermediateSize: Int
    /// Feed-forward activation name as written in the file (`activation`).
    public var hiddenActivation: String
    /// Rows of the position-embedding matrix: the longest sequence the model accepts (`max_position_embeddings`).
    public var maxPositions: Int

    /// ε of every LayerNorm: fixed in `modeling_distilbert.py`, not a config key.
    public static let layerNormEpsilon: Float = 1e-12

    enum CodingKeys: String, CodingKey {
        case vocabularySize = "vocab_size"
        case hiddenSize = "dim"
        case layerCount = "n_layers"
        case attentionHeads = "n_heads"
        case intermediateSize = "hidden_dim"
        case hiddenActivation = "activation"
        case maxPositions = "max_position_embeddings"
    }

    /// Sizes are required; the rest default as in `transformers.DistilBertConfig`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        vocabularySize = try container.decode(Int.self, forKey: .vocabularySize)
        hiddenSize = try container.decode(Int.self, forKey: .hiddenSize)
        layerCount = try container.decode(Int.self, forKey: .layerCount)
        attentionHeads = try container.decode(Int.self, forKey: .attentionHeads)
        intermediateSize = try container.decode(Int.self, forKey: .intermediateSize)
        hiddenActivation = try container.decodeIfPresent(String.self, forKey: .hiddenActivation) ?? "gelu"
        maxPositions = try container.decodeIfPresent(Int.self, forKey: .maxPositions) ?? 512
    }

    /// Reads and checks `config.json`.
    public static func load(from url: URL) throws -> DistilBertConfiguration {
        let configuration = try ConfigurationFile.decode(DistilBertConfiguration.self, from: url)
        try configuration.validate(source: url.path)
        return configuration
    }

    /// Rejects values the forward pass cannot honour, naming the key.
    public func validate(source: String) throws {
        for (key, value) in [("vocab_size", vocabularySize), ("dim", hiddenSize), ("n_layers", layerCount),
                             ("n_heads", attentionHeads), ("hidden_dim", intermediateSize),
                             ("max_position_embeddings", maxPositions)] where value <= 0 {
            throw ModelError.invalidConfiguration(file: source, field: key, reason: "must be positive, got \(value)")
        }
        if hiddenSize % attentionHeads != 0 {
            throw ModelError.invalidConfiguration(file: source, field: "dim",
                                                  reason: "\(hiddenSize) is not a multiple of n_heads (\(attentionHeads))")
        }
        if Activation(huggingFaceName: hiddenActivation) == nil {
            throw ModelError.unsupportedConfigurationValue(file: source, key: "activation", value: hiddenActivation,
                                                           supported: Activation.huggingFaceNames)
        }
    }
}

// MARK: - Blocks

extension BertEmbeddings {
    /// DistilBERT's `Embeddings`: word + position, then LayerNorm; no token types.
    init(distilBert weights: WeightScope, _ configuration: DistilBertConfiguration) throws {
        let hidden = configuration.hiddenSize
        self.init(
            wordEmbeddings: try Embedding(weights, "word_embeddings", count: configuration.vocabularySize, width: hidden),
            positionEmbeddings: try Embedding(weights, "position_embeddings", count: configuration.maxPositions, width: hidden),
            tokenTypeEmbeddings: nil,
            layerNorm: try LayerNorm(weights, "LayerNorm", width: hidden, epsilon: DistilBertConfiguration.layerNormEpsilon),
            positionIds: .fromZero)
    }
}

extension BertLayer {
    /// DistilBERT's `TransformerBlock`: `DistilBertSelfAttention` (q_lin, k_lin, v_lin, out_lin) + `sa_layer_norm`,
    /// then `FFN` (lin1, activation, lin2) + `output_layer_norm` — BertLayer's computation under other names.
    init(distilBert weights: WeightScope, _ configuration: DistilBertConfiguration, activation: Activation,
         precision: Precision) throws {
        let hidden = configuration.hiddenSize, inner = configuration.intermediateSize
        let epsilon = DistilBertConfiguration.layerNormEpsilon
        let attention = weights.scope("attention")
        self.init(
            attention: BertAttention(
                queryKeyValue: Linear(concatenating: [
                    try Linear(attention, "q_lin", inFeatures: hidden, outFeatures: hidden),
                    try Linear(attention, "k_lin", inFeatures: hidden, outFeatures: hidden),
                    try Linear(attention, "v_lin", inFeatures: hidden, outFeatures: hidden),
                ], precision: precision),
                outputDense: try Linear(attention, "out_lin", inFeatures: hidden, outFeatures: hidden, precision: precision),
                outputLayerNorm: try LayerNorm(weights, "sa_layer_norm", width: hidden, epsilon: epsilon),
                heads: configuration.attentionHeads),
            intermediate: try Linear(weights.scope("ffn"), "lin1", inFeatures: hidden, outFeatures: inner, precision: precision),
            activation: activation,
            output: try Linear(weights.scope("ffn"), "lin2", inFeatures: inner, outFeatures: hidden, precision: precision),
            outputLayerNorm: try LayerNorm(weights, "output_layer_norm", width: hidden, epsilon: epsilon))
    }
}

// MARK: - Model

/// A DistilBERT encoder: token ids in, last hidden states `[totalTokens, hiddenSize]` out. Type ids in the batch
/// are ignored, as `DistilBertModel` takes none.
public final class DistilBertModel: TextEncoder {
    /// The configuration the weights were loaded with.
    public let configuration: DistilBertConfiguration
    let stack: BertStack

    public var hiddenSize: Int { configuration.hiddenSize }
    public var maxPositions: Int { configuration.maxPositions }

    /// Builds the encoder from `weights`, whose names may carry the `distilbert.` prefix of task checkpoints
    /// (`DistilBertForSequenceClassification` …), its linear layers computing in `precision`. Task heads are declared unused.
    public init(configuration: DistilBertConfiguration, weights: WeightStore, precision: Precision = .fp32) throws {
        try configuration.validate(source: "config.json")
        guard let activation = Activation(huggingFaceName: configuration.hiddenActivation) else {
            throw ModelError.unsupportedConfigurationValue(file: "config.json", key: "activation",
                                                           value: configuration.hiddenActivation, supported: Activation.huggingFaceNames)
        }
        let root = weights.contains("distilbert.embeddings.word_embeddings.weight") ? weights.scope("distilbert") : weights.root
        self.configuration = configuration
        stack = BertStack(
            embeddings: try BertEmbeddings(distilBert: root.scope("embeddings"), configuration),
            layers: try (0..<configuration.layerCount).map { index in
                try BertLayer(distilBert: root.scope("transformer.layer.\(index)"), configuration, activation: activation,
                              precision: precision)
            })
        // `position_ids` is an index buffer older transformers versions saved.
        let rootPrefix = root.prefix.isEmpty ? "" : root.prefix + "."
        weights.markUnused(prefix: rootPrefix + "embeddings.position_ids")
        // Task heads beside the `distilbert.` prefix: `pre_classifier.`/`classifier.` (classification),
        // `vocab_transform.`/`vocab_layer_norm.`/`vocab_projector.` (masked LM), `qa_outputs.`.
        if !root.prefix.isEmpty {
            for head in ["pre_classifier.", "classifier.", "vocab_transform.", "vocab_layer_norm.", "vocab_projector.", "qa_outputs."] {
                weights.markUnused(prefix: head)
            }
        }
    }

    /// Runs the encoder on a packed batch, writing `[totalTokens, hiddenSize]` to `output`; activations live
    /// in `arena`, so once the arena has seen a batch this large the pass allocates nothing.
    public func encode(_ batch: TokenBatch, into output: UnsafeMutablePointer<Float>, pool: ThreadPool,
                       arena: ActivationArena) throws {
        try stack.encode(batch, into: output, pool: pool, arena: arena)
    }
}

extension ModelRegistry {
    /// `model_type` "distilbert".
    static let distilBert = ModelRegistry.Family(modelTypes: ["distilbert"]) { directory, configurationURL, precision in
        let configuration = try DistilBertConfiguration.load(from: configurationURL)
        let weights = try WeightStore(directory: directory)
        let model = try DistilBertModel(configuration: configuration, weights: weights, precision: precision)
        try weights.finish()
        return model
    }
}
