// Gemma 3 text decoder (Gemma3ForCausalLM, model_type gemma3_text), a port of
// https://github.com/huggingface/transformers/blob/main/src/transformers/models/gemma3/modeling_gemma3.py
// Llama's layout with Gemma's changes: every RMSNorm scales by (1 + w); embeddings are multiplied by √hidden;
// attention and feed-forward outputs are normalised again before the residual add; queries and keys get a per-head
// RMSNorm; local layers (sliding window, their own RoPE base) alternate with global ones; scores are scaled by
// query_pre_attn_scalar^-0.5; GeGLU feed-forward; optional tanh soft-capping of the final logits.
//   h = embed_tokens(ids) · √hidden
//   h = h + post_attention_layernorm(o_proj(attention(RoPE(q_norm(q)), RoPE(k_norm(k)), v)))   on input_layernorm(h)
//   h = h + post_feedforward_layernorm(down(gelu_tanh(gate(x)) · up(x))),  x = pre_feedforward_layernorm(h)
//   logits = softcap(lm_head(norm(h)))
import ApusTensor
import Foundation

// MARK: - Configuration

/// The fields of a Gemma 3 text `config.json` that the forward pass uses.
public struct Gemma3Configuration: Decodable, Sendable, Equatable {
    /// Rows of the embedding matrix (`vocab_size`).
    public var vocabularySize: Int
    /// Width of the residual stream (`hidden_size`).
    public var hiddenSize: Int
    /// Width of the GeGLU block (`intermediate_size`).
    public var intermediateSize: Int
    /// Number of layers (`num_hidden_layers`).
    public var layerCount: Int
    /// Query heads (`num_attention_heads`) and key-value heads (`num_key_value_heads`).
    public var attentionHeads: Int, keyValueHeads: Int
    /// Features per head (`head_dim`).
    public var headSize: Int
    /// Feed-forward activation (`hidden_activation`).
    public var hiddenActivation: String
    /// Longest sequence (`max_position_embeddings`).
    public var maxPositions: Int
    /// ε of every RMSNorm (`rms_norm_eps`).
    public var rmsNormEpsilon: Float
    /// Biases of the attention projections (`attention_bias`).
    public var attentionBias: Bool
    /// Scores are multiplied by `query_pre_attn_scalar^-0.5` (not head_dim's).
    public var queryPreAttentionScalar: Double
    /// Window of the local layers (`sliding_window`): a query sees itself and `sliding_window − 1` earlier tokens.
    public var slidingWindow: Int
    /// `sliding_attention` or `full_attention` per layer (`layer_types`, else every `sliding_window_pattern`-th
    /// layer is global).
    public var layerTypes: [String]
    /// RoPE of local and of global layers (`rope_parameters`, or `rope_local_base_freq` and `rope_theta` /
    /// `rope_scaling` for the global ones).
    public var localRope: RopeScaling, globalRope: RopeScaling
    /// tanh soft-capping of attention scores (read but, as in transformers' Gemma 3, not applied) and of the final
    /// logits, if set.
    public var attentionSoftcap: Double?, finalSoftcap: Double?
    /// Whether lm_head reuses embed_tokens (`tie_word_embeddings`).
    public var tieWordEmbeddings: Bool

    enum CodingKeys: String, CodingKey {
        case vocabularySize = "vocab_size"
        case hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size"
        case layerCount = "num_hidden_layers"
        case attentionHeads = "num_attention_heads"
        case keyValueHeads = "num_key_value_heads"
        case headSize = "head_dim"
        case hiddenActivation = "hidden_activation"
        case hiddenAct = "hidden_act"
        case maxPositions = "max_position_embeddings"
        case rmsNormEpsilon = "rms_norm_eps"
        case attentionBias = "attention_bias"
        case queryPreAttentionScalar = "query_pre_attn_scalar"
        case slidingWindow = "sliding_window"
        case layerTypes = "layer_types"
        case slidingWindowPattern = "sliding_window_pattern"
        case ropeParameters = "rope_parameters"
        case ropeScaling = "rope_scaling"
        case ropeTheta = "rope_theta"
        case ropeLocalBaseFrequency = "rope_local_base_freq"
        case attentionSoftcap = "attn_logit_softcapping"
        case finalSoftcap = "final_logit_softcapping"
        case tieWordEmbeddings = "tie_word_embeddings"
        case bidirectional = "use_bidirectional_attention"
    }

