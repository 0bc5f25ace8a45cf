// GPT-2 (GPT2LMHeadModel), a port of
// https://github.com/huggingface/transformers/blob/main/src/transformers/models/gpt2/modeling_gpt2.py
// Pre-LayerNorm layers with learned absolute positions and multi-head attention:
//   h = wte(ids) + wpe(positions)
//   h = h + c_proj(attention(c_attn(ln_1(h))))
//   h = h + mlp.c_proj(gelu_new(mlp.c_fc(ln_2(h))))
//   logits = ln_f(h) · wteᵀ                       (lm_head tied to wte)
// Its linear layers are `Conv1D`, whose weights are stored transposed (`[in, out]`); they are turned into
// `Linear`'s `[out, in]` once at load.
import ApusTensor
import Foundation

// MARK: - Configuration

/// The fields of a GPT-2 `config.json` that the forward pass uses.
public struct GPT2Configuration: Decodable, Sendable, Equatable {
    /// Rows of the token-embedding matrix (`vocab_size`).
    public var vocabularySize: Int
    /// Width of the residual stream (`n_embd`).
    public var hiddenSize: Int
    /// Number of layers (`n_layer`).
    public var layerCount: Int
    /// Attention heads (`n_head`).
    public var attentionHeads: Int
    /// Rows of the position-embedding matrix (`n_positions`): the longest sequence.
    public var maxPositions: Int
    /// Width of the feed-forward block (`n_inner`, by default 4 · n_embd).
    public var intermediateSize: Int
    /// Feed-forward activation (`activation_function`).
    public var activation: String
    /// ε of every LayerNorm (`layer_norm_epsilon`).
    public var layerNormEpsilon: Float
    /// Whether scores are divided by √headSize (`scale_attn_weights`) and also by layer index + 1
    /// (`scale_attn_by_inverse_layer_idx`).
    public var scaleAttentionWeights: Bool, scaleByInverseLayerIndex: Bool
    /// Whether lm_head reuses wte (`tie_word_embeddings`).
    public var tieWordEmbeddings: Bool

    enum CodingKeys: String, CodingKey {
        case vocabularySize = "vocab_size"
        case hiddenSize = "n_embd"
        case layerCount = "n_layer"
        case attentionHeads = "n_head"
        case maxPositions = "n_positions"
        case intermediateSize = "n_inner"
        case activation = "activation_function"
        case layerNormEpsilon = "layer_norm_epsilon"
        case scaleAttentionWeights = "scale_attn_weights"
        case scaleByInverseLayerIndex = "scale_attn_by_inverse_layer_idx"
        case tieWordEmbeddings = "tie_word_embeddings"
    }

    /// Defaults as `transformers.GPT2Config`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        vocabularySize = try container.decodeIfPresent(Int.self, forKey: .vocabularySize) ?? 50257
        hiddenSize = try container.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? 768
        layerCount = try container.decodeIfPresent(Int.self, forKey: .layerCount) ?? 12
        attentionHeads = try container.decodeIfPresent(Int.self, forKey: .attentionHeads) ?? 12
        maxPositions = try container.decodeIfPresent(Int.self, forKey: .maxPositions) ?? 1024
        intermediateSize = try container.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? 4 * hiddenSize
        activation = try container.decodeIfPresent(String.self, forKey: .activation) ?? "gelu_new"
        layerNormEpsilon = try container.decodeIfPresent(Float.self, forKey: .layerNormEpsilon) ?? 1e-5
        scaleAttentionWeights = try container.decodeIfPresent(Bool.self, forKey: .scaleAttentionWeights) ?? true
        scaleByInverseLayerIndex = try container.decodeIfPresent(Bool.self, forKey: .scaleByInverseLayerIndex) ?? false
        tieWordEmbeddings = try container.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? true
    }

    /// Reads and checks `config.json`.
    public static func load(from url: URL) throws -> GPT2Configuration {
        let configuration = try ConfigurationFile.decode(GPT2Configuration.self, from: url)
        try configuration.validate(source: url.path)
        return configuration
    }

    /// Reads and checks config.json `data` (or what a GGUF file's metadata gives instead); `source` names it.
    public static func load(from data: Data, source: String) throws -> GPT2Configuration {
        let configuration = try ConfigurationFile.decode(GPT2Configuration.self, from: data, source: source)
        try configuration.validate(source: source)
        return configuration
    }

    /// Rejects values the forward pass cannot honour, naming the key.
    public func validate(source: String) throws {
        for (key, value) in [("vocab_size", vocabularySize), ("n_embd", hiddenSize), ("n_layer", layerCount),
                             ("n_head", attentionHeads), ("n_positions", maxPositions), ("n_inner", intermediateSize)]
        where value <= 0 {
            throw ModelError.invalidConfiguration(file: source, field: key, reason: "must be positive, got \(value)")
        }
        if hiddenSize % attentionHeads != 0 {
            throw ModelError.invalidConfiguration(file: source, field: "n_embd",
                                                  reason: "\(hiddenSize) is not a multiple of n_head (\(attentionHeads))")
        }
        if Activation(huggingFaceName: activation) == nil {
            throw ModelError.unsupportedConfigurationValue(file: source, key: "activation_function", value: activation,
                                                           supported: Activation.huggingFaceNames)
        }
    }
}

