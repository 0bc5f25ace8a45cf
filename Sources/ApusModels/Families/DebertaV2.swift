// DeBERTa-v2 / DeBERTa-v3 encoder (DebertaV2Model, `model_type` "deberta-v2"), a port of
// https://github.com/huggingface/transformers/blob/main/src/transformers/models/deberta_v2/modeling_deberta_v2.py
// running on packed batches (see TokenBatch). Post-LayerNorm layers like BERT's (Bert.swift), with these changes:
//   - embeddings: word (+ absolute position when `position_biased_input`) (+ token type when `type_vocab_size` > 0),
//     at `embedding_size`, then `embed_proj` to the hidden width when that differs, then LayerNorm;
//   - attention is disentangled: besides content·content, every score gets content·position (c2p) and
//     position·content (p2c) terms read from relative-position embeddings (`encoder.rel_embeddings`, optionally
//     normalised by `encoder.LayerNorm`), clamped at `max_relative_positions` or log-bucketed into
//     `position_buckets` (DeBERTa-v3), all scaled by 1/√(headSize · (1 + number of terms)); see
//     ApusTensor/Kernels/DisentangledAttention.swift;
//   - DeBERTa-v2-xlarge's ConvLayer: after layer 0, h = LayerNorm(h + act(conv1d(embeddings))).
// The position projections of the relative embeddings do not depend on the input, so they are computed once at load.
import ApusTensor
import Foundation

// MARK: - Configuration

/// The fields of a DeBERTa-v2 `config.json` that the forward pass and the heads use.
public struct DebertaV2Configuration: Decodable, Sendable, Equatable {
    /// Rows of the word-embedding matrix (`vocab_size`).
    public var vocabularySize: Int
    /// Width of every hidden state (`hidden_size`).
    public var hiddenSize: Int
    /// Number of encoder layers (`num_hidden_layers`).
    public var layerCount: Int
    /// Attention heads per layer (`num_attention_heads`).
    public var attentionHeads: Int
    /// Width of the feed-forward block (`intermediate_size`).
    public var intermediateSize: Int
    /// Feed-forward activation (`hidden_act`), also the masked-LM head's.
    public var hiddenActivation: String
    /// Rows of the absolute position table, and the longest sequence Apus accepts (`max_position_embeddings`).
    public var maxPositions: Int
    /// Rows of the token-type table; 0 (DeBERTa's default) means no token types (`type_vocab_size`).
    public var typeVocabularySize: Int
    /// ε of every LayerNorm (`layer_norm_eps`).
    public var layerNormEpsilon: Float
    /// Width of the embedding tables (`embedding_size`; `hidden_size` when absent).
    public var embeddingSize: Int
    /// Whether absolute position embeddings are added to the word embeddings (`position_biased_input`).
    public var positionBiasedInput: Bool
    /// Whether attention has the relative-position terms (`relative_attention`).
    public var relativeAttention: Bool
    /// Distances are clamped at this (`max_relative_positions`; below 1 means `max_position_embeddings`).
    public var maxRelativePositions: Int
    /// Log-bucket count of DeBERTa-v3 (`position_buckets`; 0 or less: no buckets).
    public var positionBuckets: Int
    /// Which relative terms attention has (`pos_att_type`, a list or a "p2c|c2p" string): "c2p" and/or "p2c".
    /// transformers ignores any other entry, and so does Apus.
    public var positionAttentionTypes: [String]
    /// Whether the relative embeddings go through the content key/query projections (`share_att_key`) instead of
    /// their own `pos_key_proj` / `pos_query_proj`.
    public var sharesAttentionKey: Bool
    /// `norm_rel_ebd` split at "|": "layer_norm" normalises the relative embeddings.
    public var relativeEmbeddingNorm: [String]
    /// Kernel width of the ConvLayer after layer 0 (`conv_kernel_size`; 0: none), its groups and activation.
    public var convolutionKernelSize: Int, convolutionGroups: Int, convolutionActivation: String
    /// Width and activation of the classification pooler (`pooler_hidden_size`, `pooler_hidden_act`).
    public var poolerHiddenSize: Int, poolerHiddenActivation: String
    /// Which masked-LM head the checkpoint has (`legacy`): `cls.predictions` when true, `lm_predictions.lm_head`
    /// when false.
    public var legacyMaskedLanguageHead: Bool

