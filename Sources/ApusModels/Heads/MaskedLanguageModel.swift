// Masked-language-model heads, ports of transformers' `*ForMaskedLM` at inference:
//   BertForMaskedLM (models/bert/modeling_bert.py, BertOnlyMLMHead → BertLMPredictionHead):
//     h'     = LayerNorm(act(transform.dense(h)))      (BertPredictionHeadTransform; act is config `hidden_act`)
//     logits = h' · Eᵀ + bias                           (decoder; E is tied to bert.embeddings.word_embeddings)
// transformers computes the vocabulary projection for every token; fill-mask reads only the mask rows, so
// the head gathers the rows asked for and projects just those (one `[vocab, hidden]` product per mask, not
// per token).
import ApusTensor
import Foundation

// MARK: - Configuration

/// The head fields of a masked-LM `config.json`: which architecture, and whether the decoder is tied.
public struct MaskedLanguageModelConfiguration: Sendable, Equatable {
    /// `architectures` as written (e.g. `["BertForMaskedLM"]`); empty when absent.
    public var architectures: [String]
    /// `tie_word_embeddings` (transformers' default: true): the decoder reuses the word-embedding matrix,
    /// and a checkpoint saved by transformers then stores no `cls.predictions.decoder.weight`.
    public var tiesWordEmbeddings: Bool

    /// A configuration from values.
    public init(architectures: [String], tiesWordEmbeddings: Bool = true) {
        self.architectures = architectures
        self.tiesWordEmbeddings = tiesWordEmbeddings
    }

    /// Reads the head fields of the config.json at `url`.
    public static func load(from url: URL) throws -> MaskedLanguageModelConfiguration {
        let fields = try ConfigurationFile.decode(Fields.self, from: url)
        return MaskedLanguageModelConfiguration(architectures: fields.architectures ?? [],
                                                tiesWordEmbeddings: fields.tiesWordEmbeddings ?? true)
    }

    private struct Fields: Decodable {
        let architectures: [String]?
        let tiesWordEmbeddings: Bool?
        enum CodingKeys: String, CodingKey { case architectures, tiesWordEmbeddings = "tie_word_embeddings" }
    }
}

// MARK: - Head

/// A prediction transform (dense + activation + LayerNorm), then the decoder onto the vocabulary.
///
/// BERT `cls.predictions.transform` + `cls.predictions.decoder`; RoBERTa/MPNet `lm_head.dense` → GELU →
/// `lm_head.layer_norm` + `lm_head.decoder`; DistilBERT `vocab_transform` → `activation` → `vocab_layer_norm` +
/// `vocab_projector`; ModernBERT `head` + `decoder`. Every decoder is tied to the word embeddings by default.
public struct MaskedLanguageModelHead: Sendable {
    /// dense → activation → LayerNorm on each row asked for.
    let transform: HeadTransform
    /// The decoder `[vocab, hidden]` with its bias: the word embeddings when tied.
    let decoder: Linear

    /// Width of the hidden states the head reads.
    public var hiddenSize: Int { transform.inFeatures }
    /// Number of logits per position: the vocabulary size.
    public var vocabularySize: Int { decoder.outFeatures }

    /// A head from loaded layers; the loaders below name each family's weights.
    public init(transform: HeadTransform, decoder: Linear) {
        precondition(transform.outFeatures == decoder.inFeatures, "head transform and decoder widths differ")
        self.transform = transform
        self.decoder = decoder
    }

    /// BERT's head: `transform.*` and the bias under `predictions` (`cls.predictions` in the checkpoint). `decoder`
    /// is the tied word-embedding matrix `[vocab, hidden]`, or nil to read `predictions.decoder.weight`. The head
    /// computes in fp32: it runs on the few mask rows only, so bf16 would save little and cost score accuracy.
    public init(predictions: WeightScope, decoder tiedWeight: Tensor?, hiddenSize: Int, vocabularySize: Int,
                activation: Activation, layerNormEpsilon: Float) throws {
        let transform = predictions.scope("transform")
        self.init(
            transform: HeadTransform(dense: try Linear(transform, "dense", inFeatures: hiddenSize, outFeatures: hiddenSize),
                                     nonlinearity: .activation(activation),
                                     norm: try LayerNorm(transform, "LayerNorm", width: hiddenSize, epsilon: layerNormEpsilon)),
            decoder: try Self.decoder(predictions.scope("decoder"), tied: tiedWeight,
                                      biases: [(predictions, "bias"), (predictions.scope("decoder"), "bias")],
                                      hiddenSize: hiddenSize, vocabularySize: vocabularySize))
    }

