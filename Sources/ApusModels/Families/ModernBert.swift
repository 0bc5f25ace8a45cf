// ModernBERT encoder (ModernBertModel), a port of
// https://github.com/huggingface/transformers/blob/main/src/transformers/models/modernbert/modeling_modernbert.py
// running on packed batches (see TokenBatch; ModernBERT itself was trained unpadded). Pre-norm layers, no biases
// by default, RoPE instead of position embeddings, GeGLU feed-forward, and attention that alternates between
// global layers and local layers that see only `local_attention / 2` tokens on each side:
//   h = LayerNorm(tok_embeddings(ids))
//   h = h + Wo(attention(RoPE(Wqkv(attn_norm(h)))))        attn_norm is the identity in layer 0
//   h = h + Wo(act(input) · gate),  input, gate = Wi(mlp_norm(h)).chunk(2)
//   out = final_norm(h)
import ApusTensor
import Foundation

// MARK: - Configuration

/// The fields of a ModernBERT `config.json` that the forward pass uses.
public struct ModernBertConfiguration: Decodable, Sendable, Equatable {
    /// Rows of the token-embedding matrix (`vocab_size`).
    public var vocabularySize: Int
    /// Width of every hidden state (`hidden_size`).
    public var hiddenSize: Int
    /// Width of the GeGLU's inner activations (`intermediate_size`); `Wi` produces twice this.
    public var intermediateSize: Int
    /// Number of layers (`num_hidden_layers`).
    public var layerCount: Int
    /// Attention heads per layer (`num_attention_heads`).
    public var attentionHeads: Int
    /// Feed-forward activation (`hidden_activation`).
    public var hiddenActivation: String
    /// Longest sequence (`max_position_embeddings`): the RoPE tables cover this many positions.
    public var maxPositions: Int
    /// ε of every LayerNorm (`norm_eps`).
    public var normEpsilon: Float
    /// Whether the LayerNorms, Linear layers of attention and of the MLP carry biases.
    public var normBias: Bool, attentionBias: Bool, mlpBias: Bool
    /// Total width of a local layer's window (`local_attention`): each token sees half of it on each side.
    public var localAttention: Int
    /// `full_attention` or `sliding_attention` per layer (`layer_types`, or derived from
    /// `global_attn_every_n_layers` as transformers does for older files).
    public var layerTypes: [String]
    /// RoPE bases of global and local layers (`rope_parameters`, or `global_rope_theta` / `local_rope_theta`).
    public var globalRopeTheta: Double, localRopeTheta: Double
    /// Task heads only (`ModernBertPredictionHead`, `ModernBertForSequenceClassification`): the activation after
    /// `head.dense` (`classifier_activation`), whether `head.dense` has a bias (`classifier_bias`), and how a
    /// sequence is pooled for classification (`classifier_pooling`, "cls" or "mean").
    public var classifierActivation: String, classifierBias: Bool, classifierPooling: String
    /// Whether `ModernBertForMaskedLM.decoder` has a bias (`decoder_bias`).
    public var decoderBias: Bool

    enum CodingKeys: String, CodingKey {
        case vocabularySize = "vocab_size"
        case hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size"
        case layerCount = "num_hidden_layers"
        case attentionHeads = "num_attention_heads"
        case hiddenActivation = "hidden_activation"
        case maxPositions = "max_position_embeddings"
        case normEpsilon = "norm_eps"
        case normBias = "norm_bias"
        case attentionBias = "attention_bias"
        case mlpBias = "mlp_bias"
        case localAttention = "local_attention"
        case layerTypes = "layer_types"
        case globalAttentionEvery = "global_attn_every_n_layers"
        case ropeParameters = "rope_parameters"
        case globalRopeTheta = "global_rope_theta"
        case localRopeTheta = "local_rope_theta"
        case classifierActivation = "classifier_activation"
        case classifierBias = "classifier_bias"
        case classifierPooling = "classifier_pooling"
        case decoderBias = "decoder_bias"
    }

    struct RopeParameters: Decodable, Equatable {
        let ropeType: String?
        let ropeTheta: Double?
        enum CodingKeys: String, CodingKey { case ropeType = "rope_type", ropeTheta = "rope_theta" }
    }