    /// Sizes are required; the rest default as `transformers.Gemma3TextConfig`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        vocabularySize = try container.decode(Int.self, forKey: .vocabularySize)
        hiddenSize = try container.decode(Int.self, forKey: .hiddenSize)
        intermediateSize = try container.decode(Int.self, forKey: .intermediateSize)
        layerCount = try container.decode(Int.self, forKey: .layerCount)
        attentionHeads = try container.decode(Int.self, forKey: .attentionHeads)
        keyValueHeads = try container.decodeIfPresent(Int.self, forKey: .keyValueHeads) ?? 4
        headSize = try container.decodeIfPresent(Int.self, forKey: .headSize) ?? 256
        hiddenActivation = try container.decodeIfPresent(String.self, forKey: .hiddenActivation)
            ?? container.decodeIfPresent(String.self, forKey: .hiddenAct) ?? "gelu_pytorch_tanh"
        maxPositions = try container.decodeIfPresent(Int.self, forKey: .maxPositions) ?? 131_072
        rmsNormEpsilon = try container.decodeIfPresent(Float.self, forKey: .rmsNormEpsilon) ?? 1e-6
        attentionBias = try container.decodeIfPresent(Bool.self, forKey: .attentionBias) ?? false
        queryPreAttentionScalar = try container.decodeIfPresent(Double.self, forKey: .queryPreAttentionScalar) ?? 256
        slidingWindow = try container.decodeIfPresent(Int.self, forKey: .slidingWindow) ?? 4096
        if try container.decodeIfPresent(Bool.self, forKey: .bidirectional) == true {
            throw DecodingError.dataCorruptedError(forKey: .bidirectional, in: container, debugDescription:
                "bidirectional Gemma 3 (an encoder, e.g. EmbeddingGemma) is not a causal language model")
        }
        if let types = try container.decodeIfPresent([String].self, forKey: .layerTypes) {
            layerTypes = types
        } else {
            let pattern = try container.decodeIfPresent(Int.self, forKey: .slidingWindowPattern) ?? 6
            guard pattern > 0 else {
                throw DecodingError.dataCorruptedError(forKey: .slidingWindowPattern, in: container, debugDescription: "must be positive")
            }
            layerTypes = (0..<layerCount).map { ($0 + 1) % pattern != 0 ? "sliding_attention" : "full_attention" }
        }
        // Gemma3TextConfig.convert_rope_params_to_dict: per-layer-type parameters, `rope_scaling` merged into the
        // global ones, bases from `rope_theta` (global, 1e6) and `rope_local_base_freq` (local, 1e4) where missing.
        let nested = try container.decodeIfPresent([String: RopeScaling.File].self, forKey: .ropeParameters) ?? [:]
        var global = nested["full_attention"] ?? RopeScaling.File()
        if let scaling = try container.decodeIfPresent(RopeScaling.File.self, forKey: .ropeScaling) {
            global = scaling.overriding(global)
        }
        let globalTheta = try container.decodeIfPresent(Double.self, forKey: .ropeTheta) ?? 1_000_000
        let localTheta = try container.decodeIfPresent(Double.self, forKey: .ropeLocalBaseFrequency) ?? 10_000
        globalRope = try RopeScaling(global, defaultTheta: globalTheta, maxPositions: maxPositions, source: "config.json",
                                     key: "rope_parameters.full_attention")
        localRope = try RopeScaling(nested["sliding_attention"] ?? RopeScaling.File(), defaultTheta: localTheta,
                                    maxPositions: maxPositions, source: "config.json", key: "rope_parameters.sliding_attention")
        attentionSoftcap = try container.decodeIfPresent(Double.self, forKey: .attentionSoftcap)
        finalSoftcap = try container.decodeIfPresent(Double.self, forKey: .finalSoftcap)
        tieWordEmbeddings = try container.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? true
    }

    /// Reads and checks `config.json`.
    public static func load(from url: URL) throws -> Gemma3Configuration {
        let configuration = try ConfigurationFile.decode(Gemma3Configuration.self, from: url)
        try configuration.validate(source: url.path)
        return configuration
    }

    /// Reads and checks config.json `data` (or what a GGUF file's metadata gives instead); `source` names it.
    public static func load(from data: Data, source: String) throws -> Gemma3Configuration {
        let configuration = try ConfigurationFile.decode(Gemma3Configuration.self, from: data, source: source)
        try configuration.validate(source: source)
        return configuration
    }

    /// Rejects values the forward pass cannot honour, naming the key.
    public func validate(source: String) throws {
        for (key, value) in [("vocab_size", vocabularySize), ("hidden_size", hiddenSize), ("intermediate_size", intermediateSize),
                             ("num_hidden_layers", layerCount), ("num_attention_heads", attentionHeads),
                             ("num_key_value_heads", keyValueHeads), ("head_dim", headSize),
                             ("max_position_embeddings", maxPositions), ("sliding_window", slidingWindow)] where value <= 0 {
            throw ModelError.invalidConfiguration(file: source, field: key, reason: "must be positive, got \(value)")
        }
        if attentionHeads % keyValueHeads != 0 {
            throw ModelError.invalidConfiguration(file: source, field: "num_key_value_heads",
                                                  reason: "\(keyValueHeads) does not divide num_attention_heads (\(attentionHeads))")
        }
        try localRope.validate(headSize: headSize, source: source)
        try globalRope.validate(headSize: headSize, source: source)
        if layerTypes.count != layerCount {
            throw ModelError.invalidConfiguration(file: source, field: "layer_types",
                                                  reason: "has \(layerTypes.count) entries for \(layerCount) layers")
        }
        for type in layerTypes where type != "full_attention" && type != "sliding_attention" {
            throw ModelError.unsupportedConfigurationValue(file: source, key: "layer_types", value: type,
                                                           supported: ["full_attention", "sliding_attention"])
        }
        for (key, cap) in [("attn_logit_softcapping", attentionSoftcap), ("final_logit_softcapping", finalSoftcap)]
        where (cap ?? 1) <= 0 {
            throw ModelError.invalidConfiguration(file: source, field: key, reason: "must be positive or null")
        }
        if queryPreAttentionScalar <= 0 {
            throw ModelError.invalidConfiguration(file: source, field: "query_pre_attn_scalar", reason: "must be positive")
        }
        if Activation(huggingFaceName: hiddenActivation) == nil {
            throw ModelError.unsupportedConfigurationValue(file: source, key: "hidden_activation", value: hiddenActivation,
                                                           supported: Activation.huggingFaceNames)
        }
    }
}