    /// The vocabulary projection under `scope`: its `weight` when the checkpoint stores one (an untied checkpoint, or
    /// one that saved the tied copy anyway: that copy wins), else `tied`. transformers ties the decoder's bias to a
    /// second parameter in several heads (`cls.predictions.bias`, `lm_head.bias`), so a checkpoint holds one or
    /// both spellings of the same vector: the first of `biases` present is read and the others are consumed too.
    /// An empty `biases` means a decoder without bias (ModernBERT's `decoder_bias: false`).
    static func decoder(_ scope: WeightScope, tied: Tensor?, biases: [(WeightScope, String)],
                        hiddenSize: Int, vocabularySize: Int) throws -> Linear {
        var bias: Tensor?
        if let first = biases.first {
            let present = biases.filter { $0.0.contains($0.1) }
            for (owner, name) in present.dropFirst() { _ = try owner.tensor(name, shape: [vocabularySize]) }
            let (owner, name) = present.first ?? first // none present: reading the first reports it missing
            bias = try owner.tensor(name, shape: [vocabularySize])
        }
        let weight: Tensor
        if let tied, !scope.contains("weight") {
            weight = tied
        } else {
            weight = try scope.tensor("weight", shape: [vocabularySize, hiddenSize])
        }
        return Linear(weight: weight, bias: bias)
    }

    /// Logits `[rows.count, vocabularySize]` of the hidden states `hidden` (`[tokens, hidden]`) at `rows`.
    public func forward(_ hidden: UnsafePointer<Float>, rows: [Int], pool: ThreadPool) -> Tensor {
        let width = hiddenSize
        let gathered = Tensor(zeros: [rows.count, width]) // [rows, hidden]
        for (index, row) in rows.enumerated() {
            (gathered.storage.pointer + index * width).update(from: hidden + row * width, count: width)
        }
        return decoder(transform(gathered, pool: pool), pool: pool) // [rows, vocab]
    }
}

// MARK: - Model

/// An encoder with a masked-language-model head: packed token ids in, vocabulary logits at chosen positions out.
///
/// ```swift
/// let model = try ModelRegistry.loadMaskedLanguageModel(directory: modelDirectory)
/// let batch = try TokenBatch(sequences: [(ids, typeIds)])
/// let logits = try model.logits(batch, positions: [maskIndex], pool: ThreadPool(threadCount: 2))  // [1, vocab]
/// ```
public final class MaskedLanguageModel: Sendable {
    /// The transformer that produces the token vectors.
    public let encoder: any TextEncoder
    /// Transform and vocabulary decoder.
    public let head: MaskedLanguageModelHead
    /// Architecture and tying from config.json.
    public let configuration: MaskedLanguageModelConfiguration

    /// Number of logits per position.
    public var vocabularySize: Int { head.vocabularySize }

    /// Pairs an encoder with a head built for it (a programmer error otherwise: the loaders size both from
    /// one config.json).
    public init(encoder: any TextEncoder, head: MaskedLanguageModelHead, configuration: MaskedLanguageModelConfiguration) {
        precondition(head.hiddenSize == encoder.hiddenSize,
                     "head width \(head.hiddenSize) does not fit encoder width \(encoder.hiddenSize)")
        self.encoder = encoder
        self.head = head
        self.configuration = configuration
    }

