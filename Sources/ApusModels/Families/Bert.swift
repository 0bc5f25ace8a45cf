// BERT encoder (BertModel without the pooler), a port of
// https://github.com/huggingface/transformers/blob/main/src/transformers/models/bert/modeling_bert.py
// running on packed batches (see TokenBatch). Post-LayerNorm layers:
//   embeddings = LayerNorm(word + position + token_type)
//   h = LayerNorm(h + SelfOutput(SelfAttention(h)));  h = LayerNorm(h + Output(act(Intermediate(h))))
import ApusTensor
import Foundation

// MARK: - Configuration

/// The fields of a BERT `config.json` that the forward pass uses.
public struct BertConfiguration: Decodable, Sendable, Equatable {
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
    /// Feed-forward activation name as written in the file (`hidden_act`).
    public var hiddenActivation: String
    /// Rows of the position-embedding matrix: the longest sequence the model accepts (`max_position_embeddings`).
    public var maxPositions: Int
    /// Rows of the token-type (segment) embedding matrix (`type_vocab_size`).
    public var typeVocabularySize: Int
    /// ε of every LayerNorm (`layer_norm_eps`).
    public var layerNormEpsilon: Float
    /// `absolute` is the only scheme implemented (`position_embedding_type`).
    public var positionEmbeddingType: String
    /// Id of the padding token (`pad_token_id`), if given.
    public var padTokenId: Int?

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
        case positionEmbeddingType = "position_embedding_type"
        case padTokenId = "pad_token_id"
    }

    /// Sizes are required; the rest default as in `transformers.BertConfig`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        vocabularySize = try container.decode(Int.self, forKey: .vocabularySize)
        hiddenSize = try container.decode(Int.self, forKey: .hiddenSize)
        layerCount = try container.decode(Int.self, forKey: .layerCount)
        attentionHeads = try container.decode(Int.self, forKey: .attentionHeads)
        intermediateSize = try container.decode(Int.self, forKey: .intermediateSize)
        hiddenActivation = try container.decodeIfPresent(String.self, forKey: .hiddenActivation) ?? "gelu"
        maxPositions = try container.decodeIfPresent(Int.self, forKey: .maxPositions) ?? 512
        typeVocabularySize = try container.decodeIfPresent(Int.self, forKey: .typeVocabularySize) ?? 2
        layerNormEpsilon = try container.decodeIfPresent(Float.self, forKey: .layerNormEpsilon) ?? 1e-12
        positionEmbeddingType = try container.decodeIfPresent(String.self, forKey: .positionEmbeddingType) ?? "absolute"
        padTokenId = try container.decodeIfPresent(Int.self, forKey: .padTokenId)
    }

    /// Reads and checks `config.json`.
    public static func load(from url: URL) throws -> BertConfiguration {
        let configuration = try ConfigurationFile.decode(BertConfiguration.self, from: url)
        try configuration.validate(source: url.path)
        return configuration
    }

    /// Rejects values the forward pass cannot honour, naming the key.
    public func validate(source: String) throws {
        for (key, value) in [("vocab_size", vocabularySize), ("hidden_size", hiddenSize), ("num_hidden_layers", layerCount),
                             ("num_attention_heads", attentionHeads), ("intermediate_size", intermediateSize),
                             ("max_position_embeddings", maxPositions), ("type_vocab_size", typeVocabularySize)] where value <= 0 {
            throw ModelError.invalidConfiguration(file: source, field: key, reason: "must be positive, got \(value)")
        }
        if hiddenSize % attentionHeads != 0 {
            throw ModelError.invalidConfiguration(file: source, field: "hidden_size",
                                                  reason: "\(hiddenSize) is not a multiple of num_attention_heads (\(attentionHeads))")
        }
        if Activation(huggingFaceName: hiddenActivation) == nil {
            throw ModelError.unsupportedConfigurationValue(file: source, key: "hidden_act", value: hiddenActivation,
                                                           supported: Activation.huggingFaceNames)
        }
        if positionEmbeddingType != "absolute" {
            throw ModelError.unsupportedConfigurationValue(file: source, key: "position_embedding_type",
                                                           value: positionEmbeddingType, supported: ["absolute"])
        }
    }
}