// MARK: - Blocks

/// `Gemma3DecoderLayer`: normalised attention and GeGLU outputs added to the residual stream (four (1 + w) norms).
struct Gemma3DecoderLayer: Sendable {
    let inputLayerNorm: RMSNorm
    let attention: GroupedQueryAttention
    let postAttentionLayerNorm: RMSNorm
    let preFeedForwardLayerNorm: RMSNorm
    let mlp: GatedMLP
    let postFeedForwardLayerNorm: RMSNorm
    let isSliding: Bool

    init(_ weights: WeightScope, index: Int, _ configuration: Gemma3Configuration, activation: Activation,
         precision: Precision) throws {
        let hidden = configuration.hiddenSize, headSize = configuration.headSize, epsilon = configuration.rmsNormEpsilon
        let heads = configuration.attentionHeads, keyValueHeads = configuration.keyValueHeads
        let selfAttention = weights.scope("self_attn"), bias = configuration.attentionBias
        isSliding = configuration.layerTypes[index] == "sliding_attention"
        func norm(_ scope: WeightScope, _ name: String, _ width: Int) throws -> RMSNorm {
            try RMSNorm(scope, name, width: width, epsilon: epsilon, weightOffset: 1)
        }
        attention = GroupedQueryAttention(
            queryKeyValue: Linear(concatenating: [
                try Linear(selfAttention, "q_proj", inFeatures: hidden, outFeatures: heads * headSize, bias: bias),
                try Linear(selfAttention, "k_proj", inFeatures: hidden, outFeatures: keyValueHeads * headSize, bias: bias),
                try Linear(selfAttention, "v_proj", inFeatures: hidden, outFeatures: keyValueHeads * headSize, bias: bias),
            ], precision: precision),
            output: try Linear(selfAttention, "o_proj", inFeatures: heads * headSize, outFeatures: hidden, bias: bias,
                               precision: precision),
            heads: heads, keyValueHeads: keyValueHeads, headSize: headSize,
            queryNorm: try norm(selfAttention, "q_norm", headSize), keyNorm: try norm(selfAttention, "k_norm", headSize),
            scale: Float(1 / configuration.queryPreAttentionScalar.squareRoot()),
            // No score soft-capping: transformers' Gemma3Attention keeps `attn_logit_softcapping` but never passes it
            // to the attention function (Gemma 2's does), and Gemma 3 checkpoints set it to null anyway.
            window: isSliding ? configuration.slidingWindow : nil, softcap: nil)
        inputLayerNorm = try norm(weights, "input_layernorm", hidden)
        postAttentionLayerNorm = try norm(weights, "post_attention_layernorm", hidden)
        preFeedForwardLayerNorm = try norm(weights, "pre_feedforward_layernorm", hidden)
        postFeedForwardLayerNorm = try norm(weights, "post_feedforward_layernorm", hidden)
        mlp = try GatedMLP(weights.scope("mlp"), hiddenSize: hidden, intermediateSize: configuration.intermediateSize,
                           activation: activation, bias: false, precision: precision)
    }

