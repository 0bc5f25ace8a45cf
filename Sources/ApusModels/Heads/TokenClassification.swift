// Token-classification heads, ports of transformers' `*ForTokenClassification` at inference:
//   BertForTokenClassification (models/bert/modeling_bert.py):
//     h      = bert(input_ids).last_hidden_state      (BertModel(add_pooling_layer=False): no pooler)
//     logits = classifier(dropout(h))                 (dropout is identity at inference; every token gets a row)
// On a packed batch the classifier is one product over all `totalTokens` rows, so a token's logits depend only
// on its own sequence.
import ApusTensor
import Foundation

// MARK: - Configuration

/// The head fields of a token classifier's `config.json`: which architecture and which labels.
public struct TokenClassificationConfiguration: Sendable, Equatable {
    /// `architectures` as written (e.g. `["BertForTokenClassification"]`); empty when absent.
    public var architectures: [String]
    /// Label names by class id (`id2label`), or `LABEL_<i>` when the file names none, as transformers does.
    public var labels: [String]

    /// Number of outputs of the classifier per token.
    public var labelCount: Int { labels.count }

    /// A configuration from values.
    public init(architectures: [String], labels: [String]) {
        self.architectures = architectures
        self.labels = labels
    }

    /// Reads the head fields of the config.json at `url`. They are the fields sequence classification reads
    /// (`architectures`, `id2label`, `num_labels`), so the same parser and its checks apply.
    public static func load(from url: URL) throws -> TokenClassificationConfiguration {
        let fields = try SequenceClassificationConfiguration.load(from: url)
        return TokenClassificationConfiguration(architectures: fields.architectures, labels: fields.labels)
    }
}

// MARK: - Head

/// An optional per-token transform, then `classifier`: a linear map from every token's hidden state to one logit
/// per label. BERT, RoBERTa, DistilBERT and MPNet apply only the classifier (after dropout, the identity at
/// inference); ModernBERT first runs its prediction head (`head.dense` → activation → `head.norm`) on every token.
public struct TokenClassificationHead: Sendable {
    /// ModernBERT's `head`; nil for the families whose classifier reads the encoder output directly.
    let transform: HeadTransform?
    /// `classifier`, `[labels, hidden]`.
    let classifier: Linear

    /// Width of the hidden states the head reads.
    public var hiddenSize: Int { transform?.inFeatures ?? classifier.inFeatures }
    /// Number of logits per token.
    public var labelCount: Int { classifier.outFeatures }

    /// Loads `classifier.*` from `task` (the checkpoint's top level). The head computes in fp32: one small
    /// product per batch, where bf16 would save nothing and cost accuracy in the scores.
    public init(task: WeightScope, hiddenSize: Int, labelCount: Int) throws {
        transform = nil
        classifier = try Linear(task, "classifier", inFeatures: hiddenSize, outFeatures: labelCount)
    }

    /// A head from loaded layers: `transform` on every token, then `classifier`.
    public init(transform: HeadTransform?, classifier: Linear) {
        precondition(transform.map { $0.outFeatures == classifier.inFeatures } ?? true, "head transform and classifier widths differ")
        self.transform = transform
        self.classifier = classifier
    }

    /// Logits `[batch.totalTokens, labelCount]` from the encoder's last hidden states `[batch.totalTokens, hidden]`.
    public func forward(_ hidden: Tensor, pool: ThreadPool) -> Tensor {
        guard let transform else { return classifier(hidden, pool: pool) } // [totalTokens, labels]
        return classifier(transform(hidden, pool: pool), pool: pool) // [totalTokens, labels]
    }
}

// MARK: - Model

/// An encoder with a token-classification head: packed token ids in, one row of logits per token out.
///
/// ```swift
/// let tagger = try ModelRegistry.loadTokenClassifier(directory: modelDirectory)
/// let logits = try tagger.logits(TokenBatch(sequences: [(ids, typeIds)]), pool: ThreadPool(threadCount: 2))
/// // logits: [ids.count, tagger.labels.count]; row i scores token i
/// ```
public final class TokenClassifier: Sendable {
    /// The transformer that produces the token vectors.
    public let encoder: any TextEncoder
    /// The per-token classifier.
    public let head: TokenClassificationHead
    /// Labels and architecture from config.json.
    public let configuration: TokenClassificationConfiguration

    /// Label names by class id.
    public var labels: [String] { configuration.labels }