    enum CodingKeys: String, CodingKey {
        case vocabularySize = "vocab_size"
        case hiddenSize = "hidden_size"
        case layerCount = "num_hidden_layers"
        case attentionHeads = "num_attention_heads"
        case intermediateSize = "intermediate_size"
        case hiddenActivation = "hidden_act"
        case maxPositions = "max_position_embeddings"
        case typeVocabularySize = "type_vocab_size"
        case layerNormEpsilon = "layer_norm_eps"
        case embeddingSize = "embedding_size"
        case positionBiasedInput = "position_biased_input"
        case relativeAttention = "relative_attention"
        case maxRelativePositions = "max_relative_positions"
        case positionBuckets = "position_buckets"
        case positionAttentionTypes = "pos_att_type"
        case sharesAttentionKey = "share_att_key"
        case relativeEmbeddingNorm = "norm_rel_ebd"
        case convolutionKernelSize = "conv_kernel_size"
        case convolutionGroups = "conv_groups"
        case convolutionActivation = "conv_act"
        case poolerHiddenSize = "pooler_hidden_size"
        case poolerHiddenActivation = "pooler_hidden_act"
        case legacyMaskedLanguageHead = "legacy"
        case attentionHeadSize = "attention_head_size"
    }

    /// Sizes are required; the rest default as in `transformers.DebertaV2Config` and the `getattr` defaults of
    /// modeling_deberta_v2.py.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        vocabularySize = try container.decode(Int.self, forKey: .vocabularySize)
        hiddenSize = try container.decode(Int.self, forKey: .hiddenSize)
        layerCount = try container.decode(Int.self, forKey: .layerCount)
        attentionHeads = try container.decode(Int.self, forKey: .attentionHeads)
        intermediateSize = try container.decode(Int.self, forKey: .intermediateSize)
        hiddenActivation = try container.decodeIfPresent(String.self, forKey: .hiddenActivation) ?? "gelu"
        maxPositions = try container.decodeIfPresent(Int.self, forKey: .maxPositions) ?? 512
        typeVocabularySize = try container.decodeIfPresent(Int.self, forKey: .typeVocabularySize) ?? 0
        layerNormEpsilon = try container.decodeIfPresent(Float.self, forKey: .layerNormEpsilon) ?? 1e-7
        embeddingSize = try container.decodeIfPresent(Int.self, forKey: .embeddingSize) ?? hiddenSize
        positionBiasedInput = try container.decodeIfPresent(Bool.self, forKey: .positionBiasedInput) ?? true
        relativeAttention = try container.decodeIfPresent(Bool.self, forKey: .relativeAttention) ?? false
        maxRelativePositions = try container.decodeIfPresent(Int.self, forKey: .maxRelativePositions) ?? -1
        positionBuckets = try container.decodeIfPresent(Int.self, forKey: .positionBuckets) ?? -1
        if let list = try? container.decodeIfPresent([String].self, forKey: .positionAttentionTypes) {
            positionAttentionTypes = list
        } else {
            // Older configs write "p2c|c2p"; DebertaV2Config splits it the same way.
            let joined = try container.decodeIfPresent(String.self, forKey: .positionAttentionTypes) ?? ""
            positionAttentionTypes = joined.lowercased().split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        sharesAttentionKey = try container.decodeIfPresent(Bool.self, forKey: .sharesAttentionKey) ?? false
        relativeEmbeddingNorm = (try container.decodeIfPresent(String.self, forKey: .relativeEmbeddingNorm) ?? "none")
            .lowercased().split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        convolutionKernelSize = try container.decodeIfPresent(Int.self, forKey: .convolutionKernelSize) ?? 0
        convolutionGroups = try container.decodeIfPresent(Int.self, forKey: .convolutionGroups) ?? 1
        convolutionActivation = try container.decodeIfPresent(String.self, forKey: .convolutionActivation) ?? "tanh"
        poolerHiddenSize = try container.decodeIfPresent(Int.self, forKey: .poolerHiddenSize) ?? hiddenSize
        poolerHiddenActivation = try container.decodeIfPresent(String.self, forKey: .poolerHiddenActivation) ?? "gelu"
        legacyMaskedLanguageHead = try container.decodeIfPresent(Bool.self, forKey: .legacyMaskedLanguageHead) ?? true
        // `attention_head_size` may override hidden / heads upstream, but the output projection is hidden → hidden,
        // so only the value that changes nothing can load.
        if let headSize = try container.decodeIfPresent(Int.self, forKey: .attentionHeadSize), headSize * attentionHeads != hiddenSize {
            throw DecodingError.dataCorruptedError(forKey: .attentionHeadSize, in: container, debugDescription:
                "attention_head_size \(headSize) × \(attentionHeads) heads must equal hidden_size \(hiddenSize)")
        }
    }

