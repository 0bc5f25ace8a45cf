// NomicBERT encoder (`model_type` "nomic_bert": nomic-embed-text-v1 / v1.5), a port of transformers' native
// https://github.com/huggingface/transformers/blob/main/src/transformers/models/nomic_bert/modeling_nomic_bert.py
// (which loads the Hub checkpoints that Nomic's remote `modeling_hf_nomic_bert.py` wrote, renaming their weights on
// the fly: conversion_mapping.py). Post-LayerNorm layers like BERT's, with RoPE instead of position embeddings,
// no biases in attention or MLP, and a SwiGLU feed-forward block:
//   h = emb_ln(word + token_type)
//   h = norm1(h + out_proj(attention(RoPE(Wqkv(h)))));  h = norm2(h + fc2(silu(fc12(h)) · fc11(h)))
// Apus reads the Hub spelling of both the weights (`emb_ln`, `encoder.layers.N.attn.Wqkv`, `mlp.fc11`…, which
// transformers' save_pretrained writes back too) and of config.json (Nomic's GPT-2-style keys `n_embd`, `n_layer`…,
// or transformers' `hidden_size`…). Options of the remote code that transformers' port does not implement (partial or
// interleaved rotary, rotary scaling, pre-norm, biases, mixture of experts) are rejected by name.
import ApusTensor
import Foundation

// MARK: - Configuration

/// The fields of a NomicBERT `config.json` that the forward pass uses, in either spelling.
public struct NomicBertConfiguration: Decodable, Sendable, Equatable {
    /// Rows of the word-embedding matrix (`vocab_size`).
    public var vocabularySize: Int
    /// Width of every hidden state (`hidden_size` / `n_embd`).
    public var hiddenSize: Int
    /// Number of layers (`num_hidden_layers` / `n_layer`).
    public var layerCount: Int
    /// Attention heads per layer (`num_attention_heads` / `n_head`).
    public var attentionHeads: Int
    /// Width of the SwiGLU's inner activations (`intermediate_size` / `n_inner`).
    public var intermediateSize: Int
    /// The gate's activation (`hidden_act`; Nomic's `activation_function: "swiglu"` means silu).
    public var hiddenActivation: String
    /// Longest sequence: the RoPE table covers this many positions (`max_position_embeddings` / `n_positions`).
    public var maxPositions: Int
    /// Rows of the token-type table (`type_vocab_size`; 0: none).
    public var typeVocabularySize: Int
    /// ε of every LayerNorm (`layer_norm_eps` / `layer_norm_epsilon`).
    public var layerNormEpsilon: Float
    /// RoPE base (`rope_parameters.rope_theta` / `rotary_emb_base`; 1000 by default).
    public var ropeTheta: Double

    enum CodingKeys: String, CodingKey {
        case vocabularySize = "vocab_size"
        case hiddenSize = "hidden_size", nEmbd = "n_embd"
        case layerCount = "num_hidden_layers", nLayer = "n_layer"
        case attentionHeads = "num_attention_heads", nHead = "n_head"
        case intermediateSize = "intermediate_size", nInner = "n_inner"
        case hiddenActivation = "hidden_act", activationFunction = "activation_function"
        case maxPositions = "max_position_embeddings", nPositions = "n_positions"
        case typeVocabularySize = "type_vocab_size"
        case layerNormEpsilon = "layer_norm_eps", layerNormEpsilonGPT2 = "layer_norm_epsilon"
        case ropeParameters = "rope_parameters", rotaryBase = "rotary_emb_base"
        case rotaryFraction = "rotary_emb_fraction", rotaryInterleaved = "rotary_emb_interleaved"
        case rotaryScalingFactor = "rotary_scaling_factor", prenorm, causal
        case qkvBias = "qkv_proj_bias", fc1Bias = "mlp_fc1_bias", fc2Bias = "mlp_fc2_bias"
        case expertCount = "num_experts", headDimension = "head_dim", rotaryScaleBase = "rotary_emb_scale_base"
        case parallelBlock = "parallel_block", rmsNorm = "use_rms_norm", scaleByLayer = "scale_attn_by_inverse_layer_idx"
        case scaleWeights = "scale_attn_weights", vocabularyMultiple = "pad_vocab_size_multiple"
    }

