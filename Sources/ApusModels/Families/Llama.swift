// Llama-style decoders (LlamaForCausalLM and the families that differ from it only by config flags), a port of
// https://github.com/huggingface/transformers/blob/main/src/transformers/models/llama/modeling_llama.py and its
// siblings mistral/modeling_mistral.py (sliding_window), qwen2/modeling_qwen2.py (q/k/v biases, optional sliding
// layers) and qwen3/modeling_qwen3.py (per-head q/k RMSNorm, explicit head_dim). Pre-norm layers:
//   h = embed_tokens(ids)
//   h = h + o_proj(attention(RoPE(q, k), v))     q, k, v = q_proj, k_proj, v_proj(input_layernorm(h))
//   h = h + down_proj(silu(gate_proj(x)) · up_proj(x)),  x = post_attention_layernorm(h)
//   logits = lm_head(norm(h))                    lm_head tied to embed_tokens when tie_word_embeddings
import ApusTensor
import Foundation

// MARK: - Configuration

/// The fields of a Llama, Mistral, Qwen2 or Qwen3 `config.json` that the forward pass uses.
public struct LlamaConfiguration: Decodable, Sendable, Equatable {
    /// `llama`, `mistral`, `qwen2` or `qwen3`: decides the defaults and the per-family switches below.
    public var modelType: String
    /// Rows of the embedding matrix (`vocab_size`).
    public var vocabularySize: Int
    /// Width of the residual stream (`hidden_size`).
    public var hiddenSize: Int
    /// Width of the gated feed-forward block (`intermediate_size`).
    public var intermediateSize: Int
    /// Number of decoder layers (`num_hidden_layers`).
    public var layerCount: Int
    /// Query heads (`num_attention_heads`) and key-value heads (`num_key_value_heads`, GQA when fewer).
    public var attentionHeads: Int, keyValueHeads: Int
    /// Features per head (`head_dim`; by default `hidden_size / num_attention_heads`, 128 for Qwen3).
    public var headSize: Int
    /// Feed-forward activation (`hidden_act`).
    public var hiddenActivation: String
    /// Longest sequence (`max_position_embeddings`).
    public var maxPositions: Int
    /// ε of every RMSNorm (`rms_norm_eps`).
    public var rmsNormEpsilon: Float
    /// RoPE variant and base (`rope_theta` / `rope_scaling`, or `rope_parameters`).
    public var rope: RopeScaling
    /// Biases of q/k/v (`attention_bias`; always on in Qwen2) and of o_proj (`attention_bias`; never in Qwen2).
    public var queryKeyValueBias: Bool, outputBias: Bool
    /// Biases of the feed-forward projections (`mlp_bias`, Llama only).
    public var mlpBias: Bool
    /// Whether lm_head reuses embed_tokens (`tie_word_embeddings`).
    public var tieWordEmbeddings: Bool
    /// The sliding window of each layer, nil for full causal attention (Mistral `sliding_window`; Qwen
    /// `use_sliding_window` with `layer_types` / `max_window_layers`).
    public var layerWindows: [Int?]
    /// Qwen3's per-head RMSNorm of queries and keys (`q_norm`, `k_norm`).
    public var queryKeyNorm: Bool

