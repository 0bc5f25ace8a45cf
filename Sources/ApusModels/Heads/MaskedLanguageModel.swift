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

/// `BertLMPredictionHead`: dense + activation + LayerNorm, then the decoder onto the vocabulary.
public struct MaskedLanguageModelHead: Sendable {
    /// `cls.predictions.transform.dense`, `[hidden, hidden]`.
    let transformDense: Linear
    /// `hidden_act`, applied after `transformDense`.
    let activation: Activation
    /// `cls.predictions.transform.LayerNorm`.
    let transformLayerNorm: LayerNorm
    /// The decoder `[vocab, hidden]` with `cls.predictions.bias`: the word embeddings when tied.
    let decoder: Linear

    /// Width of the hidden states the head reads.
    public var hiddenSize: Int { transformDense.inFeatures }
    /// Number of logits per position: the vocabulary size.
    public var vocabularySize: Int { decoder.outFeatures }

    /// Loads `transform.*` and the bias under `predictions` (`cls.predictions` in the checkpoint). `decoder` is
    /// the tied word-embedding matrix `[vocab, hidden]`, or nil to read `predictions.decoder.weight`. The head
    /// computes in fp32: it runs on the few mask rows only, so bf16 would save little and cost score accuracy.
    public init(predictions: WeightScope, decoder tiedWeight: Tensor?, hiddenSize: Int, vocabularySize: Int,
                activation: Activation, layerNormEpsilon: Float) throws {
        let transform = predictions.scope("transform")
        transformDense = try Linear(transform, "dense", inFeatures: hiddenSize, outFeatures: hiddenSize)
        transformLayerNorm = try LayerNorm(transform, "LayerNorm", width: hiddenSize, epsilon: layerNormEpsilon)
        self.activation = activation
        // transformers ties `decoder.bias` to `predictions.bias` (`_tied_weights_keys`), so a checkpoint holds
        // one or both spellings of the same vector; read `predictions.bias` first and consume the other too.
        let decoderScope = predictions.scope("decoder")
        let bias: Tensor
        if predictions.contains("bias") {
            bias = try predictions.tensor("bias", shape: [vocabularySize])
            if decoderScope.contains("bias") { _ = try decoderScope.tensor("bias", shape: [vocabularySize]) }
        } else {
            bias = try decoderScope.tensor("bias", shape: [vocabularySize])
        }
        // An untied checkpoint (or one that saved the tied copy anyway) stores the decoder; that copy wins.
        let weight: Tensor
        if let tiedWeight, !decoderScope.contains("weight") {
            weight = tiedWeight
        } else {
            weight = try decoderScope.tensor("weight", shape: [vocabularySize, hiddenSize])
        }
        decoder = Linear(weight: weight, bias: bias)
    }

    /// Logits `[rows.count, vocabularySize]` of the hidden states `hidden` (`[tokens, hidden]`) at `rows`.
    public func forward(_ hidden: UnsafePointer<Float>, rows: [Int], pool: ThreadPool) -> Tensor {
        let width = hiddenSize
        let gathered = Tensor(zeros: [rows.count, width]) // [rows, hidden]
        for (index, row) in rows.enumerated() {
            (gathered.storage.pointer + index * width).update(from: hidden + row * width, count: width)
        }
        let transformed = Tensor(zeros: [rows.count, width]) // [rows, hidden]
        // fp32 layers need no scratch (`scratchBytes` is 0); one byte keeps the pointer valid.
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 64)
        defer { scratch.deallocate() }
        transformDense.forward(gathered.pointer, rows: rows.count, into: transformed.storage.pointer, activation: activation,
                               pool: pool, scratch: scratch)
        transformLayerNorm.forward(transformed.pointer, rows: rows.count, into: transformed.storage.pointer, pool: pool)
        return decoder(transformed, pool: pool) // [rows, vocab]
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
    ]

    /// Every `architectures` value `loadMaskedLanguageModel` accepts, sorted.
    public static var supportedMaskedLanguageModels: [String] { maskedLanguageModels.keys.sorted() }

    /// Loads encoder and head of a `*ForMaskedLM` checkpoint in a Hub-layout `directory`, the encoder's linear
    /// layers computing in `precision`. Every tensor must be used (the pooler and next-sentence classifier that
    /// pre-training checkpoints carry excepted): extra or missing weights are an error naming them.
    public static func loadMaskedLanguageModel(directory: URL, precision: Precision = .fp32) throws -> MaskedLanguageModel {
        let configurationURL = directory.appendingPathComponent("config.json")
        guard FileManager.default.fileExists(atPath: configurationURL.path) else {
            throw ModelError.invalidConfiguration(file: configurationURL.path, field: "(file)",
                                                  reason: "not found; a model directory in Hub layout has a config.json")
        }
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
}