    /// Transforms `workspace.hidden` (`[tokens, hidden]`) in place.
    func forward(tokens: Int, layer: Int, cache: KVCache, rotary: RotaryAngles, workspace: DecoderWorkspace, pool: ThreadPool) {
        let width = inputLayerNorm.width
        inputLayerNorm.forward(workspace.hidden, rows: tokens, into: workspace.normed)
        attention.forward(workspace.normed, tokens: tokens, layer: layer, cache: cache, rotary: rotary, workspace: workspace, pool: pool)
        postAttentionLayerNorm.forward(workspace.projected, rows: tokens, into: workspace.projected)
        addResidual(workspace.projected, to: workspace.hidden, count: tokens * width)
        preFeedForwardLayerNorm.forward(workspace.hidden, rows: tokens, into: workspace.normed)
        mlp.forward(workspace.normed, tokens: tokens, workspace: workspace, pool: pool)
        postFeedForwardLayerNorm.forward(workspace.projected, rows: tokens, into: workspace.projected)
        addResidual(workspace.projected, to: workspace.hidden, count: tokens * width)
    }
}

// MARK: - Model

/// Gemma 3's text decoder as a causal language model (`Gemma3ForCausalLM`).
public final class Gemma3Model: CausalLanguageModel {
    /// The configuration the weights were loaded with.
    public let configuration: Gemma3Configuration
    let embedTokens: Embedding
    /// `√hidden_size` rounded to fp32 (`Gemma3TextScaledWordEmbedding.embed_scale`).
    let embeddingScale: Float
    let layers: [Gemma3DecoderLayer]
    let norm: RMSNorm
    let lmHead: Linear
    let localRotary: RotaryFrequencies, globalRotary: RotaryFrequencies
    let dimensions: DecoderDimensions