    struct RopeParameters: Decodable, Equatable {
        let ropeType: String?
        let ropeTheta: Double?
        enum CodingKeys: String, CodingKey { case ropeType = "rope_type", ropeTheta = "rope_theta" }
    }

    /// Sizes are required (in either spelling); the rest default as in `transformers.NomicBertConfig`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func size(_ key: CodingKeys, _ alternative: CodingKeys) throws -> Int {
            if let value = try container.decodeIfPresent(Int.self, forKey: key) { return value }
            return try container.decode(Int.self, forKey: alternative)
        }
        vocabularySize = try container.decode(Int.self, forKey: .vocabularySize)
        // The remote model rounds the vocabulary up to `pad_vocab_size_multiple` rows, and its weights have that many.
        if let multiple = try container.decodeIfPresent(Int.self, forKey: .vocabularyMultiple), multiple > 1 {
            vocabularySize = (vocabularySize + multiple - 1) / multiple * multiple
        }
        hiddenSize = try size(.hiddenSize, .nEmbd)
        layerCount = try size(.layerCount, .nLayer)
        attentionHeads = try size(.attentionHeads, .nHead)
        // Nomic's remote config leaves `n_inner` null for 4 × n_embd, as GPT-2 does.
        intermediateSize = try container.decodeIfPresent(Int.self, forKey: .intermediateSize)
            ?? container.decodeIfPresent(Int.self, forKey: .nInner) ?? 4 * hiddenSize
        if let name = try container.decodeIfPresent(String.self, forKey: .activationFunction),
           try container.decodeIfPresent(String.self, forKey: .hiddenActivation) == nil {
            guard name == "swiglu" else {
                throw DecodingError.dataCorruptedError(forKey: .activationFunction, in: container, debugDescription:
                    "activation_function '\(name)' is not supported; Apus implements NomicBERT's 'swiglu' (transformers' port does too)")
            }
            hiddenActivation = "silu"
        } else {
            hiddenActivation = try container.decodeIfPresent(String.self, forKey: .hiddenActivation) ?? "silu"
        }
        maxPositions = try container.decodeIfPresent(Int.self, forKey: .maxPositions)
            ?? container.decodeIfPresent(Int.self, forKey: .nPositions) ?? 2048
        typeVocabularySize = try container.decodeIfPresent(Int.self, forKey: .typeVocabularySize) ?? 2
        layerNormEpsilon = try container.decodeIfPresent(Float.self, forKey: .layerNormEpsilon)
            ?? container.decodeIfPresent(Float.self, forKey: .layerNormEpsilonGPT2) ?? 1e-12
        let rope = try container.decodeIfPresent(RopeParameters.self, forKey: .ropeParameters)
        if let type = rope?.ropeType, type != "default" {
            throw DecodingError.dataCorruptedError(forKey: .ropeParameters, in: container, debugDescription:
                "rope_type '\(type)' is not supported; Apus implements 'default'")
        }
        ropeTheta = try rope?.ropeTheta ?? container.decodeIfPresent(Double.self, forKey: .rotaryBase) ?? 1000
        // The remote code's options that transformers' port (the reference) does not implement.
        func reject<Value: Decodable & Equatable>(_ key: CodingKeys, _ type: Value.Type, unless accepted: [Value?],
                                                   _ reason: String) throws {
            let value = try container.decodeIfPresent(Value.self, forKey: key)
            if !accepted.contains(value) {
                throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription:
                    "\(key.stringValue) = \(value.map { "\($0)" } ?? "null") is not supported: \(reason)")
            }
        }
        try reject(.rotaryFraction, Double.self, unless: [nil, 1.0], "Apus rotates whole heads")
        try reject(.rotaryInterleaved, Bool.self, unless: [nil, false], "Apus implements rotate_half RoPE")
        try reject(.rotaryScalingFactor, Double.self, unless: [nil], "dynamic NTK rotary scaling is not implemented")
        try reject(.rotaryScaleBase, Double.self, unless: [nil], "xPos rotary scaling is not implemented")
        try reject(.parallelBlock, Bool.self, unless: [nil, false], "Apus implements sequential attention and MLP blocks")
        try reject(.rmsNorm, Bool.self, unless: [nil, false], "Apus implements NomicBERT's LayerNorms")
        try reject(.scaleByLayer, Bool.self, unless: [nil, false], "attention is scaled by 1/√head_dim only")
        try reject(.scaleWeights, Bool.self, unless: [nil, true], "attention is scaled by 1/√head_dim")
        try reject(.prenorm, Bool.self, unless: [nil, false], "Apus implements NomicBERT's post-norm layers")
        try reject(.causal, Bool.self, unless: [nil, false], "NomicBERT encoders attend both ways")
        for key in [CodingKeys.qkvBias, .fc1Bias, .fc2Bias] {
            try reject(key, Bool.self, unless: [nil, false], "Apus implements NomicBERT without biases")
        }
        try reject(.expertCount, Int.self, unless: [nil, 0], "mixture-of-experts layers (nomic-embed-text-v2-moe) are not implemented")
        if let headDimension = try container.decodeIfPresent(Int.self, forKey: .headDimension), headDimension * attentionHeads != hiddenSize {
            throw DecodingError.dataCorruptedError(forKey: .headDimension, in: container, debugDescription:
                "head_dim \(headDimension) × \(attentionHeads) heads must equal the hidden size \(hiddenSize)")
        }
    }

    /// Reads and checks `config.json`.
    public static func load(from url: URL) throws -> NomicBertConfiguration {
        let configuration = try ConfigurationFile.decode(NomicBertConfiguration.self, from: url)
        try configuration.validate(source: url.path)
        return configuration
    }

    /// Rejects values the forward pass cannot honour, naming the key.
    public func validate(source: String) throws {
        for (key, value) in [("vocab_size", vocabularySize), ("hidden_size", hiddenSize), ("num_hidden_layers", layerCount),
                             ("num_attention_heads", attentionHeads), ("intermediate_size", intermediateSize),
                             ("max_position_embeddings", maxPositions)] where value <= 0 {
            throw ModelError.invalidConfiguration(file: source, field: key, reason: "must be positive, got \(value)")
        }
        if typeVocabularySize < 0 {
            throw ModelError.invalidConfiguration(file: source, field: "type_vocab_size", reason: "must not be negative, got \(typeVocabularySize)")
        }
        if hiddenSize % attentionHeads != 0 || (hiddenSize / attentionHeads) % 2 != 0 {
            throw ModelError.invalidConfiguration(file: source, field: "num_attention_heads",
                                                  reason: "hidden size \(hiddenSize) must split into \(attentionHeads) heads of even width (RoPE pairs)")
        }
        if Activation(huggingFaceName: hiddenActivation) == nil {
            throw ModelError.unsupportedConfigurationValue(file: source, key: "hidden_act", value: hiddenActivation,
                                                           supported: Activation.huggingFaceNames)
        }
    }
}