    /// Whether attention adds the content → position term.
    public var hasContentToPosition: Bool { positionAttentionTypes.contains("c2p") }
    /// Whether attention adds the position → content term.
    public var hasPositionToContent: Bool { positionAttentionTypes.contains("p2c") }
    /// `scale_factor` of `DisentangledSelfAttention`: scores are divided by √(headSize · this), whether or not
    /// `relative_attention` is on.
    public var scoreScaleFactor: Int { 1 + (hasContentToPosition ? 1 : 0) + (hasPositionToContent ? 1 : 0) }
    /// `max_relative_positions`, or `max_position_embeddings` when below 1, as the encoder defaults it.
    public var effectiveMaxRelativePositions: Int { maxRelativePositions < 1 ? maxPositions : maxRelativePositions }
    /// `pos_ebd_size` (att_span): the relative tables hold `2 · relativeSpan` rows.
    public var relativeSpan: Int { positionBuckets > 0 ? positionBuckets : effectiveMaxRelativePositions }

    /// Reads and checks `config.json`.
    public static func load(from url: URL) throws -> DebertaV2Configuration {
        let configuration = try ConfigurationFile.decode(DebertaV2Configuration.self, from: url)
        try configuration.validate(source: url.path)
        return configuration
    }

    /// Rejects values the forward pass cannot honour, naming the key.
    public func validate(source: String) throws {
        for (key, value) in [("vocab_size", vocabularySize), ("hidden_size", hiddenSize), ("num_hidden_layers", layerCount),
                             ("num_attention_heads", attentionHeads), ("intermediate_size", intermediateSize),
                             ("max_position_embeddings", maxPositions), ("embedding_size", embeddingSize),
                             ("conv_groups", convolutionGroups)] where value <= 0 {
            throw ModelError.invalidConfiguration(file: source, field: key, reason: "must be positive, got \(value)")
        }
        if typeVocabularySize < 0 {
            throw ModelError.invalidConfiguration(file: source, field: "type_vocab_size", reason: "must not be negative, got \(typeVocabularySize)")
        }
        if hiddenSize % attentionHeads != 0 {
            throw ModelError.invalidConfiguration(file: source, field: "hidden_size",
                                                  reason: "\(hiddenSize) is not a multiple of num_attention_heads (\(attentionHeads))")
        }
        if Activation(huggingFaceName: hiddenActivation) == nil {
            throw ModelError.unsupportedConfigurationValue(file: source, key: "hidden_act", value: hiddenActivation,
                                                           supported: Activation.huggingFaceNames)
        }
        if relativeAttention && positionBuckets > 0 && positionBuckets < 2 {
            throw ModelError.invalidConfiguration(file: source, field: "position_buckets",
                                                  reason: "must be at least 2 (or 0 / -1 for none), got \(positionBuckets)")
        }
        if relativeAttention && positionBuckets > 0 && effectiveMaxRelativePositions <= positionBuckets / 2 + 1 {
            throw ModelError.invalidConfiguration(file: source, field: "max_relative_positions",
                                                  reason: "\(effectiveMaxRelativePositions) leaves no room for log buckets beyond position_buckets / 2 (\(positionBuckets / 2))")
        }
        if convolutionKernelSize > 0 {
            if convolutionKernelSize % 2 == 0 {
                throw ModelError.invalidConfiguration(file: source, field: "conv_kernel_size",
                                                      reason: "\(convolutionKernelSize) is even; the ConvLayer keeps the length only for odd kernels")
            }
            if hiddenSize % convolutionGroups != 0 {
                throw ModelError.invalidConfiguration(file: source, field: "conv_groups",
                                                      reason: "hidden_size \(hiddenSize) is not a multiple of \(convolutionGroups)")
            }
            if HeadTransform.Nonlinearity(debertaName: convolutionActivation) == nil {
                throw ModelError.unsupportedConfigurationValue(file: source, key: "conv_act", value: convolutionActivation,
                                                               supported: ["tanh"] + Activation.huggingFaceNames)
            }
        }
    }
}

extension HeadTransform.Nonlinearity {
    /// The function `ACT2FN[name]` applies, for the DeBERTa keys that may name tanh (`conv_act`, `pooler_hidden_act`).
    init?(debertaName name: String) {
        if name == "tanh" {
            self = .tanh
        } else if let activation = Activation(huggingFaceName: name) {
            self = .activation(activation)
        } else {
            return nil
        }
    }

    /// Applies the function in place to `count` floats.
    func apply(_ values: UnsafeMutablePointer<Float>, count: Int, pool: ThreadPool) {
        switch self {
        case .tanh: for index in 0..<count { values[index] = Foundation.tanh(values[index]) }
        case .activation(let activation): applyActivation(activation, values, count: count, pool: pool)
        }
    }
}

// MARK: - Relative positions

/// `build_relative_position` and `make_log_bucket_position`: which row of the relative tables a distance reads.
struct DebertaRelativePositions: Sendable, Equatable {
    /// `pos_ebd_size`: the tables have `2 · span` rows, row `span + r` for relative position r.
    let span: Int
    /// `position_buckets`, or nil without buckets.
    let buckets: Int?
    /// `max_relative_positions` as defaulted by the encoder.
    let maxPosition: Int