// MARK: - Blocks

/// A `Conv1D` layer as a `Linear`: `<name>.weight` is `[in, out]` in the checkpoint and transposed here.
func conv1D(_ weights: WeightScope, _ name: String, inFeatures: Int, outFeatures: Int, precision: Precision) throws -> Linear {
    let scope = weights.scope(name)
    let stored = try scope.tensor("weight", shape: [inFeatures, outFeatures])
    let transposed = Tensor(zeros: [outFeatures, inFeatures])
    for row in 0..<inFeatures {
        for column in 0..<outFeatures {
            transposed.storage.pointer[column * inFeatures + row] = stored.pointer[row * outFeatures + column]
        }
    }
    return Linear(weight: transposed, bias: try scope.tensor("bias", shape: [outFeatures]), precision: precision)
}

/// `GPT2Block`: pre-LayerNorm attention and MLP, each added to the residual stream.
struct GPT2Block: Sendable {
    let layerNorm1: LayerNorm
    let attention: GroupedQueryAttention
    let layerNorm2: LayerNorm
    let feedForward: Linear   // mlp.c_fc, with the activation fused into the product
    let projection: Linear    // mlp.c_proj
    let activation: Activation

    init(_ weights: WeightScope, index: Int, _ configuration: GPT2Configuration, activation: Activation, precision: Precision) throws {
        let hidden = configuration.hiddenSize, heads = configuration.attentionHeads, inner = configuration.intermediateSize
        let epsilon = configuration.layerNormEpsilon
        layerNorm1 = try LayerNorm(weights, "ln_1", width: hidden, epsilon: epsilon)
        let attention = weights.scope("attn")
        // GPT2Attention.scaling: head_dim^-0.5 (scale_attn_weights), then / (layer_idx + 1), in Python floats.
        var scale = configuration.scaleAttentionWeights ? 1 / Double(hidden / heads).squareRoot() : 1
        if configuration.scaleByInverseLayerIndex { scale /= Double(index + 1) }
        self.attention = GroupedQueryAttention(
            queryKeyValue: try conv1D(attention, "c_attn", inFeatures: hidden, outFeatures: 3 * hidden, precision: precision),
            output: try conv1D(attention, "c_proj", inFeatures: hidden, outFeatures: hidden, precision: precision),
            heads: heads, keyValueHeads: heads, headSize: hidden / heads, queryNorm: nil, keyNorm: nil,
            scale: Float(scale), window: nil, softcap: nil)
        layerNorm2 = try LayerNorm(weights, "ln_2", width: hidden, epsilon: epsilon)
        feedForward = try conv1D(weights.scope("mlp"), "c_fc", inFeatures: hidden, outFeatures: inner, precision: precision)
        projection = try conv1D(weights.scope("mlp"), "c_proj", inFeatures: inner, outFeatures: hidden, precision: precision)
        self.activation = activation
    }

    /// Transforms `workspace.hidden` (`[tokens, hidden]`) in place.
    func forward(tokens: Int, layer: Int, cache: KVCache, workspace: DecoderWorkspace, pool: ThreadPool) {
        let width = layerNorm1.width
        layerNorm1.forward(workspace.hidden, rows: tokens, into: workspace.normed, pool: nil)
        attention.forward(workspace.normed, tokens: tokens, layer: layer, cache: cache, rotary: nil, workspace: workspace, pool: pool)
        addResidual(workspace.projected, to: workspace.hidden, count: tokens * width)
        layerNorm2.forward(workspace.hidden, rows: tokens, into: workspace.normed, pool: nil)
        feedForward.forward(workspace.normed, rows: tokens, into: workspace.expanded, activation: activation, pool: pool,
                            scratch: workspace.linearScratch)
        projection.forward(workspace.expanded, rows: tokens, into: workspace.projected, pool: pool, scratch: workspace.linearScratch)
        addResidual(workspace.projected, to: workspace.hidden, count: tokens * width)
    }
}

// MARK: - Model