// MARK: - Blocks

/// The activation buffers of one forward pass, taken from the arena once per batch.
struct NomicBertWorkspace {
    let hidden: UnsafeMutablePointer<Float>     // [tokens, hidden]: layer input, then output
    let wide: UnsafeMutablePointer<Float>       // [tokens, max(3 · hidden, 2 · intermediate)]: Wqkv, then fc12 | fc11
    let context: UnsafeMutablePointer<Float>    // [tokens, max(hidden, intermediate)]: attention output, then SwiGLU output
    let projected: UnsafeMutablePointer<Float>  // [tokens, hidden]: out_proj / fc2 output before its LayerNorm
    let attended: UnsafeMutablePointer<Float>   // [tokens, hidden]: the attention block's output
    let attentionScratch: UnsafeMutablePointer<Float>
    let linearScratch: UnsafeMutableRawPointer
}

/// `NomicBertLayer` (Hub names: `attn.Wqkv`, `attn.out_proj`, `norm1`, `mlp.fc11` (up), `mlp.fc12` (gate), `mlp.fc2`,
/// `norm2`).
struct NomicBertLayer: Sendable {
    let queryKeyValue: Linear   // Wqkv: hidden → 3 · hidden, no bias
    let attentionOutput: Linear // out_proj
    let attentionNorm: LayerNorm // norm1
    /// fc12 (gate) and fc11 (up) fused, gate first: `gatedActivation` applies the activation to the first half.
    let gateUp: Linear
    let down: Linear            // fc2
    let mlpNorm: LayerNorm      // norm2
    let activation: Activation
    let heads: Int
    let rotary: RotaryTable