    init(_ configuration: DebertaV2Configuration) {
        span = configuration.relativeSpan
        buckets = configuration.positionBuckets > 0 ? configuration.positionBuckets : nil
        maxPosition = configuration.effectiveMaxRelativePositions
    }

    init(span: Int, buckets: Int?, maxPosition: Int) {
        self.span = span
        self.buckets = buckets
        self.maxPosition = maxPosition
    }

    /// `make_log_bucket_position` for distance `relative` (query − key): exact within ±bucket_size/2, log-spaced
    /// beyond, in float32 as torch computes it (the ceil decides bucket edges).
    func bucket(_ relative: Int) -> Int {
        guard let buckets else { return relative }
        let middle = buckets / 2
        let absolute = relative < middle && relative > -middle ? middle - 1 : abs(relative)
        if absolute <= middle { return relative }
        let logRatio = Float(log(Double(Float(absolute) / Float(middle))))
        let logRange = Float(log(Double(Float(Double(maxPosition - 1) / Double(middle)))))
        let logPosition = (logRatio / logRange * Float(middle - 1)).rounded(.up) + Float(middle)
        return relative > 0 ? Int(logPosition) : -Int(logPosition)
    }

    /// The table row of distance `relative`: `clamp(bucket + span, 0, 2·span − 1)` (c2p_pos; p2c reads the same row).
    func tableRow(_ relative: Int) -> Int { min(max(bucket(relative) + span, 0), 2 * span - 1) }

    /// Writes `rows[δ + reach − 1] = tableRow(δ)` for −reach < δ < reach.
    func fill(_ rows: UnsafeMutablePointer<Int32>, reach: Int) {
        for delta in (1 - reach)..<reach { rows[delta + reach - 1] = Int32(tableRow(delta)) }
    }
}

// MARK: - Blocks

/// `DebertaV2Embeddings`: word (+ position) (+ token type) at `embedding_size`, `embed_proj`, LayerNorm (the mask
/// multiply is the identity on packed batches, which hold no padding).
struct DebertaV2Embeddings: Sendable {
    let wordEmbeddings: Embedding
    /// Nil unless `position_biased_input`.
    let positionEmbeddings: Embedding?
    /// Nil when `type_vocab_size` is 0.
    let tokenTypeEmbeddings: Embedding?
    /// `embed_proj` (no bias) when `embedding_size` ≠ `hidden_size`.
    let projection: Linear?
    let layerNorm: LayerNorm

    init(_ weights: WeightScope, _ configuration: DebertaV2Configuration, precision: Precision) throws {
        let width = configuration.embeddingSize, hidden = configuration.hiddenSize
        wordEmbeddings = try Embedding(weights, "word_embeddings", count: configuration.vocabularySize, width: width)
        positionEmbeddings = configuration.positionBiasedInput
            ? try Embedding(weights, "position_embeddings", count: configuration.maxPositions, width: width) : nil
        tokenTypeEmbeddings = configuration.typeVocabularySize > 0
            ? try Embedding(weights, "token_type_embeddings", count: configuration.typeVocabularySize, width: width) : nil
        projection = width == hidden ? nil
            : try Linear(weights, "embed_proj", inFeatures: width, outFeatures: hidden, bias: false, precision: precision)
        layerNorm = try LayerNorm(weights, "LayerNorm", width: hidden, epsilon: configuration.layerNormEpsilon)
    }

    /// Writes the embeddings of every token to `output` (`[tokens, hidden]`); `sums` (`[tokens, embedding_size]`)
    /// holds the sums before `embed_proj` when there is one.
    func forward(_ batch: TokenBatch, into output: UnsafeMutablePointer<Float>, sums: UnsafeMutablePointer<Float>,
                 workspace: DebertaV2Workspace, pool: ThreadPool) throws {
        for id in batch.tokenIds where id < 0 || id >= wordEmbeddings.count {
            throw ModelError.tokenIdOutOfRange(id: id, vocabularySize: wordEmbeddings.count)
        }
        if let tokenTypeEmbeddings {
            for id in batch.typeIds where id < 0 || id >= tokenTypeEmbeddings.count {
                throw ModelError.inconsistentBatch(reason: "token type id \(id) is outside 0..<\(tokenTypeEmbeddings.count)")
            }
        }
        let width = wordEmbeddings.width, tokens = batch.totalTokens
        let target = projection == nil ? output : sums
        target.update(repeating: 0, count: tokens * width)
        for sequence in 0..<batch.sequenceCount {
            let start = batch.sequenceOffsets[sequence]
            for offset in 0..<batch.sequenceLengths[sequence] { // positions restart at 0 in every sequence
                let token = start + offset, row = target + token * width
                wordEmbeddings.accumulate(row: batch.tokenIds[token], into: row)
                positionEmbeddings?.accumulate(row: offset, into: row)
                tokenTypeEmbeddings?.accumulate(row: batch.typeIds[token], into: row)
            }
        }
        projection?.forward(sums, rows: tokens, into: output, pool: pool, scratch: workspace.linearScratch)
        layerNorm.forward(output, rows: tokens, into: output, pool: pool)
    }
}