    /// Logits `[positions.count, vocabularySize]`, row `i` for token `positions[i]` of the packed batch (an index
    /// into `batch.tokenIds`, so `batch.sequenceOffsets[s] + j` for token `j` of sequence `s`). Only those rows go
    /// through the head. Activations come from `arena` (one pass at a time per arena).
    public func logits(_ batch: TokenBatch, positions: [Int], pool: ThreadPool,
                       arena: ActivationArena = ActivationArena()) throws -> Tensor {
        for position in positions where position < 0 || position >= batch.totalTokens {
            throw ModelError.inconsistentBatch(reason: "position \(position) is outside the batch's \(batch.totalTokens) tokens")
        }
        guard !positions.isEmpty else { return Tensor(zeros: [0, vocabularySize]) }
        let hidden = try encoder.encode(batch, pool: pool, arena: arena) // [totalTokens, hidden]
        return head.forward(hidden.pointer, rows: positions, pool: pool)
    }
}

// MARK: - Loading

extension ModelRegistry {
    /// Builds a masked LM from a directory: its config.json, the parsed head fields, and the precision of the encoder.
    typealias MaskedLanguageModelLoader = @Sendable (_ directory: URL, _ configuration: URL,
                                                     _ head: MaskedLanguageModelConfiguration,
                                                     _ precision: Precision) throws -> MaskedLanguageModel

    /// The `architectures` names whose masked-LM head Apus implements, and their loaders. `BertForPreTraining`
    /// holds the same `cls.predictions` head beside the next-sentence classifier, which fill-mask ignores.
    static let maskedLanguageModels: [String: MaskedLanguageModelLoader] = [
        "BertForMaskedLM": loadBertMaskedLanguageModel,
        "BertForPreTraining": loadBertMaskedLanguageModel,
        // XLM-RoBERTa and CamemBERT subclass RoBERTa's classes: same `lm_head`, same `roberta.` prefix.
        "RobertaForMaskedLM": loadRobertaMaskedLanguageModel,
        "XLMRobertaForMaskedLM": loadRobertaMaskedLanguageModel,
        "CamembertForMaskedLM": loadRobertaMaskedLanguageModel,
        "DistilBertForMaskedLM": loadDistilBertMaskedLanguageModel,
        "MPNetForMaskedLM": loadMPNetMaskedLanguageModel,
        "ModernBertForMaskedLM": loadModernBertMaskedLanguageModel,
        "DebertaV2ForMaskedLM": loadDebertaV2MaskedLanguageModel,
    ]

    /// Every `architectures` value `loadMaskedLanguageModel` accepts, sorted.
    public static var supportedMaskedLanguageModels: [String] { maskedLanguageModels.keys.sorted() }

    /// Loads encoder and head of a `*ForMaskedLM` checkpoint in a Hub-layout `directory`, the encoder's linear
    /// layers computing in `precision`. Every tensor must be used (the pooler and next-sentence classifier that
    /// pre-training checkpoints carry excepted): extra or missing weights are an error naming them.
    public static func loadMaskedLanguageModel(directory: URL, precision: Precision = .fp32) throws -> MaskedLanguageModel {
        let configurationURL = try configurationFile(in: directory)
        let head = try MaskedLanguageModelConfiguration.load(from: configurationURL)
        guard let load = head.architectures.lazy.compactMap({ maskedLanguageModels[$0] }).first else {
            // Not `missingHead`, whose hint points at classification checkpoints.
            let found = head.architectures.isEmpty ? "no entry" : head.architectures.joined(separator: ", ")
            throw ModelError.invalidConfiguration(
                file: configurationURL.path, field: "architectures",
                reason: "\(found) has no masked-LM head that Apus implements; expected one of "
                    + "\(supportedMaskedLanguageModels.joined(separator: ", ")) (an encoder saved alone, as sentence-transformers "
                    + "models are, has no MLM head; use the checkpoint it was pre-trained as, e.g. bert-base-uncased)")
        }
        return try load(directory, configurationURL, head, precision)
    }

