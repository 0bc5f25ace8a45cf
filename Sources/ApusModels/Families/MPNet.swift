// MPNet encoder (MPNetModel without the pooler), a port of
// https://github.com/huggingface/transformers/blob/main/src/transformers/models/mpnet/modeling_mpnet.py
// — the architecture of all-mpnet-base-v2. It is BERT (Bert.swift) with three changes:
//   - positions as RoBERTa numbers them (`create_position_ids_from_input_ids`, padding row `pad_token_id`);
//   - no token-type embeddings;
//   - every layer's attention scores get a bias by head and relative distance, looked up in 32 log-spaced buckets
//     (`relative_attention_bias`, one table shared by all layers, as T5 does).
// Weight names differ: `encoder.layer.N.attention.attn.{q,k,v,o}` and `attention.LayerNorm`; the feed-forward
// block keeps BERT's names.
import ApusTensor
import Foundation

// MARK: - Configuration

/// The fields of an MPNet `config.json`: BERT's, plus the relative-position buckets.
public struct MPNetConfiguration: Sendable, Equatable {
    /// The BERT-compatible fields (`type_vocab_size` unused).
    public var base: BertConfiguration
    /// Buckets of the relative-position bias (`relative_attention_num_buckets`).
    public var relativeBuckets: Int

    /// The padding row of MPNet's position ids: `MPNetEmbeddings` hard-codes `self.padding_idx = 1` whatever
    /// `pad_token_id` says, so token id 1 always takes position row 1 and real tokens count from 2.
    public static let positionPaddingId = 1

    /// Reads and checks `config.json`.
    public static func load(from url: URL) throws -> MPNetConfiguration {
        struct Extra: Decodable {
            let relativeBuckets: Int?
            enum CodingKeys: String, CodingKey { case relativeBuckets = "relative_attention_num_buckets" }
        }
        let base = try ConfigurationFile.decode(BertConfiguration.self, from: url)
        let configuration = MPNetConfiguration(base: base,
                                               relativeBuckets: try ConfigurationFile.decode(Extra.self, from: url).relativeBuckets ?? 32)
        try configuration.base.validateAsRoberta(source: url.path)
        if configuration.relativeBuckets < 2 {
            throw ModelError.invalidConfiguration(file: url.path, field: "relative_attention_num_buckets",
                                                  reason: "must be at least 2, got \(configuration.relativeBuckets)")
        }
        return configuration
    }
}

// MARK: - Relative position bias

/// `MPNetEncoder.relative_attention_bias` and its bucketing (`relative_position_bucket`, max distance 128).
struct RelativeAttentionBuckets: Sendable {
    /// `[buckets, heads]`.
    let weight: Tensor
    var buckets: Int { weight.shape[0] }
    var heads: Int { weight.shape[1] }
    let maxDistance = 128

    /// The bucket of distance key − query, computed in fp32 as transformers does (the log decides bucket edges).
    func bucket(_ relativePosition: Int) -> Int {
        let half = buckets / 2
        var bucket = relativePosition > 0 ? half : 0 // n = −relative; n < 0 (key after query) takes the upper half
        let distance = abs(relativePosition)
        let maxExact = half / 2
        if distance < maxExact { return bucket + distance }
        let logRatio = Float(log(Double(Float(distance) / Float(maxExact))))  // torch.log on float32
        let scaled = logRatio / Float(log(Double(maxDistance) / Double(maxExact))) * Float(half - maxExact)
        bucket += min(maxExact + Int(scaled), half - 1)
        return bucket
    }

    /// Writes `heads × (2·span − 1)` biases: head h, distance d at `table[h·(2·span − 1) + d + span − 1]`.
    func fill(_ table: UnsafeMutablePointer<Float>, span: Int) {
        let width = 2 * span - 1
        for offset in 0..<width {
            let row = weight.pointer + bucket(offset - (span - 1)) * heads
            for head in 0..<heads { table[head * width + offset] = row[head] }
        }
    }
}

// MARK: - Model

/// An MPNet encoder: token ids in, last hidden states `[totalTokens, hiddenSize]` out.
public final class MPNetModel: TextEncoder {
    /// The configuration the weights were loaded with.
    public let configuration: MPNetConfiguration
    let stack: BertStack