    /// Sizes are required; the rest default as in `transformers.ModernBertConfig`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        vocabularySize = try container.decode(Int.self, forKey: .vocabularySize)
        hiddenSize = try container.decode(Int.self, forKey: .hiddenSize)
        intermediateSize = try container.decode(Int.self, forKey: .intermediateSize)
        layerCount = try container.decode(Int.self, forKey: .layerCount)
        attentionHeads = try container.decode(Int.self, forKey: .attentionHeads)
        hiddenActivation = try container.decodeIfPresent(String.self, forKey: .hiddenActivation) ?? "gelu"
        maxPositions = try container.decodeIfPresent(Int.self, forKey: .maxPositions) ?? 8192
        normEpsilon = try container.decodeIfPresent(Float.self, forKey: .normEpsilon) ?? 1e-5
        normBias = try container.decodeIfPresent(Bool.self, forKey: .normBias) ?? false
        attentionBias = try container.decodeIfPresent(Bool.self, forKey: .attentionBias) ?? false
        mlpBias = try container.decodeIfPresent(Bool.self, forKey: .mlpBias) ?? false
        localAttention = try container.decodeIfPresent(Int.self, forKey: .localAttention) ?? 128
        if let types = try container.decodeIfPresent([String].self, forKey: .layerTypes) {
            layerTypes = types
        } else {
            let every = try container.decodeIfPresent(Int.self, forKey: .globalAttentionEvery) ?? 3
            guard every > 0 else {
                throw DecodingError.dataCorruptedError(forKey: .globalAttentionEvery, in: container, debugDescription: "must be positive")
            }
            layerTypes = (0..<layerCount).map { $0 % every == 0 ? "full_attention" : "sliding_attention" }
        }
        let rope = try container.decodeIfPresent([String: RopeParameters].self, forKey: .ropeParameters) ?? [:]
        for (layerType, parameters) in rope where (parameters.ropeType ?? "default") != "default" {
            throw DecodingError.dataCorruptedError(forKey: .ropeParameters, in: container, debugDescription:
                "rope_type '\(parameters.ropeType ?? "")' for \(layerType) is not supported; Apus implements 'default'")
        }
        globalRopeTheta = try rope["full_attention"]?.ropeTheta
            ?? container.decodeIfPresent(Double.self, forKey: .globalRopeTheta) ?? 160_000
        localRopeTheta = try rope["sliding_attention"]?.ropeTheta
            ?? container.decodeIfPresent(Double.self, forKey: .localRopeTheta) ?? 10_000
        classifierActivation = try container.decodeIfPresent(String.self, forKey: .classifierActivation) ?? "gelu"
        classifierBias = try container.decodeIfPresent(Bool.self, forKey: .classifierBias) ?? false
        classifierPooling = try container.decodeIfPresent(String.self, forKey: .classifierPooling) ?? "cls"
        decoderBias = try container.decodeIfPresent(Bool.self, forKey: .decoderBias) ?? true
    }

    /// Reads and checks `config.json`.
    public static func load(from url: URL) throws -> ModernBertConfiguration {
        let configuration = try ConfigurationFile.decode(ModernBertConfiguration.self, from: url)
        try configuration.validate(source: url.path)
        return configuration
    }

    /// Rejects values the forward pass cannot honour, naming the key.
    public func validate(source: String) throws {
        for (key, value) in [("vocab_size", vocabularySize), ("hidden_size", hiddenSize), ("intermediate_size", intermediateSize),
                             ("num_hidden_layers", layerCount), ("num_attention_heads", attentionHeads),
                             ("max_position_embeddings", maxPositions), ("local_attention", localAttention)] where value <= 0 {
            throw ModelError.invalidConfiguration(file: source, field: key, reason: "must be positive, got \(value)")
        }
        if hiddenSize % attentionHeads != 0 || (hiddenSize / attentionHeads) % 2 != 0 {
            throw ModelError.invalidConfiguration(file: source, field: "num_attention_heads",
                                                  reason: "hidden_size \(hiddenSize) must split into \(attentionHeads) heads of even width (RoPE pairs)")
        }
        if layerTypes.count != layerCount {
            throw ModelError.invalidConfiguration(file: source, field: "layer_types",
                                                  reason: "has \(layerTypes.count) entries for \(layerCount) layers")
        }
        for type in layerTypes where type != "full_attention" && type != "sliding_attention" {
            throw ModelError.unsupportedConfigurationValue(file: source, key: "layer_types", value: type,
                                                           supported: ["full_attention", "sliding_attention"])
        }
        if Activation(huggingFaceName: hiddenActivation) == nil {
            throw ModelError.unsupportedConfigurationValue(file: source, key: "hidden_activation", value: hiddenActivation,
                                                           supported: Activation.huggingFaceNames)
        }
    }
}