    /// `BertForMaskedLM`: a BERT encoder under `bert.` and `cls.predictions`, all from one `WeightStore` so
    /// `finish()` sees every tensor.
    private static func loadBertMaskedLanguageModel(directory: URL, configurationURL: URL,
                                                    head: MaskedLanguageModelConfiguration,
                                                    precision: Precision) throws -> MaskedLanguageModel {
        let configuration = try BertConfiguration.load(from: configurationURL)
        let weights = try WeightStore(directory: directory)
        let encoder = try BertModel(configuration: configuration, weights: weights, precision: precision)
        guard weights.contains("cls.predictions.transform.dense.weight") else {
            throw ModelError.invalidConfiguration(
                file: configurationURL.path, field: "architectures",
                reason: "names \(head.architectures.joined(separator: ", ")) but \(weights.source) has no masked-LM head "
                    + "(cls.predictions.transform.dense.weight); expected a checkpoint saved with its cls.predictions weights")
        }
        // `validate` has already accepted `hidden_act`, so this only satisfies the type system.
        guard let activation = Activation(huggingFaceName: configuration.hiddenActivation) else {
            throw ModelError.unsupportedConfigurationValue(file: configurationURL.path, key: "hidden_act",
                                                           value: configuration.hiddenActivation, supported: Activation.huggingFaceNames)
        }
        let tied = head.tiesWordEmbeddings ? encoder.stack.embeddings.wordEmbeddings.weight : nil
        let maskedLanguageHead = try MaskedLanguageModelHead(
            predictions: weights.scope("cls.predictions"), decoder: tied, hiddenSize: configuration.hiddenSize,
            vocabularySize: configuration.vocabularySize, activation: activation,
            layerNormEpsilon: configuration.layerNormEpsilon)
        // Pre-training checkpoints (bert-base-uncased) also carry the next-sentence classifier; transformers'
        // BertForMaskedLM ignores it on load, and so does fill-mask.
        weights.markUnused(prefix: "cls.seq_relationship.")
        try weights.finish()
        return MaskedLanguageModel(encoder: encoder, head: maskedLanguageHead, configuration: head)
    }

    // The encoders below declare their head prefixes unused so that an encoder alone loads strictly; the head
    // reading those tensors marks them consumed, and a missing one is still an error naming it.

    /// `RobertaLMHead` (RoBERTa, XLM-R, CamemBERT) and `MPNetLMHead`, both under `lm_head`: `dense` → GELU (erf,
    /// hard-coded upstream) → `layer_norm` (`layer_norm_eps`) → `decoder` + `bias`.
    private static func robertaLanguageHead(_ head: WeightScope, tied: Tensor?, hiddenSize: Int, vocabularySize: Int,
                                            layerNormEpsilon: Float) throws -> MaskedLanguageModelHead {
        MaskedLanguageModelHead(
            transform: HeadTransform(dense: try Linear(head, "dense", inFeatures: hiddenSize, outFeatures: hiddenSize),
                                     nonlinearity: .activation(.geluErf),
                                     norm: try LayerNorm(head, "layer_norm", width: hiddenSize, epsilon: layerNormEpsilon)),
            decoder: try MaskedLanguageModelHead.decoder(head.scope("decoder"), tied: tied,
                                                         biases: [(head, "bias"), (head.scope("decoder"), "bias")],
                                                         hiddenSize: hiddenSize, vocabularySize: vocabularySize))
    }

    /// `RobertaForMaskedLM` (and XLM-R, CamemBERT): the encoder under `roberta.`, then `lm_head`.
    private static func loadRobertaMaskedLanguageModel(directory: URL, configurationURL: URL,
                                                       head: MaskedLanguageModelConfiguration,
                                                       precision: Precision) throws -> MaskedLanguageModel {
        let configuration = try RobertaConfiguration.load(from: configurationURL)
        try configuration.validateAsRoberta(source: configurationURL.path)
        let weights = try WeightStore(directory: directory)
        let encoder = try RobertaModel(configuration: configuration, weights: weights, precision: precision)
        let languageHead = try robertaLanguageHead(
            weights.scope("lm_head"), tied: head.tiesWordEmbeddings ? encoder.stack.embeddings.wordEmbeddings.weight : nil,
            hiddenSize: configuration.hiddenSize, vocabularySize: configuration.vocabularySize,
            layerNormEpsilon: configuration.layerNormEpsilon)
        try weights.finish()
        return MaskedLanguageModel(encoder: encoder, head: languageHead, configuration: head)
    }