// MARK: - Blocks

/// Which row of the position-embedding matrix each token reads. BERT counts from 0; the families that reuse
/// these blocks (Roberta.swift, DistilBert.swift) pick their own rule here rather than copying the embeddings.
enum PositionIds: Sendable, Equatable {
    /// `arange(seq_len)` in every sequence (BERT, DistilBERT).
    case fromZero
    /// RoBERTa's `create_position_ids_from_input_ids`: `cumsum(ids != pad) · (ids != pad) + pad`, so real tokens
    /// count from `paddingId + 1` and a pad id anywhere in the input reads row `paddingId`.
    case afterPadding(paddingId: Int)

    /// The longest sequence whose positions stay inside a `rows`-row matrix.
    func longestSequence(rows: Int) -> Int {
        switch self {
        case .fromZero: return rows
        case .afterPadding(let paddingId): return rows - paddingId - 1
        }
    }
}

/// `BertEmbeddings`: word + absolute position + token type, then LayerNorm (dropout is identity at inference).
struct BertEmbeddings: Sendable {
    let wordEmbeddings: Embedding
    let positionEmbeddings: Embedding
    /// Nil for DistilBERT, which has no segments (its tokenizer's type ids are not model inputs).
    let tokenTypeEmbeddings: Embedding?
    let layerNorm: LayerNorm
    let positionIds: PositionIds

    init(_ weights: WeightScope, _ configuration: BertConfiguration, positionIds: PositionIds = .fromZero) throws {
        let hidden = configuration.hiddenSize
        wordEmbeddings = try Embedding(weights, "word_embeddings", count: configuration.vocabularySize, width: hidden)
        positionEmbeddings = try Embedding(weights, "position_embeddings", count: configuration.maxPositions, width: hidden)
        tokenTypeEmbeddings = try Embedding(weights, "token_type_embeddings", count: configuration.typeVocabularySize, width: hidden)
        layerNorm = try LayerNorm(weights, "LayerNorm", width: hidden, epsilon: configuration.layerNormEpsilon)
        self.positionIds = positionIds
    }

    init(wordEmbeddings: Embedding, positionEmbeddings: Embedding, tokenTypeEmbeddings: Embedding?, layerNorm: LayerNorm,
         positionIds: PositionIds) {
        self.wordEmbeddings = wordEmbeddings
        self.positionEmbeddings = positionEmbeddings
        self.tokenTypeEmbeddings = tokenTypeEmbeddings
        self.layerNorm = layerNorm
        self.positionIds = positionIds
    }

    /// The longest sequence the position embeddings can number.
    var longestSequence: Int { positionIds.longestSequence(rows: positionEmbeddings.count) }

    /// Writes the normalised embeddings of every token of `batch` to `output` (`[totalTokens, hidden]`).
    func forward(_ batch: TokenBatch, into output: UnsafeMutablePointer<Float>, pool: ThreadPool) throws {
        for id in batch.tokenIds where id < 0 || id >= wordEmbeddings.count {
            throw ModelError.tokenIdOutOfRange(id: id, vocabularySize: wordEmbeddings.count)
        }
        if let tokenTypeEmbeddings {
            for id in batch.typeIds where id < 0 || id >= tokenTypeEmbeddings.count {
                throw ModelError.inconsistentBatch(reason: "token type id \(id) is outside 0..<\(tokenTypeEmbeddings.count)")
            }
        }
        if batch.longestSequence > longestSequence {
            throw ModelError.sequenceTooLong(length: batch.longestSequence, maximum: longestSequence)
        }
        let width = wordEmbeddings.width
        output.update(repeating: 0, count: batch.totalTokens * width)
        for sequence in 0..<batch.sequenceCount {
            let start = batch.sequenceOffsets[sequence]
            // Positions restart in every sequence, as `position_ids` does per row of a padded batch.
            var nonPadding = 0
            for offset in 0..<batch.sequenceLengths[sequence] {
                let token = start + offset, id = batch.tokenIds[token]
                let position: Int
                switch positionIds {
                case .fromZero:
                    position = offset
                case .afterPadding(let paddingId):
                    if id != paddingId { nonPadding += 1 }
                    position = id == paddingId ? paddingId : paddingId + nonPadding
                }
                let row = output + token * width
                wordEmbeddings.accumulate(row: id, into: row)
                positionEmbeddings.accumulate(row: position, into: row)
                tokenTypeEmbeddings?.accumulate(row: batch.typeIds[token], into: row)
            }
        }
        layerNorm.forward(output, rows: batch.totalTokens, into: output, pool: pool)
    }
}