// MARK: - Blocks

/// The activation buffers of one forward pass, taken from the arena once per batch.
struct ModernBertWorkspace {
    let hidden: UnsafeMutablePointer<Float>     // [tokens, hidden]: the residual stream
    let normed: UnsafeMutablePointer<Float>     // [tokens, hidden]: a norm's output, the next block's input
    let wide: UnsafeMutablePointer<Float>       // [tokens, max(3 · hidden, 2 · intermediate)]: Wqkv, then Wi output
    let context: UnsafeMutablePointer<Float>    // [tokens, max(hidden, intermediate)]: attention output, then GeGLU output
    let projected: UnsafeMutablePointer<Float>  // [tokens, hidden]: Wo outputs before the residual add
    let attentionScratch: UnsafeMutablePointer<Float>
    let linearScratch: UnsafeMutableRawPointer

    init(arena: ActivationArena, tokens: Int, longestSequence: Int, configuration: ModernBertConfiguration, threads: Int,
         linearScratchBytes: Int) {
        let hidden = configuration.hiddenSize, inner = configuration.intermediateSize
        self.hidden = arena.floats(tokens * hidden)
        normed = arena.floats(tokens * hidden)
        wide = arena.floats(tokens * max(3 * hidden, 2 * inner))
        context = arena.floats(tokens * max(hidden, inner))
        projected = arena.floats(tokens * hidden)
        attentionScratch = arena.floats(attentionScratchCount(longestSequence: longestSequence,
                                                              headSize: hidden / configuration.attentionHeads, threads: threads))
        linearScratch = UnsafeMutableRawPointer(arena.floats((linearScratchBytes + 3) / 4))
    }
}

/// `ModernBertEncoderLayer`: pre-norm attention (global or local) and GeGLU feed-forward, each added to the stream.
struct ModernBertLayer: Sendable {
    /// Nil in layer 0, whose `attn_norm` is the identity (the embeddings were just normalised).
    let attentionNorm: LayerNorm?
    let queryKeyValue: Linear   // Wqkv
    let attentionOutput: Linear // attn.Wo
    let mlpNorm: LayerNorm
    let inputGate: Linear       // Wi: hidden → 2 · intermediate (input | gate)
    let mlpOutput: Linear       // mlp.Wo
    let activation: Activation
    let heads: Int
    let mask: AttentionMask
    let rotary: RotaryTable

    init(_ weights: WeightScope, index: Int, _ configuration: ModernBertConfiguration, rotary: RotaryTable,
         activation: Activation, precision: Precision) throws {
        let hidden = configuration.hiddenSize, inner = configuration.intermediateSize
        let epsilon = configuration.normEpsilon, normBias = configuration.normBias
        attentionNorm = index == 0 ? nil : try LayerNorm(weights, "attn_norm", width: hidden, epsilon: epsilon, bias: normBias)
        let attention = weights.scope("attn")
        queryKeyValue = try Linear(attention, "Wqkv", inFeatures: hidden, outFeatures: 3 * hidden,
                                   bias: configuration.attentionBias, precision: precision)
        attentionOutput = try Linear(attention, "Wo", inFeatures: hidden, outFeatures: hidden,
                                     bias: configuration.attentionBias, precision: precision)
        mlpNorm = try LayerNorm(weights, "mlp_norm", width: hidden, epsilon: epsilon, bias: normBias)
        let mlp = weights.scope("mlp")
        inputGate = try Linear(mlp, "Wi", inFeatures: hidden, outFeatures: 2 * inner, bias: configuration.mlpBias, precision: precision)
        mlpOutput = try Linear(mlp, "Wo", inFeatures: inner, outFeatures: hidden, bias: configuration.mlpBias, precision: precision)
        self.activation = activation
        heads = configuration.attentionHeads
        // transformers' bidirectional sliding-window mask: |i − j| ≤ local_attention / 2.
        mask = configuration.layerTypes[index] == "sliding_attention"
            ? AttentionMask(causal: false, window: configuration.localAttention / 2) : .none
        self.rotary = rotary
    }