    public var hiddenSize: Int { configuration.base.hiddenSize }
    /// `max_position_embeddings - pad_token_id - 1`, as for RoBERTa.
    public var maxPositions: Int { stack.embeddings.longestSequence }

    /// Builds the encoder from `weights`, whose names may carry the `mpnet.` prefix of task checkpoints.
    public init(configuration: MPNetConfiguration, weights: WeightStore, precision: Precision = .fp32) throws {
        let base = configuration.base
        guard let activation = Activation(huggingFaceName: base.hiddenActivation) else {
            throw ModelError.unsupportedConfigurationValue(file: "config.json", key: "hidden_act",
                                                           value: base.hiddenActivation, supported: Activation.huggingFaceNames)
        }
        let root = weights.contains("mpnet.embeddings.word_embeddings.weight") ? weights.scope("mpnet") : weights.root
        let hidden = base.hiddenSize, epsilon = base.layerNormEpsilon
        let embeddingScope = root.scope("embeddings")
        let embeddings = BertEmbeddings(
            wordEmbeddings: try Embedding(embeddingScope, "word_embeddings", count: base.vocabularySize, width: hidden),
            positionEmbeddings: try Embedding(embeddingScope, "position_embeddings", count: base.maxPositions, width: hidden),
            tokenTypeEmbeddings: nil,
            layerNorm: try LayerNorm(embeddingScope, "LayerNorm", width: hidden, epsilon: epsilon),
            positionIds: .afterPadding(paddingId: MPNetConfiguration.positionPaddingId))
        let layers = try (0..<base.layerCount).map { index -> BertLayer in
            let layer = root.scope("encoder.layer.\(index)")
            let attention = layer.scope("attention.attn")
            let projections = try ["q", "k", "v"].map {
                try Linear(attention, $0, inFeatures: hidden, outFeatures: hidden)
            }
            return BertLayer(
                attention: BertAttention(
                    queryKeyValue: Linear(concatenating: projections, precision: precision),
                    outputDense: try Linear(attention, "o", inFeatures: hidden, outFeatures: hidden, precision: precision),
                    outputLayerNorm: try LayerNorm(layer.scope("attention"), "LayerNorm", width: hidden, epsilon: epsilon),
                    heads: base.attentionHeads),
                intermediate: try Linear(layer.scope("intermediate"), "dense", inFeatures: hidden, outFeatures: base.intermediateSize,
                                         precision: precision),
                activation: activation,
                output: try Linear(layer.scope("output"), "dense", inFeatures: base.intermediateSize, outFeatures: hidden,
                                   precision: precision),
                outputLayerNorm: try LayerNorm(layer.scope("output"), "LayerNorm", width: hidden, epsilon: epsilon))
        }
        let bias = try root.scope("encoder.relative_attention_bias").tensor("weight",
                                                                          shape: [configuration.relativeBuckets, base.attentionHeads])
        self.configuration = configuration
        stack = BertStack(embeddings: embeddings, layers: layers, relativeAttentionBias: RelativeAttentionBuckets(weight: bias))
        let rootPrefix = root.prefix.isEmpty ? "" : root.prefix + "."
        for unused in ["embeddings.position_ids", "pooler."] { weights.markUnused(prefix: rootPrefix + unused) }
        if !root.prefix.isEmpty {
            for head in ["classifier.", "lm_head.", "qa_outputs."] { weights.markUnused(prefix: head) }
        }
    }

    /// Runs the encoder on a packed batch, writing `[totalTokens, hiddenSize]` to `output`.
    public func encode(_ batch: TokenBatch, into output: UnsafeMutablePointer<Float>, pool: ThreadPool,
                       arena: ActivationArena) throws {
        try stack.encode(batch, into: output, pool: pool, arena: arena)
    }
}

extension ModelRegistry {
    /// `model_type` "mpnet".
    static let mpnet = ModelRegistry.Family(modelTypes: ["mpnet"]) { directory, configurationURL, precision in
        let configuration = try MPNetConfiguration.load(from: configurationURL)
        let weights = try WeightStore(directory: directory)
        let model = try MPNetModel(configuration: configuration, weights: weights, precision: precision)
        try weights.finish()
        return model
    }
}