/// The activation buffers of one forward pass, taken from the arena once per batch and reused by every layer.
/// `qkv` and `expanded` share memory: the fused projections are dead once attention has run.
struct BertWorkspace {
    let hidden: UnsafeMutablePointer<Float>     // [tokens, hidden]: layer input, then output
    let qkv: UnsafeMutablePointer<Float>        // [tokens, 3 · hidden]: fused query | key | value
    let context: UnsafeMutablePointer<Float>    // [tokens, hidden]: attention output, heads side by side
    let projected: UnsafeMutablePointer<Float>  // [tokens, hidden]: a dense layer's output before its LayerNorm
    let attended: UnsafeMutablePointer<Float>   // [tokens, hidden]: the attention block's output
    let expanded: UnsafeMutablePointer<Float>   // [tokens, intermediate]: the feed-forward block's inner activations
    let attentionScratch: UnsafeMutablePointer<Float>
    let linearScratch: UnsafeMutableRawPointer  // bf16 layers' rounded inputs
    /// MPNet's relative-position bias for this batch's longest sequence, shared by every layer; nil for the others.
    var relativeBias: RelativePositionBias? = nil

    init(arena: ActivationArena, tokens: Int, longestSequence: Int, hiddenSize hidden: Int, intermediateSize: Int, heads: Int,
         threads: Int, linearScratchBytes: Int) {
        self.hidden = arena.floats(tokens * hidden)
        qkv = arena.floats(tokens * max(3 * hidden, intermediateSize))
        expanded = qkv
        context = arena.floats(tokens * hidden)
        projected = arena.floats(tokens * hidden)
        attended = arena.floats(tokens * hidden)
        attentionScratch = arena.floats(attentionScratchCount(longestSequence: longestSequence,
                                                              headSize: hidden / heads, threads: threads))
        linearScratch = UnsafeMutableRawPointer(arena.floats((linearScratchBytes + 3) / 4))
    }
}

/// `BertSelfAttention` + `BertSelfOutput`: attention, output projection, residual and LayerNorm.
struct BertAttention: Sendable {
    /// `query`, `key` and `value` fused into one `[3 · hidden, hidden]` product.
    let queryKeyValue: Linear
    let outputDense: Linear
    let outputLayerNorm: LayerNorm
    let heads: Int

    init(_ weights: WeightScope, _ configuration: BertConfiguration, precision: Precision) throws {
        let hidden = configuration.hiddenSize
        let selfAttention = weights.scope("self")
        queryKeyValue = Linear(concatenating: [
            try Linear(selfAttention, "query", inFeatures: hidden, outFeatures: hidden),
            try Linear(selfAttention, "key", inFeatures: hidden, outFeatures: hidden),
            try Linear(selfAttention, "value", inFeatures: hidden, outFeatures: hidden),
        ], precision: precision)
        outputDense = try Linear(weights.scope("output"), "dense", inFeatures: hidden, outFeatures: hidden, precision: precision)
        outputLayerNorm = try LayerNorm(weights.scope("output"), "LayerNorm", width: hidden, epsilon: configuration.layerNormEpsilon)
        heads = configuration.attentionHeads
    }

    init(queryKeyValue: Linear, outputDense: Linear, outputLayerNorm: LayerNorm, heads: Int) {
        self.queryKeyValue = queryKeyValue
        self.outputDense = outputDense
        self.outputLayerNorm = outputLayerNorm
        self.heads = heads
    }