    /// Transforms `workspace.hidden` in place.
    func forward(_ batch: TokenBatch, _ workspace: ModernBertWorkspace, pool: ThreadPool) {
        let tokens = batch.totalTokens, width = attentionOutput.outFeatures, headSize = width / heads
        let inner = mlpOutput.inFeatures
        let attentionInput: UnsafePointer<Float>
        if let attentionNorm {
            attentionNorm.forward(workspace.hidden, rows: tokens, into: workspace.normed, pool: pool)
            attentionInput = UnsafePointer(workspace.normed)
        } else {
            attentionInput = UnsafePointer(workspace.hidden)
        }
        let qkv = workspace.wide
        queryKeyValue.forward(attentionInput, rows: tokens, into: qkv, pool: pool, scratch: workspace.linearScratch)
        // RoPE on queries and keys; positions restart at 0 in every sequence of the packed batch.
        for sequence in 0..<batch.sequenceCount {
            let first = batch.sequenceOffsets[sequence], length = batch.sequenceLengths[sequence]
            for part in 0..<2 { // queries, keys
                rotary.apply(to: qkv + first * 3 * width + part * width, rows: length, rowStride: 3 * width,
                             heads: heads, headSize: headSize)
            }
        }
        let operands = AttentionOperands(query: qkv, key: qkv + width, value: qkv + 2 * width, inputStride: 3 * width,
                                         output: workspace.context, outputStride: width, heads: heads, headSize: headSize)
        packedAttention(operands, sequenceOffsets: batch.sequenceOffsets, mask: mask, scratch: workspace.attentionScratch, pool: pool)
        attentionOutput.forward(workspace.context, rows: tokens, into: workspace.projected, pool: pool, scratch: workspace.linearScratch)
        addInPlace(workspace.hidden, workspace.projected, count: tokens * width)

        mlpNorm.forward(workspace.hidden, rows: tokens, into: workspace.normed, pool: pool)
        inputGate.forward(workspace.normed, rows: tokens, into: workspace.wide, pool: pool, scratch: workspace.linearScratch)
        gatedActivation(activation, workspace.wide, rows: tokens, width: inner, output: workspace.context)
        mlpOutput.forward(workspace.context, rows: tokens, into: workspace.projected, pool: pool, scratch: workspace.linearScratch)
        addInPlace(workspace.hidden, workspace.projected, count: tokens * width)
    }

    private func addInPlace(_ target: UnsafeMutablePointer<Float>, _ addend: UnsafePointer<Float>, count: Int) {
        for index in 0..<count { target[index] += addend[index] }
    }
}

// MARK: - Model

/// A ModernBERT encoder: token ids in, last hidden states `[totalTokens, hiddenSize]` out (after `final_norm`).
public final class ModernBertModel: TextEncoder {
    /// The configuration the weights were loaded with.
    public let configuration: ModernBertConfiguration
    let tokenEmbeddings: Embedding
    let embeddingNorm: LayerNorm
    let layers: [ModernBertLayer]
    let finalNorm: LayerNorm

    public var hiddenSize: Int { configuration.hiddenSize }
    public var maxPositions: Int { configuration.maxPositions }