    /// `MPNetForMaskedLM`: the encoder under `mpnet.`, then `lm_head` (RoBERTa's head).
    private static func loadMPNetMaskedLanguageModel(directory: URL, configurationURL: URL,
                                                     head: MaskedLanguageModelConfiguration,
                                                     precision: Precision) throws -> MaskedLanguageModel {
        let configuration = try MPNetConfiguration.load(from: configurationURL)
        let weights = try WeightStore(directory: directory)
        let encoder = try MPNetModel(configuration: configuration, weights: weights, precision: precision)
        let languageHead = try robertaLanguageHead(
            weights.scope("lm_head"), tied: head.tiesWordEmbeddings ? encoder.stack.embeddings.wordEmbeddings.weight : nil,
            hiddenSize: configuration.base.hiddenSize, vocabularySize: configuration.base.vocabularySize,
            layerNormEpsilon: configuration.base.layerNormEpsilon)
        try weights.finish()
        return MaskedLanguageModel(encoder: encoder, head: languageHead, configuration: head)
    }

    /// `DistilBertForMaskedLM`: the encoder under `distilbert.`, then `vocab_transform` → `activation` →
    /// `vocab_layer_norm` (ε fixed at 1e-12 upstream) → `vocab_projector`.
    private static func loadDistilBertMaskedLanguageModel(directory: URL, configurationURL: URL,
                                                          head: MaskedLanguageModelConfiguration,
                                                          precision: Precision) throws -> MaskedLanguageModel {
        let configuration = try DistilBertConfiguration.load(from: configurationURL)
        let weights = try WeightStore(directory: directory)
        let encoder = try DistilBertModel(configuration: configuration, weights: weights, precision: precision)
        // `validate` has already accepted `activation`, so this only satisfies the type system.
        guard let activation = Activation(huggingFaceName: configuration.hiddenActivation) else {
            throw ModelError.unsupportedConfigurationValue(file: configurationURL.path, key: "activation",
                                                           value: configuration.hiddenActivation, supported: Activation.huggingFaceNames)
        }
        let hidden = configuration.hiddenSize, root = weights.root
        let languageHead = MaskedLanguageModelHead(
            transform: HeadTransform(dense: try Linear(root, "vocab_transform", inFeatures: hidden, outFeatures: hidden),
                                     nonlinearity: .activation(activation),
                                     norm: try LayerNorm(root, "vocab_layer_norm", width: hidden,
                                                         epsilon: DistilBertConfiguration.layerNormEpsilon)),
            decoder: try MaskedLanguageModelHead.decoder(
                root.scope("vocab_projector"), tied: head.tiesWordEmbeddings ? encoder.stack.embeddings.wordEmbeddings.weight : nil,
                biases: [(root.scope("vocab_projector"), "bias")], hiddenSize: hidden, vocabularySize: configuration.vocabularySize))
        try weights.finish()
        return MaskedLanguageModel(encoder: encoder, head: languageHead, configuration: head)
    }

    /// `ModernBertForMaskedLM`: the encoder under `model.`, then `head` (`ModernBertPredictionHead`) and `decoder`
    /// (bias per `decoder_bias`).
    private static func loadModernBertMaskedLanguageModel(directory: URL, configurationURL: URL,
                                                          head: MaskedLanguageModelConfiguration,
                                                          precision: Precision) throws -> MaskedLanguageModel {
        let configuration = try ModernBertConfiguration.load(from: configurationURL)
        let weights = try WeightStore(directory: directory)
        let encoder = try ModernBertModel(configuration: configuration, weights: weights, precision: precision)
        let decoder = weights.scope("decoder")
        let languageHead = MaskedLanguageModelHead(
            transform: try .modernBert(weights.scope("head"), configuration, source: configurationURL.path),
            decoder: try MaskedLanguageModelHead.decoder(
                decoder, tied: head.tiesWordEmbeddings ? encoder.tokenEmbeddings.weight : nil,
                biases: configuration.decoderBias ? [(decoder, "bias")] : [],
                hiddenSize: configuration.hiddenSize, vocabularySize: configuration.vocabularySize))
        try weights.finish()
        return MaskedLanguageModel(encoder: encoder, head: languageHead, configuration: head)
    }