    /// Reads `workspace.hidden`, writes `workspace.attended`.
    func forward(_ batch: TokenBatch, _ workspace: BertWorkspace, pool: ThreadPool) {
        let tokens = batch.totalTokens, width = outputDense.outFeatures
        queryKeyValue.forward(workspace.hidden, rows: tokens, into: workspace.qkv, pool: pool, scratch: workspace.linearScratch)
        let operands = AttentionOperands(query: workspace.qkv, key: workspace.qkv + width, value: workspace.qkv + 2 * width,
                                         inputStride: 3 * width, output: workspace.context, outputStride: width,
                                         heads: heads, headSize: width / heads, relativeBias: workspace.relativeBias)
        packedAttention(operands, sequenceOffsets: batch.sequenceOffsets, scratch: workspace.attentionScratch, pool: pool)
        outputDense.forward(workspace.context, rows: tokens, into: workspace.projected, pool: pool, scratch: workspace.linearScratch)
        outputLayerNorm.forward(workspace.projected, residual: workspace.hidden, rows: tokens, into: workspace.attended, pool: pool)
    }
}

/// `BertLayer`: attention, then the feed-forward block (`BertIntermediate` + `BertOutput`).
struct BertLayer: Sendable {
    let attention: BertAttention
    let intermediate: Linear
    let activation: Activation
    let output: Linear
    let outputLayerNorm: LayerNorm

    init(_ weights: WeightScope, _ configuration: BertConfiguration, activation: Activation, precision: Precision) throws {
        let hidden = configuration.hiddenSize, inner = configuration.intermediateSize
        attention = try BertAttention(weights.scope("attention"), configuration, precision: precision)
        intermediate = try Linear(weights.scope("intermediate"), "dense", inFeatures: hidden, outFeatures: inner, precision: precision)
        output = try Linear(weights.scope("output"), "dense", inFeatures: inner, outFeatures: hidden, precision: precision)
        outputLayerNorm = try LayerNorm(weights.scope("output"), "LayerNorm", width: hidden, epsilon: configuration.layerNormEpsilon)
        self.activation = activation
    }

    init(attention: BertAttention, intermediate: Linear, activation: Activation, output: Linear, outputLayerNorm: LayerNorm) {
        self.attention = attention
        self.intermediate = intermediate
        self.activation = activation
        self.output = output
        self.outputLayerNorm = outputLayerNorm
    }

    /// Transforms `workspace.hidden` in place.
    func forward(_ batch: TokenBatch, _ workspace: BertWorkspace, pool: ThreadPool) {
        let tokens = batch.totalTokens
        attention.forward(batch, workspace, pool: pool)
        intermediate.forward(workspace.attended, rows: tokens, into: workspace.expanded, activation: activation, pool: pool,
                             scratch: workspace.linearScratch)
        output.forward(workspace.expanded, rows: tokens, into: workspace.projected, pool: pool, scratch: workspace.linearScratch)
        outputLayerNorm.forward(workspace.projected, residual: workspace.attended, rows: tokens, into: workspace.hidden, pool: pool)
    }
}

/// Embeddings, then the post-LayerNorm layers (`BertEncoder`): the forward pass of BERT and of the families that
/// differ from it only in weight names and position ids (RoBERTa, DistilBERT).
struct BertStack: Sendable {
    let embeddings: BertEmbeddings
    let layers: [BertLayer]
    /// MPNet's bucketed relative-position bias (`encoder.relative_attention_bias`), or nil.
    var relativeAttentionBias: RelativeAttentionBuckets? = nil
    /// ELECTRA's `embeddings_project` from its narrower embeddings to the hidden width, or nil.
    var embeddingProjection: Linear? = nil

    var hiddenSize: Int { embeddingProjection?.outFeatures ?? embeddings.wordEmbeddings.width }