    init(_ weights: WeightScope, _ configuration: NomicBertConfiguration, rotary: RotaryTable, activation: Activation,
         precision: Precision) throws {
        let hidden = configuration.hiddenSize, inner = configuration.intermediateSize
        let attention = weights.scope("attn"), mlp = weights.scope("mlp")
        queryKeyValue = try Linear(attention, "Wqkv", inFeatures: hidden, outFeatures: 3 * hidden, bias: false, precision: precision)
        attentionOutput = try Linear(attention, "out_proj", inFeatures: hidden, outFeatures: hidden, bias: false, precision: precision)
        attentionNorm = try LayerNorm(weights, "norm1", width: hidden, epsilon: configuration.layerNormEpsilon)
        gateUp = Linear(concatenating: [try Linear(mlp, "fc12", inFeatures: hidden, outFeatures: inner, bias: false),
                                        try Linear(mlp, "fc11", inFeatures: hidden, outFeatures: inner, bias: false)],
                        precision: precision)
        down = try Linear(mlp, "fc2", inFeatures: inner, outFeatures: hidden, bias: false, precision: precision)
        mlpNorm = try LayerNorm(weights, "norm2", width: hidden, epsilon: configuration.layerNormEpsilon)
        self.activation = activation
        heads = configuration.attentionHeads
        self.rotary = rotary
    }

    /// Transforms `workspace.hidden` in place.
    func forward(_ batch: TokenBatch, _ workspace: NomicBertWorkspace, pool: ThreadPool) {
        let tokens = batch.totalTokens, width = attentionOutput.outFeatures, headSize = width / heads, qkv = workspace.wide
        queryKeyValue.forward(workspace.hidden, rows: tokens, into: qkv, pool: pool, scratch: workspace.linearScratch)
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
        packedAttention(operands, sequenceOffsets: batch.sequenceOffsets, scratch: workspace.attentionScratch, pool: pool)
        attentionOutput.forward(workspace.context, rows: tokens, into: workspace.projected, pool: pool, scratch: workspace.linearScratch)
        attentionNorm.forward(workspace.projected, residual: workspace.hidden, rows: tokens, into: workspace.attended, pool: pool)

        gateUp.forward(workspace.attended, rows: tokens, into: workspace.wide, pool: pool, scratch: workspace.linearScratch)
        gatedActivation(activation, workspace.wide, rows: tokens, width: down.inFeatures, output: workspace.context)
        down.forward(workspace.context, rows: tokens, into: workspace.projected, pool: pool, scratch: workspace.linearScratch)
        mlpNorm.forward(workspace.projected, residual: workspace.attended, rows: tokens, into: workspace.hidden, pool: pool)
    }
}

// MARK: - Model

/// A NomicBERT encoder: token ids in, last hidden states `[totalTokens, hiddenSize]` out.
public final class NomicBertModel: TextEncoder {
    /// The configuration the weights were loaded with.
    public let configuration: NomicBertConfiguration
    let wordEmbeddings: Embedding
    /// Nil when `type_vocab_size` is 0.
    let tokenTypeEmbeddings: Embedding?
    let embeddingNorm: LayerNorm
    let layers: [NomicBertLayer]

    public var hiddenSize: Int { configuration.hiddenSize }
    public var maxPositions: Int { configuration.maxPositions }