    /// Pairs an encoder with a head built for it (a programmer error otherwise: the loaders size both from
    /// one config.json).
    public init(encoder: any TextEncoder, head: TokenClassificationHead, configuration: TokenClassificationConfiguration) {
        precondition(head.hiddenSize == encoder.hiddenSize && head.labelCount == configuration.labelCount,
                     "head \(head.hiddenSize) → \(head.labelCount) does not fit encoder width \(encoder.hiddenSize), \(configuration.labelCount) labels")
        self.encoder = encoder
        self.head = head
        self.configuration = configuration
    }

    /// Logits `[batch.totalTokens, labels.count]`, sequences in batch order. Activations come from `arena`
    /// (one pass at a time per arena). Each token's logits depend only on its own sequence.
    public func logits(_ batch: TokenBatch, pool: ThreadPool, arena: ActivationArena = ActivationArena()) throws -> Tensor {
        guard batch.totalTokens > 0 else { return Tensor(zeros: [0, head.labelCount]) }
        let hidden = try encoder.encode(batch, pool: pool, arena: arena) // [totalTokens, hidden]
        return head.forward(hidden, pool: pool)
    }
}

// MARK: - Loading

extension ModelRegistry {
    /// Builds a token classifier from a directory: its config.json, the parsed head fields, and the precision of
    /// the encoder.
    typealias TokenClassifierLoader = @Sendable (_ directory: URL, _ configuration: URL,
                                                 _ head: TokenClassificationConfiguration,
                                                 _ precision: Precision) throws -> TokenClassifier

    /// The `architectures` names whose token-classification head Apus implements, and their loaders.
    static let tokenClassifiers: [String: TokenClassifierLoader] = [
        "BertForTokenClassification": loadBertTokenClassifier,
        // XLM-RoBERTa and CamemBERT subclass RoBERTa's classes: same head, same `roberta.` prefix.
        "RobertaForTokenClassification": loadRobertaTokenClassifier,
        "XLMRobertaForTokenClassification": loadRobertaTokenClassifier,
        "CamembertForTokenClassification": loadRobertaTokenClassifier,
        "DistilBertForTokenClassification": loadDistilBertTokenClassifier,
        "MPNetForTokenClassification": loadMPNetTokenClassifier,
        "ModernBertForTokenClassification": loadModernBertTokenClassifier,
        "DebertaV2ForTokenClassification": loadDebertaV2TokenClassifier,
    ]

    /// Every `architectures` value `loadTokenClassifier` accepts, sorted.
    public static var supportedTokenClassifiers: [String] { tokenClassifiers.keys.sorted() }

    /// Loads encoder and head of a `*ForTokenClassification` checkpoint (NER, part-of-speech tagging) in a
    /// Hub-layout `directory`, the encoder's linear layers computing in `precision`. Every tensor must be used:
    /// a checkpoint with extra or missing weights is an error naming them.
    public static func loadTokenClassifier(directory: URL, precision: Precision = .fp32) throws -> TokenClassifier {
        let configurationURL = try configurationFile(in: directory)
        let head = try TokenClassificationConfiguration.load(from: configurationURL)
        guard let load = head.architectures.lazy.compactMap({ tokenClassifiers[$0] }).first else {
            throw ModelError.missingHead(file: configurationURL.path, task: "token-classification",
                                         architectures: head.architectures, supported: supportedTokenClassifiers)
        }
        return try load(directory, configurationURL, head, precision)
    }

    /// `BertForTokenClassification`: a BERT encoder under `bert.` and `classifier`, both from one `WeightStore`
    /// so `finish()` sees every tensor. transformers builds this encoder without a pooler; a checkpoint that still
    /// carries one has it skipped by `BertModel`, which declares the pooler unused.
    private static func loadBertTokenClassifier(directory: URL, configurationURL: URL,
                                                head: TokenClassificationConfiguration,
                                                precision: Precision) throws -> TokenClassifier {
        let configuration = try BertConfiguration.load(from: configurationURL)
        let weights = try WeightStore(directory: directory)
        let encoder = try BertModel(configuration: configuration, weights: weights, precision: precision)
        let tokenHead = try TokenClassificationHead(task: weights.root, hiddenSize: configuration.hiddenSize,
                                                    labelCount: head.labelCount)
        try weights.finish()
        return TokenClassifier(encoder: encoder, head: tokenHead, configuration: head)
    }