    /// Runs the encoder on a packed batch, writing `[totalTokens, hiddenSize]` to `output`; activations live
    /// in `arena`, so once the arena has seen a batch this large the pass allocates nothing.
    func encode(_ batch: TokenBatch, into output: UnsafeMutablePointer<Float>, pool: ThreadPool, arena: ActivationArena) throws {
        let tokens = batch.totalTokens
        guard tokens > 0 else { return }
        arena.reset()
        let linearScratchBytes = max(layers.first.map { layer in
            max(layer.attention.queryKeyValue.scratchBytes(rows: tokens), layer.output.scratchBytes(rows: tokens))
        } ?? 0, embeddingProjection?.scratchBytes(rows: tokens) ?? 0)
        var workspace = BertWorkspace(arena: arena, tokens: tokens, longestSequence: batch.longestSequence, hiddenSize: hiddenSize,
                                      intermediateSize: layers.first?.intermediate.outFeatures ?? 0,
                                      heads: layers.first?.attention.heads ?? 1, threads: pool.threadCount,
                                      linearScratchBytes: linearScratchBytes)
        if let relativeAttentionBias {
            let span = max(batch.longestSequence, 1)
            let table = arena.floats(relativeAttentionBias.heads * (2 * span - 1))
            relativeAttentionBias.fill(table, span: span)
            workspace.relativeBias = RelativePositionBias(table: table, span: span)
        }
        if let embeddingProjection {
            // The embeddings are narrower than the hidden width (checked at load), so `context` can hold them.
            try embeddings.forward(batch, into: workspace.context, pool: pool)
            embeddingProjection.forward(workspace.context, rows: tokens, into: workspace.hidden, pool: pool,
                                        scratch: workspace.linearScratch)
        } else {
            try embeddings.forward(batch, into: workspace.hidden, pool: pool)
        }
        for layer in layers {
            layer.forward(batch, workspace, pool: pool)
        }
        output.update(from: workspace.hidden, count: tokens * hiddenSize)
    }
}

// MARK: - Model

/// A BERT encoder: token ids in, last hidden states `[totalTokens, hiddenSize]` out.
public final class BertModel: TextEncoder {
    /// The configuration the weights were loaded with.
    public let configuration: BertConfiguration
    let stack: BertStack

    public var hiddenSize: Int { configuration.hiddenSize }
    public var maxPositions: Int { stack.embeddings.longestSequence }

    /// Builds the encoder from `weights`, whose names may carry the `bert.` prefix of task checkpoints
    /// (`BertForSequenceClassification` …), its linear layers computing in `precision`. Heads and the pooler
    /// are left for the caller to load or ignore.
    public init(configuration: BertConfiguration, weights: WeightStore, precision: Precision = .fp32) throws {
        try configuration.validate(source: "config.json")
        guard let activation = Activation(huggingFaceName: configuration.hiddenActivation) else {
            throw ModelError.unsupportedConfigurationValue(file: "config.json", key: "hidden_act",
                                                           value: configuration.hiddenActivation, supported: Activation.huggingFaceNames)
        }
        let root = weights.contains("bert.embeddings.word_embeddings.weight") ? weights.scope("bert") : weights.root
        self.configuration = configuration
        stack = BertStack(
            embeddings: try BertEmbeddings(root.scope("embeddings"), configuration),
            layers: try (0..<configuration.layerCount).map { index in
                try BertLayer(root.scope("encoder.layer.\(index)"), configuration, activation: activation, precision: precision)
            })
        // Buffers and parts the encoder does not use: `position_ids`/`token_type_ids` are index buffers older
        // transformers versions saved; the pooler (dense + tanh over [CLS]) only feeds task heads.
        let rootPrefix = root.prefix.isEmpty ? "" : root.prefix + "."
        for unused in ["embeddings.position_ids", "embeddings.token_type_ids", "pooler."] {
            weights.markUnused(prefix: rootPrefix + unused)
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
    /// `model_type` "bert" (and BERT-shaped checkpoints of other names that only change config values).
    static let bert = ModelRegistry.Family(modelTypes: ["bert"]) { directory, configurationURL, precision in
        let configuration = try BertConfiguration.load(from: configurationURL)
        let weights = try WeightStore(directory: directory)
        let model = try BertModel(configuration: configuration, weights: weights, precision: precision)
        try weights.finish()
        return model
    }
}