/// The activation buffers of one forward pass, taken from the arena once per batch and reused by every layer.
struct DebertaV2Workspace {
    let hidden: UnsafeMutablePointer<Float>       // [tokens, hidden]: layer input, then output
    let wide: UnsafeMutablePointer<Float>         // [tokens, max(3·hidden, intermediate, kernel·hidden)]: qkv, FFN, conv taps
    let context: UnsafeMutablePointer<Float>      // [tokens, hidden]: attention output, heads side by side
    let projected: UnsafeMutablePointer<Float>    // [tokens, hidden]: a dense layer's output before its LayerNorm
    let attended: UnsafeMutablePointer<Float>     // [tokens, hidden]: the attention block's output
    let embeddingSums: UnsafeMutablePointer<Float> // [tokens, embedding_size]: embeddings before embed_proj
    let embedded: UnsafeMutablePointer<Float>     // [tokens, hidden]: the embeddings, kept for the ConvLayer
    let relativeRows: UnsafeMutablePointer<Int32> // [2·longest − 1]: table row of each distance
    let attentionScratch: UnsafeMutablePointer<Float>
    let linearScratch: UnsafeMutableRawPointer    // bf16 layers' rounded inputs
}

/// `DisentangledSelfAttention` + `DebertaV2SelfOutput`: attention with relative terms, output projection, residual
/// and LayerNorm.
struct DebertaV2Attention: Sendable {
    /// `query_proj`, `key_proj`, `value_proj` fused into one `[3 · hidden, hidden]` product.
    let queryKeyValue: Linear
    /// The relative embeddings through the (position) key and query projections, `[2·span, hidden]`, already
    /// multiplied by the score scale; nil for an absent term.
    let positionKeys: Tensor?, positionQueries: Tensor?
    let outputDense: Linear
    let outputLayerNorm: LayerNorm
    let heads: Int
    /// 1/√(headSize · scale_factor).
    let scale: Float

    /// `relativeEmbeddings` is `[2·span, hidden]` (after `encoder.LayerNorm` when configured), or nil without
    /// relative attention.
    init(_ weights: WeightScope, _ configuration: DebertaV2Configuration, relativeEmbeddings: Tensor?, precision: Precision) throws {
        let hidden = configuration.hiddenSize, selfAttention = weights.scope("self")
        let heads = configuration.attentionHeads
        let scale = 1 / (Float(hidden / heads) * Float(configuration.scoreScaleFactor)).squareRoot()
        self.heads = heads
        self.scale = scale
        var query = try Linear(selfAttention, "query_proj", inFeatures: hidden, outFeatures: hidden)
        let key = try Linear(selfAttention, "key_proj", inFeatures: hidden, outFeatures: hidden)
        let value = try Linear(selfAttention, "value_proj", inFeatures: hidden, outFeatures: hidden)
        if let relativeEmbeddings {
            let pool = ThreadPool(threadCount: 1)
            let project = { (layer: Linear) -> Tensor in
                let table = layer(relativeEmbeddings, pool: pool) // [2·span, hidden]
                for index in 0..<table.count { table.storage.pointer[index] *= scale }
                return table
            }
            let shared = configuration.sharesAttentionKey
            positionKeys = configuration.hasContentToPosition
                ? project(shared ? key : try Linear(selfAttention, "pos_key_proj", inFeatures: hidden, outFeatures: hidden)) : nil
            positionQueries = configuration.hasPositionToContent
                ? project(shared ? query : try Linear(selfAttention, "pos_query_proj", inFeatures: hidden, outFeatures: hidden)) : nil
        } else {
            positionKeys = nil
            positionQueries = nil
            // Without relative terms packedAttention scales by 1/√headSize; the rest of transformers' scale (a
            // `pos_att_type` still counts) goes into the query projection.
            let extra = 1 / Float(configuration.scoreScaleFactor).squareRoot()
            if extra != 1 {
                let weight = Tensor(shape: query.weight.shape, values: query.weight.scalars.map { $0 * extra })
                query = Linear(weight: weight, bias: query.bias.map { Tensor(shape: $0.shape, values: $0.scalars.map { $0 * extra }) })
            }
        }
        queryKeyValue = Linear(concatenating: [query, key, value], precision: precision)
        outputDense = try Linear(weights.scope("output"), "dense", inFeatures: hidden, outFeatures: hidden, precision: precision)
        outputLayerNorm = try LayerNorm(weights.scope("output"), "LayerNorm", width: hidden, epsilon: configuration.layerNormEpsilon)
    }