/// GPT-2 as a causal language model (`GPT2LMHeadModel`).
public final class GPT2Model: CausalLanguageModel {
    /// The configuration the weights were loaded with.
    public let configuration: GPT2Configuration
    let tokenEmbeddings: Embedding     // wte
    let positionEmbeddings: Embedding  // wpe
    let blocks: [GPT2Block]
    let finalLayerNorm: LayerNorm      // ln_f
    let lmHead: Linear
    let dimensions: DecoderDimensions

    public var vocabularySize: Int { configuration.vocabularySize }
    public var maxPositions: Int { configuration.maxPositions }

    /// Builds the model from `weights`, whose names may carry the `transformer.` prefix of `GPT2LMHeadModel`
    /// (the original Hub `gpt2` files have none).
    public init(configuration: GPT2Configuration, weights: WeightStore, precision: Precision = .fp32) throws {
        try configuration.validate(source: "config.json")
        guard let activation = Activation(huggingFaceName: configuration.activation) else {
            throw ModelError.unsupportedConfigurationValue(file: "config.json", key: "activation_function",
                                                           value: configuration.activation, supported: Activation.huggingFaceNames)
        }
        let root = weights.contains("transformer.wte.weight") ? weights.scope("transformer") : weights.root
        let hidden = configuration.hiddenSize
        self.configuration = configuration
        tokenEmbeddings = try Embedding(root, "wte", count: configuration.vocabularySize, width: hidden)
        positionEmbeddings = try Embedding(root, "wpe", count: configuration.maxPositions, width: hidden)
        blocks = try (0..<configuration.layerCount).map { index in
            try GPT2Block(root.scope("h.\(index)"), index: index, configuration, activation: activation, precision: precision)
        }
        finalLayerNorm = try LayerNorm(root, "ln_f", width: hidden, epsilon: configuration.layerNormEpsilon)
        lmHead = try languageModelHead(weights, tied: configuration.tieWordEmbeddings, embedding: tokenEmbeddings,
                                       precision: precision)
        dimensions = DecoderDimensions(
            hiddenSize: hidden, heads: configuration.attentionHeads, keyValueHeads: configuration.attentionHeads,
            headSize: hidden / configuration.attentionHeads, intermediateSize: configuration.intermediateSize,
            expandedWidth: configuration.intermediateSize, layerCount: configuration.layerCount,
            vocabularySize: configuration.vocabularySize, maxPositions: configuration.maxPositions,
            linearScratchBytesPerRow: DecoderDimensions.scratchBytesPerRow(
                [blocks[0].attention.queryKeyValue, blocks[0].attention.output, blocks[0].feedForward, blocks[0].projection, lmHead]))
        // The causal-mask buffers older checkpoints saved with every layer (`attn.bias`, `attn.masked_bias`).
        for name in weights.tensorNames where name.hasSuffix(".attn.bias") || name.hasSuffix(".attn.masked_bias") {
            weights.markUnused(prefix: name)
        }
    }

    public func makeCache(maxLength: Int) throws -> KVCache {
        try DecoderPass.makeCache(maxLength: maxLength, dimensions: dimensions)
    }

    public func forward(_ tokens: UnsafeBufferPointer<Int>, cache: KVCache, logits: UnsafeMutablePointer<Float>,
                        pool: ThreadPool) throws {
        try DecoderPass.validate(tokens, cache: cache, dimensions: dimensions)
        let count = tokens.count, hidden = dimensions.hiddenSize, arena = cache.arena, first = cache.length
        arena.reset()
        let workspace = DecoderWorkspace(
            arena: arena, tokens: count, dimensions: dimensions,
            attentionScratch: blocks[0].attention.scratchCount(tokens: count, capacity: cache.capacity, threads: pool.threadCount))
        for (row, id) in tokens.enumerated() {
            let destination = workspace.hidden + row * hidden
            destination.update(repeating: 0, count: hidden)
            tokenEmbeddings.accumulate(row: id, into: destination)
            positionEmbeddings.accumulate(row: first + row, into: destination)
        }
        for (index, block) in blocks.enumerated() {
            block.forward(tokens: count, layer: index, cache: cache, workspace: workspace, pool: pool)
        }
        finalLayerNorm.forward(workspace.hidden + (count - 1) * hidden, rows: 1, into: workspace.normed, pool: nil)
        lmHead.forward(workspace.normed, rows: 1, into: logits, pool: pool, scratch: workspace.linearScratch)
        cache.advance(by: count)
    }
}

extension DecoderRegistry {
    /// `model_type` gpt2.
    static let gpt2 = DecoderRegistry.Family(modelTypes: ["gpt2"]) { checkpoint, precision in
        let configuration = try GPT2Configuration.load(from: checkpoint.configuration, source: checkpoint.configurationSource)
        let weights = try checkpoint.openWeights()
        let model = try GPT2Model(configuration: configuration, weights: weights, precision: precision)
        try weights.finish()
        return model
    }
}