    /// Builds the encoder from `weights`, whose names may carry the `model.` prefix of task checkpoints
    /// (`ModernBertForMaskedLM` …); heads are left for the caller.
    public init(configuration: ModernBertConfiguration, weights: WeightStore, precision: Precision = .fp32) throws {
        try configuration.validate(source: "config.json")
        guard let activation = Activation(huggingFaceName: configuration.hiddenActivation) else {
            throw ModelError.unsupportedConfigurationValue(file: "config.json", key: "hidden_activation",
                                                           value: configuration.hiddenActivation, supported: Activation.huggingFaceNames)
        }
        let root = weights.contains("model.embeddings.tok_embeddings.weight") ? weights.scope("model") : weights.root
        let hidden = configuration.hiddenSize, headSize = hidden / configuration.attentionHeads
        self.configuration = configuration
        tokenEmbeddings = try Embedding(root.scope("embeddings"), "tok_embeddings", count: configuration.vocabularySize, width: hidden)
        embeddingNorm = try LayerNorm(root.scope("embeddings"), "norm", width: hidden, epsilon: configuration.normEpsilon,
                                      bias: configuration.normBias)
        let globalRotary = RotaryEmbedding(rotaryDimensions: headSize, base: configuration.globalRopeTheta).table(positions: configuration.maxPositions)
        let localRotary = RotaryEmbedding(rotaryDimensions: headSize, base: configuration.localRopeTheta).table(positions: configuration.maxPositions)
        layers = try (0..<configuration.layerCount).map { index in
            try ModernBertLayer(root.scope("layers.\(index)"), index: index, configuration,
                                rotary: configuration.layerTypes[index] == "sliding_attention" ? localRotary : globalRotary,
                                activation: activation, precision: precision)
        }
        finalNorm = try LayerNorm(root, "final_norm", width: hidden, epsilon: configuration.normEpsilon, bias: configuration.normBias)
        // Task heads of ModernBertFor… checkpoints (the MLM head and decoder, classifier heads) are not the encoder's.
        if !root.prefix.isEmpty {
            for head in ["head.", "decoder.", "classifier.", "drop."] { weights.markUnused(prefix: head) }
        }
    }

    /// Runs the encoder on a packed batch, writing `[totalTokens, hiddenSize]` to `output`; activations live in
    /// `arena`, so once the arena has seen a batch this large the pass allocates nothing.
    public func encode(_ batch: TokenBatch, into output: UnsafeMutablePointer<Float>, pool: ThreadPool,
                       arena: ActivationArena) throws {
        let tokens = batch.totalTokens
        guard tokens > 0 else { return }
        for id in batch.tokenIds where id < 0 || id >= tokenEmbeddings.count {
            throw ModelError.tokenIdOutOfRange(id: id, vocabularySize: tokenEmbeddings.count)
        }
        if batch.longestSequence > maxPositions {
            throw ModelError.sequenceTooLong(length: batch.longestSequence, maximum: maxPositions)
        }
        arena.reset()
        let linearScratchBytes = layers.first.map { layer in
            max(layer.queryKeyValue.scratchBytes(rows: tokens), layer.inputGate.scratchBytes(rows: tokens),
                layer.mlpOutput.scratchBytes(rows: tokens)) // not an array: that would allocate on every pass
        } ?? 0
        let workspace = ModernBertWorkspace(arena: arena, tokens: tokens, longestSequence: batch.longestSequence,
                                            configuration: configuration, threads: pool.threadCount,
                                            linearScratchBytes: linearScratchBytes)
        let hidden = hiddenSize
        workspace.hidden.update(repeating: 0, count: tokens * hidden)
        for token in 0..<tokens {
            tokenEmbeddings.accumulate(row: batch.tokenIds[token], into: workspace.hidden + token * hidden)
        }
        embeddingNorm.forward(workspace.hidden, rows: tokens, into: workspace.hidden, pool: pool)
        for layer in layers {
            layer.forward(batch, workspace, pool: pool)
        }
        finalNorm.forward(workspace.hidden, rows: tokens, into: output, pool: pool)
    }
}

extension ModelRegistry {
    /// `model_type` "modernbert".
    static let modernBert = ModelRegistry.Family(modelTypes: ["modernbert"]) { directory, configurationURL, precision in
        let configuration = try ModernBertConfiguration.load(from: configurationURL)
        let weights = try WeightStore(directory: directory)
        let model = try ModernBertModel(configuration: configuration, weights: weights, precision: precision)
        try weights.finish()
        return model
    }
}