    /// The `model_type` values this configuration describes.
    public static let modelTypes = ["llama", "mistral", "qwen2", "qwen3"]

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type"
        case vocabularySize = "vocab_size"
        case hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size"
        case layerCount = "num_hidden_layers"
        case attentionHeads = "num_attention_heads"
        case keyValueHeads = "num_key_value_heads"
        case headSize = "head_dim"
        case hiddenActivation = "hidden_act"
        case maxPositions = "max_position_embeddings"
        case rmsNormEpsilon = "rms_norm_eps"
        case attentionBias = "attention_bias"
        case mlpBias = "mlp_bias"
        case tieWordEmbeddings = "tie_word_embeddings"
        case slidingWindow = "sliding_window"
        case useSlidingWindow = "use_sliding_window"
        case maxWindowLayers = "max_window_layers"
        case layerTypes = "layer_types"
    }

    /// Sizes are required; the rest default as the upstream `*Config` classes do for each `model_type`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        modelType = try container.decode(String.self, forKey: .modelType)
        let isQwen = modelType == "qwen2" || modelType == "qwen3"
        vocabularySize = try container.decode(Int.self, forKey: .vocabularySize)
        hiddenSize = try container.decode(Int.self, forKey: .hiddenSize)
        intermediateSize = try container.decode(Int.self, forKey: .intermediateSize)
        layerCount = try container.decode(Int.self, forKey: .layerCount)
        attentionHeads = try container.decode(Int.self, forKey: .attentionHeads)
        keyValueHeads = try container.decodeIfPresent(Int.self, forKey: .keyValueHeads) ?? attentionHeads
        let defaultHeadSize = modelType == "qwen3" ? 128 : hiddenSize / max(attentionHeads, 1)
        headSize = try container.decodeIfPresent(Int.self, forKey: .headSize) ?? defaultHeadSize
        hiddenActivation = try container.decodeIfPresent(String.self, forKey: .hiddenActivation) ?? "silu"
        let defaultPositions: Int
        switch modelType {
        case "mistral": defaultPositions = 131_072
        case "qwen2", "qwen3": defaultPositions = 32_768
        default: defaultPositions = 2048
        }
        maxPositions = try container.decodeIfPresent(Int.self, forKey: .maxPositions) ?? defaultPositions
        rmsNormEpsilon = try container.decodeIfPresent(Float.self, forKey: .rmsNormEpsilon) ?? 1e-6
        let ropeFile = try RopeScaling.decode(from: decoder, defaultTheta: 10_000)
        rope = try RopeScaling(ropeFile, defaultTheta: 10_000, maxPositions: maxPositions, source: "config.json",
                               key: "rope_parameters")
        let attentionBias = try container.decodeIfPresent(Bool.self, forKey: .attentionBias) ?? false
        queryKeyValueBias = modelType == "qwen2" ? true : attentionBias
        outputBias = modelType == "qwen2" ? false : attentionBias
        mlpBias = modelType == "llama" ? try container.decodeIfPresent(Bool.self, forKey: .mlpBias) ?? false : false
        tieWordEmbeddings = try container.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? false
        queryKeyNorm = modelType == "qwen3"

        let window = try container.decodeIfPresent(Int.self, forKey: .slidingWindow)
        if isQwen {
            // Qwen2Config/Qwen3Config: the window only counts with use_sliding_window, on the layers layer_types
            // (or, without it, index ≥ max_window_layers) marks as sliding.
            let useWindow = try container.decodeIfPresent(Bool.self, forKey: .useSlidingWindow) ?? false
            let active = useWindow ? window : nil
            let maxWindowLayers = try container.decodeIfPresent(Int.self, forKey: .maxWindowLayers) ?? 28
            let types = try container.decodeIfPresent([String].self, forKey: .layerTypes)
                ?? (0..<layerCount).map { active != nil && $0 >= maxWindowLayers ? "sliding_attention" : "full_attention" }
            layerWindows = types.map { $0 == "sliding_attention" ? active : nil }
        } else if modelType == "mistral" {
            layerWindows = Array(repeating: window, count: layerCount)
        } else {
            layerWindows = Array(repeating: nil, count: layerCount)
        }
    }

    /// Reads and checks `config.json`.
    public static func load(from url: URL) throws -> LlamaConfiguration {
        let configuration = try ConfigurationFile.decode(LlamaConfiguration.self, from: url)
        try configuration.validate(source: url.path)
        return configuration
    }

    /// Reads and checks config.json `data` (or what a GGUF file's metadata gives instead); `source` names it.
    public static func load(from data: Data, source: String) throws -> LlamaConfiguration {
        let configuration = try ConfigurationFile.decode(LlamaConfiguration.self, from: data, source: source)
        try configuration.validate(source: source)
        return configuration
    }

    /// Rejects values the forward pass cannot honour, naming the key.
    public func validate(source: String) throws {
        if !Self.modelTypes.contains(modelType) {
            throw ModelError.unsupportedModelType(file: source, modelType: modelType, supported: Self.modelTypes)
        }
        for (key, value) in [("vocab_size", vocabularySize), ("hidden_size", hiddenSize), ("intermediate_size", intermediateSize),
                             ("num_hidden_layers", layerCount), ("num_attention_heads", attentionHeads),
                             ("num_key_value_heads", keyValueHeads), ("head_dim", headSize),
                             ("max_position_embeddings", maxPositions)] where value <= 0 {
            throw ModelError.invalidConfiguration(file: source, field: key, reason: "must be positive, got \(value)")
        }
        if attentionHeads % keyValueHeads != 0 {
            throw ModelError.invalidConfiguration(file: source, field: "num_key_value_heads",
                                                  reason: "\(keyValueHeads) does not divide num_attention_heads (\(attentionHeads))")
        }
        try rope.validate(headSize: headSize, source: source)
        if layerWindows.count != layerCount {
            throw ModelError.invalidConfiguration(file: source, field: "layer_types",
                                                  reason: "has \(layerWindows.count) entries for \(layerCount) layers")
        }
        for window in layerWindows.compactMap({ $0 }) where window <= 0 {
            throw ModelError.invalidConfiguration(file: source, field: "sliding_window", reason: "must be positive, got \(window)")
        }
        if Activation(huggingFaceName: hiddenActivation) == nil {
            throw ModelError.unsupportedConfigurationValue(file: source, key: "hidden_act", value: hiddenActivation,
                                                           supported: Activation.huggingFaceNames)
        }
    }
}