    public var vocabularySize: Int { configuration.vocabularySize }
    public var maxPositions: Int { configuration.maxPositions }

    /// Builds the model from `weights` (`model.…`, and `lm_head.weight` when untied).
    public init(configuration: Gemma3Configuration, weights: WeightStore, precision: Precision = .fp32) throws {
        try configuration.validate(source: "config.json")
        guard let activation = Activation(huggingFaceName: configuration.hiddenActivation) else {
            throw ModelError.unsupportedConfigurationValue(file: "config.json", key: "hidden_activation",
                                                           value: configuration.hiddenActivation, supported: Activation.huggingFaceNames)
        }
        let root = weights.contains("model.embed_tokens.weight") ? weights.scope("model") : weights.root
        let hidden = configuration.hiddenSize
        self.configuration = configuration
        embedTokens = try Embedding(root, "embed_tokens", count: configuration.vocabularySize, width: hidden)
        embeddingScale = Float(Double(hidden).squareRoot())
        layers = try (0..<configuration.layerCount).map { index in
            try Gemma3DecoderLayer(root.scope("layers.\(index)"), index: index, configuration, activation: activation,
                                   precision: precision)
        }
        norm = try RMSNorm(root, "norm", width: hidden, epsilon: configuration.rmsNormEpsilon, weightOffset: 1)
        lmHead = try languageModelHead(weights, tied: configuration.tieWordEmbeddings, embedding: embedTokens, precision: precision)
        localRotary = configuration.localRope.frequencies(headSize: configuration.headSize)
        globalRotary = configuration.globalRope.frequencies(headSize: configuration.headSize)
        dimensions = DecoderDimensions(
            hiddenSize: hidden, heads: configuration.attentionHeads, keyValueHeads: configuration.keyValueHeads,
            headSize: configuration.headSize, intermediateSize: configuration.intermediateSize,
            expandedWidth: 2 * configuration.intermediateSize, layerCount: configuration.layerCount,
            vocabularySize: configuration.vocabularySize, maxPositions: configuration.maxPositions,
            linearScratchBytesPerRow: DecoderDimensions.scratchBytesPerRow(
                [layers[0].attention.queryKeyValue, layers[0].attention.output, layers[0].mlp.gateUp, layers[0].mlp.down, lmHead]))
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
            let source = embedTokens.weight.pointer + id * hidden, destination = workspace.hidden + row * hidden
            for column in 0..<hidden { destination[column] = source[column] * embeddingScale }
        }
        let local = RotaryAngles(localRotary, first: cache.length, tokens: count, arena: arena)
        let global = RotaryAngles(globalRotary, first: cache.length, tokens: count, arena: arena)
        for (index, layer) in layers.enumerated() {
            layer.forward(tokens: count, layer: index, cache: cache, rotary: layer.isSliding ? local : global,
                          workspace: workspace, pool: pool)
        }
        norm.forward(workspace.hidden + (count - 1) * hidden, rows: 1, into: workspace.normed)
        lmHead.forward(workspace.normed, rows: 1, into: logits, pool: pool, scratch: workspace.linearScratch)
        if let cap = configuration.finalSoftcap.map({ Float($0) }) {
            for index in 0..<vocabularySize { logits[index] = Foundation.tanh(logits[index] / cap) * cap }
        }
        cache.advance(by: count)
    }
}

extension DecoderRegistry {
    /// `model_type` gemma3_text.
    static let gemma3 = DecoderRegistry.Family(modelTypes: ["gemma3_text"]) { checkpoint, precision in
        let configuration = try Gemma3Configuration.load(from: checkpoint.configuration, source: checkpoint.configurationSource)
        let weights = try checkpoint.openWeights()
        let model = try Gemma3Model(configuration: configuration, weights: weights, precision: precision)
        try weights.finish()
        return model
    }
}