    /// Reads `workspace.hidden`, writes `workspace.attended`.
    func forward(_ batch: TokenBatch, _ workspace: DebertaV2Workspace, reach: Int, pool: ThreadPool) {
        let tokens = batch.totalTokens, width = outputDense.outFeatures, qkv = workspace.wide
        queryKeyValue.forward(workspace.hidden, rows: tokens, into: qkv, pool: pool, scratch: workspace.linearScratch)
        let operands = AttentionOperands(query: qkv, key: qkv + width, value: qkv + 2 * width, inputStride: 3 * width,
                                         output: workspace.context, outputStride: width, heads: heads, headSize: width / heads)
        if positionKeys != nil || positionQueries != nil {
            let positions = DisentangledPositions(positionKeys: positionKeys?.pointer, positionQueries: positionQueries?.pointer,
                                                  tableStride: width, rows: workspace.relativeRows, reach: reach)
            disentangledAttention(operands, positions: positions, scale: scale, sequenceOffsets: batch.sequenceOffsets,
                                  scratch: workspace.attentionScratch, pool: pool)
        } else {
            packedAttention(operands, sequenceOffsets: batch.sequenceOffsets, scratch: workspace.attentionScratch, pool: pool)
        }
        outputDense.forward(workspace.context, rows: tokens, into: workspace.projected, pool: pool, scratch: workspace.linearScratch)
        outputLayerNorm.forward(workspace.projected, residual: workspace.hidden, rows: tokens, into: workspace.attended, pool: pool)
    }
}

/// `DebertaV2Layer`: attention, then `DebertaV2Intermediate` + `DebertaV2Output` (BERT's feed-forward block).
struct DebertaV2Layer: Sendable {
    let attention: DebertaV2Attention
    let intermediate: Linear
    let activation: Activation
    let output: Linear
    let outputLayerNorm: LayerNorm

    init(_ weights: WeightScope, _ configuration: DebertaV2Configuration, relativeEmbeddings: Tensor?, activation: Activation,
         precision: Precision) throws {
        let hidden = configuration.hiddenSize, inner = configuration.intermediateSize
        attention = try DebertaV2Attention(weights.scope("attention"), configuration, relativeEmbeddings: relativeEmbeddings,
                                           precision: precision)
        intermediate = try Linear(weights.scope("intermediate"), "dense", inFeatures: hidden, outFeatures: inner, precision: precision)
        output = try Linear(weights.scope("output"), "dense", inFeatures: inner, outFeatures: hidden, precision: precision)
        outputLayerNorm = try LayerNorm(weights.scope("output"), "LayerNorm", width: hidden, epsilon: configuration.layerNormEpsilon)
        self.activation = activation
    }

    /// Transforms `workspace.hidden` in place.
    func forward(_ batch: TokenBatch, _ workspace: DebertaV2Workspace, reach: Int, pool: ThreadPool) {
        let tokens = batch.totalTokens
        attention.forward(batch, workspace, reach: reach, pool: pool)
        intermediate.forward(workspace.attended, rows: tokens, into: workspace.wide, activation: activation, pool: pool,
                             scratch: workspace.linearScratch)
        output.forward(workspace.wide, rows: tokens, into: workspace.projected, pool: pool, scratch: workspace.linearScratch)
        outputLayerNorm.forward(workspace.projected, residual: workspace.attended, rows: tokens, into: workspace.hidden, pool: pool)
    }
}

/// `ConvLayer` (`encoder.conv`): `LayerNorm(layer0 + act(conv1d(embeddings)))`, the 1-D convolution zero-padded at
/// each sequence's ends (a padded batch's masked embeddings are zeros there too). The taps are one product: the
/// kernel as `[kernel · hidden, hidden]` (tap-major, groups as zero blocks), then each output row sums its taps'
/// columns from the neighbouring rows of the same sequence.
struct DebertaV2Convolution: Sendable {
    let taps: Linear
    let bias: Tensor
    let kernelSize: Int
    let nonlinearity: HeadTransform.Nonlinearity
    let layerNorm: LayerNorm