// MARK: - Blocks

/// `LlamaDecoderLayer`: pre-norm attention and gated feed-forward, each added to the residual stream.
struct LlamaDecoderLayer: Sendable {
    let inputLayerNorm: RMSNorm
    let attention: GroupedQueryAttention
    let postAttentionLayerNorm: RMSNorm
    let mlp: GatedMLP

    init(_ weights: WeightScope, index: Int, _ configuration: LlamaConfiguration, activation: Activation,
         precision: Precision) throws {
        let hidden = configuration.hiddenSize, headSize = configuration.headSize, epsilon = configuration.rmsNormEpsilon
        let heads = configuration.attentionHeads, keyValueHeads = configuration.keyValueHeads
        let selfAttention = weights.scope("self_attn"), bias = configuration.queryKeyValueBias
        attention = GroupedQueryAttention(
            queryKeyValue: Linear(concatenating: [
                try Linear(selfAttention, "q_proj", inFeatures: hidden, outFeatures: heads * headSize, bias: bias),
                try Linear(selfAttention, "k_proj", inFeatures: hidden, outFeatures: keyValueHeads * headSize, bias: bias),
                try Linear(selfAttention, "v_proj", inFeatures: hidden, outFeatures: keyValueHeads * headSize, bias: bias),
            ], precision: precision),
            output: try Linear(selfAttention, "o_proj", inFeatures: heads * headSize, outFeatures: hidden,
                               bias: configuration.outputBias, precision: precision),
            heads: heads, keyValueHeads: keyValueHeads, headSize: headSize,
            queryNorm: configuration.queryKeyNorm ? try RMSNorm(selfAttention, "q_norm", width: headSize, epsilon: epsilon) : nil,
            keyNorm: configuration.queryKeyNorm ? try RMSNorm(selfAttention, "k_norm", width: headSize, epsilon: epsilon) : nil,
            scale: Float(1 / Double(headSize).squareRoot()), window: configuration.layerWindows[index], softcap: nil)
        inputLayerNorm = try RMSNorm(weights, "input_layernorm", width: hidden, epsilon: epsilon)
        postAttentionLayerNorm = try RMSNorm(weights, "post_attention_layernorm", width: hidden, epsilon: epsilon)
        mlp = try GatedMLP(weights.scope("mlp"), hiddenSize: hidden, intermediateSize: configuration.intermediateSize,
                           activation: activation, bias: configuration.mlpBias, precision: precision)
    }

    /// Transforms `workspace.hidden` (`[tokens, hidden]`) in place.
    func forward(tokens: Int, layer: Int, cache: KVCache, rotary: RotaryAngles, workspace: DecoderWorkspace, pool: ThreadPool) {
        let width = inputLayerNorm.width
        inputLayerNorm.forward(workspace.hidden, rows: tokens, into: workspace.normed)
        attention.forward(workspace.normed, tokens: tokens, layer: layer, cache: cache, rotary: rotary, workspace: workspace, pool: pool)
        addResidual(workspace.projected, to: workspace.hidden, count: tokens * width)
        postAttentionLayerNorm.forward(workspace.hidden, rows: tokens, into: workspace.normed)
        mlp.forward(workspace.normed, tokens: tokens, workspace: workspace, pool: pool)
        addResidual(workspace.projected, to: workspace.hidden, count: tokens * width)
    }
}

/// `stream += update`, element-wise.
@inline(__always)
func addResidual(_ update: UnsafePointer<Float>, to stream: UnsafeMutablePointer<Float>, count: Int) {
    for index in 0..<count { stream[index] += update[index] }
}

// MARK: - Model

/// A Llama-style causal language model (`LlamaForCausalLM`, `MistralForCausalLM`, `Qwen2ForCausalLM`,
/// `Qwen3ForCausalLM`).
public final class LlamaModel: CausalLanguageModel {
    /// The configuration the weights were loaded with.
    public let configuration: LlamaConfiguration
    let embedTokens: Embedding
    let layers: [LlamaDecoderLayer]
    let norm: RMSNorm
    let lmHead: Linear
    let rotary: RotaryFrequencies
    let dimensions: DecoderDimensions

    public var vocabularySize: Int { configuration.vocabularySize }
    public var maxPositions: Int { configuration.maxPositions }