    // The encoders below declare their checkpoints' head prefixes (`classifier.`, `head.`) unused so that an encoder
    // alone loads strictly; the head reading those tensors marks them consumed, and a missing one is still an error.

    /// `RobertaForTokenClassification` (and XLM-R, CamemBERT): the encoder under `roberta.`, then `classifier`.
    private static func loadRobertaTokenClassifier(directory: URL, configurationURL: URL,
                                                   head: TokenClassificationConfiguration,
                                                   precision: Precision) throws -> TokenClassifier {
        let configuration = try RobertaConfiguration.load(from: configurationURL)
        try configuration.validateAsRoberta(source: configurationURL.path)
        let weights = try WeightStore(directory: directory)
        let encoder = try RobertaModel(configuration: configuration, weights: weights, precision: precision)
        let tokenHead = try TokenClassificationHead(task: weights.root, hiddenSize: configuration.hiddenSize, labelCount: head.labelCount)
        try weights.finish()
        return TokenClassifier(encoder: encoder, head: tokenHead, configuration: head)
    }

    /// `DistilBertForTokenClassification`: the encoder under `distilbert.`, then `classifier`.
    private static func loadDistilBertTokenClassifier(directory: URL, configurationURL: URL,
                                                      head: TokenClassificationConfiguration,
                                                      precision: Precision) throws -> TokenClassifier {
        let configuration = try DistilBertConfiguration.load(from: configurationURL)
        let weights = try WeightStore(directory: directory)
        let encoder = try DistilBertModel(configuration: configuration, weights: weights, precision: precision)
        let tokenHead = try TokenClassificationHead(task: weights.root, hiddenSize: configuration.hiddenSize, labelCount: head.labelCount)
        try weights.finish()
        return TokenClassifier(encoder: encoder, head: tokenHead, configuration: head)
    }

    /// `MPNetForTokenClassification`: the encoder under `mpnet.`, then `classifier`.
    private static func loadMPNetTokenClassifier(directory: URL, configurationURL: URL,
                                                 head: TokenClassificationConfiguration,
                                                 precision: Precision) throws -> TokenClassifier {
        let configuration = try MPNetConfiguration.load(from: configurationURL)
        let weights = try WeightStore(directory: directory)
        let encoder = try MPNetModel(configuration: configuration, weights: weights, precision: precision)
        let tokenHead = try TokenClassificationHead(task: weights.root, hiddenSize: configuration.base.hiddenSize,
                                                    labelCount: head.labelCount)
        try weights.finish()
        return TokenClassifier(encoder: encoder, head: tokenHead, configuration: head)
    }

    /// `ModernBertForTokenClassification`: the encoder under `model.`, then `head` (`ModernBertPredictionHead`)
    /// on every token and `classifier`.
    private static func loadModernBertTokenClassifier(directory: URL, configurationURL: URL,
                                                      head: TokenClassificationConfiguration,
                                                      precision: Precision) throws -> TokenClassifier {
        let configuration = try ModernBertConfiguration.load(from: configurationURL)
        let weights = try WeightStore(directory: directory)
        let encoder = try ModernBertModel(configuration: configuration, weights: weights, precision: precision)
        let tokenHead = TokenClassificationHead(
            transform: try .modernBert(weights.scope("head"), configuration, source: configurationURL.path),
            classifier: try Linear(weights.root, "classifier", inFeatures: configuration.hiddenSize, outFeatures: head.labelCount))
        try weights.finish()
        return TokenClassifier(encoder: encoder, head: tokenHead, configuration: head)
    }

    /// `DebertaV2ForTokenClassification`: the encoder under `deberta.`, then `classifier`.
    private static func loadDebertaV2TokenClassifier(directory: URL, configurationURL: URL,
                                                     head: TokenClassificationConfiguration,
                                                     precision: Precision) throws -> TokenClassifier {
        let configuration = try DebertaV2Configuration.load(from: configurationURL)
        let weights = try WeightStore(directory: directory)
        let encoder = try DebertaV2Model(configuration: configuration, weights: weights, precision: precision)
        let tokenHead = try TokenClassificationHead(task: weights.root, hiddenSize: configuration.hiddenSize, labelCount: head.labelCount)
        try weights.finish()
        return TokenClassifier(encoder: encoder, head: tokenHead, configuration: head)
    }
}