    init(_ weights: WeightScope, _ configuration: DebertaV2Configuration, precision: Precision) throws {
        let hidden = configuration.hiddenSize, groups = configuration.convolutionGroups
        let groupWidth = hidden / groups, kernel = configuration.convolutionKernelSize
        let convolution = weights.scope("conv")
        let weight = try convolution.tensor("weight", shape: [hidden, groupWidth, kernel]) // [out, in / groups, kernel]
        bias = try convolution.tensor("bias", shape: [hidden])
        let matrix = Tensor(zeros: [kernel * hidden, hidden])
        for output in 0..<hidden {
            let group = output / groupWidth
            for input in 0..<groupWidth {
                for tap in 0..<kernel {
                    matrix.storage.pointer[(tap * hidden + output) * hidden + group * groupWidth + input] =
                        weight.pointer[(output * groupWidth + input) * kernel + tap]
                }
            }
        }
        taps = Linear(weight: matrix, bias: nil, precision: precision)
        kernelSize = kernel
        nonlinearity = HeadTransform.Nonlinearity(debertaName: configuration.convolutionActivation) ?? .tanh // validated
        layerNorm = try LayerNorm(weights, "LayerNorm", width: hidden, epsilon: configuration.layerNormEpsilon)
    }

    /// `workspace.hidden` (layer 0's output) becomes `LayerNorm(hidden + act(conv(workspace.embedded)))`.
    func forward(_ batch: TokenBatch, _ workspace: DebertaV2Workspace, pool: ThreadPool) {
        let tokens = batch.totalTokens, hidden = bias.count, padding = (kernelSize - 1) / 2
        taps.forward(workspace.embedded, rows: tokens, into: workspace.wide, pool: pool, scratch: workspace.linearScratch)
        let products = workspace.wide, out = workspace.projected // products: [tokens, kernel · hidden]
        for sequence in 0..<batch.sequenceCount {
            let first = batch.sequenceOffsets[sequence], length = batch.sequenceLengths[sequence]
            for position in 0..<length {
                let row = out + (first + position) * hidden
                row.update(from: bias.pointer, count: hidden)
                for tap in 0..<kernelSize {
                    let source = position + tap - padding
                    guard source >= 0 && source < length else { continue }
                    let column = products + (first + source) * kernelSize * hidden + tap * hidden
                    for index in 0..<hidden { row[index] += column[index] }
                }
            }
        }
        nonlinearity.apply(out, count: tokens * hidden, pool: pool)
        layerNorm.forward(out, residual: workspace.hidden, rows: tokens, into: workspace.attended, pool: pool)
        workspace.hidden.update(from: workspace.attended, count: tokens * hidden)
    }
}

// MARK: - Model

/// A DeBERTa-v2/v3 encoder: token ids in, last hidden states `[totalTokens, hiddenSize]` out.
public final class DebertaV2Model: TextEncoder {
    /// The configuration the weights were loaded with.
    public let configuration: DebertaV2Configuration
    let embeddings: DebertaV2Embeddings
    let layers: [DebertaV2Layer]
    /// Nil unless `conv_kernel_size` > 0.
    let convolution: DebertaV2Convolution?
    /// Nil unless `relative_attention` with c2p and/or p2c.
    let relativePositions: DebertaRelativePositions?

    public var hiddenSize: Int { configuration.hiddenSize }
    /// `max_position_embeddings`. Without absolute positions transformers would run longer inputs; Apus keeps to
    /// the length the model was trained for, as its tokenizer does (`model_max_length`).
    public var maxPositions: Int { configuration.maxPositions }

    /// Builds the encoder from `weights`, whose names may carry the `deberta.` prefix of task checkpoints; heads
    /// are left for the caller.
    public init(configuration: DebertaV2Configuration, weights: WeightStore, precision: Precision = .fp32) throws {
        try configuration.validate(source: "config.json")
        guard let activation = Activation(huggingFaceName: configuration.hiddenActivation) else {
            throw ModelError.unsupportedConfigurationValue(file: "config.json", key: "hidden_act",
                                                           value: configuration.hiddenActivation, supported: Activation.huggingFaceNames)
        }
        let root = weights.contains("deberta.embeddings.word_embeddings.weight") ? weights.scope("deberta") : weights.root
        let hidden = configuration.hiddenSize
        self.configuration = configuration
        embeddings = try DebertaV2Embeddings(root.scope("embeddings"), configuration, precision: precision)
        let encoder = root.scope("encoder")
        var relativeEmbeddings: Tensor?
        if configuration.relativeAttention {
            let table = try encoder.scope("rel_embeddings").tensor("weight", shape: [2 * configuration.relativeSpan, hidden])
            if configuration.relativeEmbeddingNorm.contains("layer_norm") {
                relativeEmbeddings = try LayerNorm(encoder, "LayerNorm", width: hidden, epsilon: configuration.layerNormEpsilon)(table)
            } else {
                relativeEmbeddings = table
            }
            // With neither term in `pos_att_type` the tables are loaded (the checkpoint has them) but never read.
            let hasTerms = configuration.hasContentToPosition || configuration.hasPositionToContent
            relativePositions = hasTerms ? DebertaRelativePositions(configuration) : nil
        } else {
            relativePositions = nil
        }
        layers = try (0..<configuration.layerCount).map { index in
            try DebertaV2Layer(encoder.scope("layer.\(index)"), configuration, relativeEmbeddings: relativeEmbeddings,
                               activation: activation, precision: precision)
        }
        convolution = configuration.convolutionKernelSize > 0
            ? try DebertaV2Convolution(encoder.scope("conv"), configuration, precision: precision) : nil
        // Upstream ignores a `position_embeddings` table when `position_biased_input` is false (DeBERTa-v3 files carry
        // one), builds `encoder.LayerNorm` even when nothing uses it, and never reads `position_ids`.
        let rootPrefix = root.prefix.isEmpty ? "" : root.prefix + "."
        var unused = ["embeddings.position_ids"]
        if !configuration.positionBiasedInput { unused.append("embeddings.position_embeddings.") }
        if !configuration.relativeAttention { unused.append("encoder.LayerNorm.") }
        for name in unused { weights.markUnused(prefix: rootPrefix + name) }
        if !root.prefix.isEmpty {
            for head in ["pooler.", "classifier.", "cls.", "lm_predictions.", "mask_predictions.", "qa_outputs."] {
                weights.markUnused(prefix: head)
            }
        }
    }