    /// Builds the model from `weights` (names as `*ForCausalLM` saves them: `model.…` and `lm_head.weight`), its
    /// linear layers computing in `precision`.
    public init(configuration: LlamaConfiguration, weights: WeightStore, precision: Precision = .fp32) throws {
        try configuration.validate(source: "config.json")
        guard let activation = Activation(huggingFaceName: configuration.hiddenActivation) else {
            throw ModelError.unsupportedConfigurationValue(file: "config.json", key: "hidden_act",
                                                           value: configuration.hiddenActivation, supported: Activation.huggingFaceNames)
        }
        let root = weights.contains("model.embed_tokens.weight") ? weights.scope("model") : weights.root
        let hidden = configuration.hiddenSize
        self.configuration = configuration
        embedTokens = try Embedding(root, "embed_tokens", count: configuration.vocabularySize, width: hidden)
        layers = try (0..<configuration.layerCount).map { index in
            try LlamaDecoderLayer(root.scope("layers.\(index)"), index: index, configuration, activation: activation,
                                  precision: precision)
        }
        norm = try RMSNorm(root, "norm", width: hidden, epsilon: configuration.rmsNormEpsilon)
        lmHead = try languageModelHead(weights, tied: configuration.tieWordEmbeddings, embedding: embedTokens, precision: precision)
        rotary = configuration.rope.frequencies(headSize: configuration.headSize)
        dimensions = DecoderDimensions(
            hiddenSize: hidden, heads: configuration.attentionHeads, keyValueHeads: configuration.keyValueHeads,
            headSize: configuration.headSize, intermediateSize: configuration.intermediateSize,
            expandedWidth: 2 * configuration.intermediateSize, layerCount: configuration.layerCount,
            vocabularySize: configuration.vocabularySize, maxPositions: configuration.maxPositions,
            linearScratchBytesPerRow: DecoderDimensions.scratchBytesPerRow(
                [layers[0].attention.queryKeyValue, layers[0].attention.output, layers[0].mlp.gateUp, layers[0].mlp.down, lmHead]))
        // Older Llama checkpoints saved each layer's RoPE buffer; Apus computes the frequencies from the config.
        for name in weights.tensorNames where name.hasSuffix("rotary_emb.inv_freq") { weights.markUnused(prefix: name) }
    }

    public func makeCache(maxLength: Int) throws -> KVCache {
        try DecoderPass.makeCache(maxLength: maxLength, dimensions: dimensions)
    }

    public func forward(_ tokens: UnsafeBufferPointer<Int>, cache: KVCache, logits: UnsafeMutablePointer<Float>,
                        pool: ThreadPool) throws {
        try DecoderPass.validate(tokens, cache: cache, dimensions: dimensions)
        let count = tokens.count, hidden = dimensions.hiddenSize, arena = cache.arena
        arena.reset()
        let workspace = DecoderWorkspace(
            arena: arena, tokens: count, dimensions: dimensions,
            attentionScratch: layers[0].attention.scratchCount(tokens: count, capacity: cache.capacity, threads: pool.threadCount))
        for (row, id) in tokens.enumerated() {
            (workspace.hidden + row * hidden).update(from: embedTokens.weight.pointer + id * hidden, count: hidden)
        }
        let angles = RotaryAngles(rotary, first: cache.length, tokens: count, arena: arena)
        for (index, layer) in layers.enumerated() {
            layer.forward(tokens: count, layer: index, cache: cache, rotary: angles, workspace: workspace, pool: pool)
        }
        // Only the last position's logits are needed: norm and lm_head (the largest product) on one row.
        norm.forward(workspace.hidden + (count - 1) * hidden, rows: 1, into: workspace.normed)
        lmHead.forward(workspace.normed, rows: 1, into: logits, pool: pool, scratch: workspace.linearScratch)
        cache.advance(by: count)
    }
}

/// `lm_head`: its own `lm_head.weight`, or the embedding matrix when `tie_word_embeddings` (then a saved
/// `lm_head.weight` is ignored, as transformers ties over it).
func languageModelHead(_ weights: WeightStore, tied: Bool, embedding: Embedding, precision: Precision) throws -> Linear {
    if tied {
        weights.markUnused(prefix: "lm_head.")
        return Linear(weight: embedding.weight, bias: nil, precision: precision)
    }
    return try Linear(weights.root, "lm_head", inFeatures: embedding.width, outFeatures: embedding.count, bias: false,
                      precision: precision)
}

extension DecoderRegistry {
    /// `model_type` llama, mistral, qwen2, qwen3.
    static let llama = DecoderRegistry.Family(modelTypes: LlamaConfiguration.modelTypes) { checkpoint, precision in
        let configuration = try LlamaConfiguration.load(from: checkpoint.configuration, source: checkpoint.configurationSource)
        let weights = try checkpoint.openWeights()
        let model = try LlamaModel(configuration: configuration, weights: weights, precision: precision)
        try weights.finish()
        return model
    }
}