    /// Builds the encoder from `weights` (Hub names, optionally under the `nomic_bert.` prefix of transformers' task
    /// checkpoints); heads are left for the caller.
    public init(configuration: NomicBertConfiguration, weights: WeightStore, precision: Precision = .fp32) throws {
        try configuration.validate(source: "config.json")
        guard let activation = Activation(huggingFaceName: configuration.hiddenActivation) else {
            throw ModelError.unsupportedConfigurationValue(file: "config.json", key: "hidden_act",
                                                           value: configuration.hiddenActivation, supported: Activation.huggingFaceNames)
        }
        let root = weights.contains("nomic_bert.embeddings.word_embeddings.weight") ? weights.scope("nomic_bert") : weights.root
        let hidden = configuration.hiddenSize
        self.configuration = configuration
        wordEmbeddings = try Embedding(root.scope("embeddings"), "word_embeddings", count: configuration.vocabularySize, width: hidden)
        tokenTypeEmbeddings = configuration.typeVocabularySize > 0
            ? try Embedding(root.scope("embeddings"), "token_type_embeddings", count: configuration.typeVocabularySize, width: hidden)
            : nil
        embeddingNorm = try LayerNorm(root, "emb_ln", width: hidden, epsilon: configuration.layerNormEpsilon)
        let rotary = RotaryEmbedding(rotaryDimensions: hidden / configuration.attentionHeads, base: configuration.ropeTheta)
            .table(positions: configuration.maxPositions)
        layers = try (0..<configuration.layerCount).map { index in
            try NomicBertLayer(root.scope("encoder.layers.\(index)"), configuration, rotary: rotary, activation: activation,
                               precision: precision)
        }
        if !root.prefix.isEmpty {
            for head in ["cls.", "classifier.", "pooler."] { weights.markUnused(prefix: head) }
        }
    }

    /// Runs the encoder on a packed batch, writing `[totalTokens, hiddenSize]` to `output`; activations live in
    /// `arena`, so once the arena has seen a batch this large the pass allocates nothing.
    public func encode(_ batch: TokenBatch, into output: UnsafeMutablePointer<Float>, pool: ThreadPool,
                       arena: ActivationArena) throws {
        let tokens = batch.totalTokens
        guard tokens > 0 else { return }
        for id in batch.tokenIds where id < 0 || id >= wordEmbeddings.count {
            throw ModelError.tokenIdOutOfRange(id: id, vocabularySize: wordEmbeddings.count)
        }
        if let tokenTypeEmbeddings {
            for id in batch.typeIds where id < 0 || id >= tokenTypeEmbeddings.count {
                throw ModelError.inconsistentBatch(reason: "token type id \(id) is outside 0..<\(tokenTypeEmbeddings.count)")
            }
        }
        if batch.longestSequence > maxPositions {
            throw ModelError.sequenceTooLong(length: batch.longestSequence, maximum: maxPositions)
        }
        arena.reset()
        let hidden = hiddenSize, inner = configuration.intermediateSize
        let linearScratchBytes = layers.first.map { layer in
            max(layer.queryKeyValue.scratchBytes(rows: tokens), layer.down.scratchBytes(rows: tokens))
        } ?? 0
        let workspace = NomicBertWorkspace(
            hidden: arena.floats(tokens * hidden),
            wide: arena.floats(tokens * max(3 * hidden, 2 * inner)),
            context: arena.floats(tokens * max(hidden, inner)),
            projected: arena.floats(tokens * hidden),
            attended: arena.floats(tokens * hidden),
            attentionScratch: arena.floats(attentionScratchCount(longestSequence: batch.longestSequence,
                                                                 headSize: hidden / configuration.attentionHeads,
                                                                 threads: pool.threadCount)),
            linearScratch: UnsafeMutableRawPointer(arena.floats((linearScratchBytes + 3) / 4)))
        workspace.hidden.update(repeating: 0, count: tokens * hidden)
        for token in 0..<tokens {
            let row = workspace.hidden + token * hidden
            wordEmbeddings.accumulate(row: batch.tokenIds[token], into: row)
            tokenTypeEmbeddings?.accumulate(row: batch.typeIds[token], into: row)
        }
        embeddingNorm.forward(workspace.hidden, rows: tokens, into: workspace.hidden, pool: pool)
        for layer in layers {
            layer.forward(batch, workspace, pool: pool)
        }
        output.update(from: workspace.hidden, count: tokens * hidden)
    }
}

extension ModelRegistry {
    /// `model_type` "nomic_bert".
    static let nomicBert = ModelRegistry.Family(modelTypes: ["nomic_bert"]) { directory, configurationURL, precision in
        let configuration = try NomicBertConfiguration.load(from: configurationURL)
        let weights = try WeightStore(directory: directory)
        let model = try NomicBertModel(configuration: configuration, weights: weights, precision: precision)
        try weights.finish()
        return model
    }
}