    /// Runs the encoder on a packed batch, writing `[totalTokens, hiddenSize]` to `output`; activations live in
    /// `arena`, so once the arena has seen a batch this large the pass allocates nothing.
    public func encode(_ batch: TokenBatch, into output: UnsafeMutablePointer<Float>, pool: ThreadPool,
                       arena: ActivationArena) throws {
        let tokens = batch.totalTokens, longest = batch.longestSequence
        guard tokens > 0 else { return }
        if longest > maxPositions { throw ModelError.sequenceTooLong(length: longest, maximum: maxPositions) }
        arena.reset()
        let hidden = hiddenSize, headSize = hidden / configuration.attentionHeads
        let kernel = convolution?.kernelSize ?? 0
        var linearScratchBytes = embeddings.projection?.scratchBytes(rows: tokens) ?? 0
        if let layer = layers.first {
            linearScratchBytes = max(linearScratchBytes, layer.attention.queryKeyValue.scratchBytes(rows: tokens),
                                     layer.output.scratchBytes(rows: tokens))
        }
        let relativeRows = UnsafeMutableRawPointer(arena.floats(2 * longest - 1)).bindMemory(to: Int32.self, capacity: 2 * longest - 1)
        let attentionScratchCount: Int
        if let relativePositions {
            relativePositions.fill(relativeRows, reach: longest)
            let positions = DisentangledPositions(positionKeys: nil, positionQueries: nil, tableStride: hidden,
                                                  rows: relativeRows, reach: longest)
            attentionScratchCount = disentangledAttentionScratchCount(longestSequence: longest, headSize: headSize,
                                                                      positions: positions, threads: pool.threadCount)
        } else {
            attentionScratchCount = ApusTensor.attentionScratchCount(longestSequence: longest, headSize: headSize,
                                                                     threads: pool.threadCount)
        }
        let workspace = DebertaV2Workspace(
            hidden: arena.floats(tokens * hidden),
            wide: arena.floats(tokens * max(3 * hidden, configuration.intermediateSize, kernel * hidden)),
            context: arena.floats(tokens * hidden),
            projected: arena.floats(tokens * hidden),
            attended: arena.floats(tokens * hidden),
            embeddingSums: arena.floats(embeddings.projection == nil ? 1 : tokens * configuration.embeddingSize),
            embedded: arena.floats(convolution == nil ? 1 : tokens * hidden),
            relativeRows: relativeRows,
            attentionScratch: arena.floats(attentionScratchCount),
            linearScratch: UnsafeMutableRawPointer(arena.floats((linearScratchBytes + 3) / 4)))
        try embeddings.forward(batch, into: workspace.hidden, sums: workspace.embeddingSums, workspace: workspace, pool: pool)
        if convolution != nil { workspace.embedded.update(from: workspace.hidden, count: tokens * hidden) }
        for (index, layer) in layers.enumerated() {
            layer.forward(batch, workspace, reach: longest, pool: pool)
            if index == 0, let convolution { convolution.forward(batch, workspace, pool: pool) }
        }
        output.update(from: workspace.hidden, count: tokens * hidden)
    }
}

extension ModelRegistry {
    /// `model_type` "deberta-v2" (DeBERTa-v2 and DeBERTa-v3 checkpoints).
    static let debertaV2 = ModelRegistry.Family(modelTypes: ["deberta-v2"]) { directory, configurationURL, precision in
        let configuration = try DebertaV2Configuration.load(from: configurationURL)
        let weights = try WeightStore(directory: directory)
        let model = try DebertaV2Model(configuration: configuration, weights: weights, precision: precision)
        try weights.finish()
        return model
    }
}