    /// `DebertaV2ForMaskedLM`: the encoder under `deberta.`, then one of transformers' two heads, as `legacy` says:
    ///   legacy (the default)  `cls.predictions.transform` (dense hidden → embedding_size, `hidden_act`, LayerNorm)
    ///                         and `cls.predictions.decoder` (tied to the word embeddings) + `cls.predictions.bias`;
    ///   `legacy: false`       `lm_predictions.lm_head` (dense, `hidden_act`, LayerNorm, `bias`), always projecting
    ///                         onto the word embeddings.
    /// Microsoft's DeBERTa-v3 files hold `lm_predictions` without saying `legacy: false`; transformers then starts a
    /// random `cls` head, Apus reads the head the file has.
    private static func loadDebertaV2MaskedLanguageModel(directory: URL, configurationURL: URL,
                                                         head: MaskedLanguageModelConfiguration,
                                                         precision: Precision) throws -> MaskedLanguageModel {
        let configuration = try DebertaV2Configuration.load(from: configurationURL)
        guard let activation = Activation(huggingFaceName: configuration.hiddenActivation) else { // validated already
            throw ModelError.unsupportedConfigurationValue(file: configurationURL.path, key: "hidden_act",
                                                           value: configuration.hiddenActivation, supported: Activation.huggingFaceNames)
        }
        let weights = try WeightStore(directory: directory)
        let encoder = try DebertaV2Model(configuration: configuration, weights: weights, precision: precision)
        let hidden = configuration.hiddenSize, width = configuration.embeddingSize, vocabulary = configuration.vocabularySize
        let wordEmbeddings = encoder.embeddings.wordEmbeddings.weight // [vocab, embedding_size]
        let legacy = weights.contains("cls.predictions.transform.dense.weight")
            || (configuration.legacyMaskedLanguageHead && !weights.contains("lm_predictions.lm_head.dense.weight"))
        let languageHead: MaskedLanguageModelHead
        if legacy {
            let predictions = weights.scope("cls.predictions"), transform = predictions.scope("transform")
            languageHead = MaskedLanguageModelHead(
                transform: HeadTransform(dense: try Linear(transform, "dense", inFeatures: hidden, outFeatures: width),
                                         nonlinearity: .activation(activation),
                                         norm: try LayerNorm(transform, "LayerNorm", width: width, epsilon: configuration.layerNormEpsilon)),
                decoder: try MaskedLanguageModelHead.decoder(
                    predictions.scope("decoder"), tied: head.tiesWordEmbeddings ? wordEmbeddings : nil,
                    biases: [(predictions, "bias"), (predictions.scope("decoder"), "bias")], hiddenSize: width, vocabularySize: vocabulary))
        } else {
            if width != hidden {
                throw ModelError.invalidConfiguration(file: configurationURL.path, field: "embedding_size",
                                                      reason: "\(width) differs from hidden_size \(hidden); lm_predictions.lm_head projects hidden states onto the word embeddings")
            }
            let lmHead = weights.scope("lm_predictions.lm_head")
            languageHead = MaskedLanguageModelHead(
                transform: HeadTransform(dense: try Linear(lmHead, "dense", inFeatures: hidden, outFeatures: hidden),
                                         nonlinearity: .activation(activation),
                                         norm: try LayerNorm(lmHead, "LayerNorm", width: hidden, epsilon: configuration.layerNormEpsilon)),
                decoder: Linear(weight: wordEmbeddings, bias: try lmHead.tensor("bias", shape: [vocabulary])))
        }
        // The replaced-token-detection head of the pre-training checkpoints; transformers ignores it too.
        weights.markUnused(prefix: "mask_predictions.")
        try weights.finish()
        return MaskedLanguageModel(encoder: encoder, head: languageHead, configuration: head)
    }
}
