// Sequence-classification heads, ports of transformers' `*ForSequenceClassification` at inference:
//   BertForSequenceClassification (models/bert/modeling_bert.py):
//     pooled = tanh(pooler.dense(h[first token]))   (BertPooler; the first token is [CLS])
//     logits = classifier(dropout(pooled))           (dropout is identity at inference)
// The head reads only the first row of each sequence, so on a packed batch it gathers those rows and runs
// two small products; the encoder does all the work.
import ApusTensor
import Foundation

// MARK: - Configuration

/// How a head's logits become scores: transformers' `problem_type`.
public enum ClassificationProblem: String, Sendable, Equatable, CaseIterable {
    /// One label per text: softmax over the labels.
    case singleLabel = "single_label_classification"
    /// Any number of labels per text: a sigmoid per label.
    case multiLabel = "multi_label_classification"
    /// A real value per output: the logits as they are.
    case regression

    /// transformers' rule when config.json has no `problem_type` (the loss in
    /// `BertForSequenceClassification.forward`): one output is a regression, more are single-label classes.
    /// The `text-classification` pipeline differs for one label (it applies a sigmoid); the logits are
    /// always returned too, so a caller can choose.
    public static func inferred(labelCount: Int) -> ClassificationProblem {
        labelCount == 1 ? .regression : .singleLabel
    }

    /// The scores of one text's logits: softmax, an independent sigmoid per label, or the logits themselves.
    public func scores(_ logits: [Float]) -> [Float] {
        switch self {
        case .singleLabel:
            // Subtracting the largest logit keeps exp from overflowing; the result is unchanged.
            let largest = logits.max() ?? 0
            let exponentials = logits.map { Foundation.exp(Double($0 - largest)) }
            let total = exponentials.reduce(0, +)
            return exponentials.map { Float($0 / total) }
        case .multiLabel:
            return logits.map { Float(1 / (1 + Foundation.exp(-Double($0)))) }
        case .regression:
            return logits
        }
    }
}

/// The head fields of a `config.json`: which architecture, which labels, which problem.
public struct SequenceClassificationConfiguration: Sendable, Equatable {
    /// `architectures` as written (e.g. `["BertForSequenceClassification"]`); empty when absent.
    public var architectures: [String]
    /// Label names by class id (`id2label`), or `LABEL_<i>` when the file names none, as transformers does.
    public var labels: [String]
    /// `problem_type`, or the one transformers infers from the number of labels.
    public var problem: ClassificationProblem

    /// Number of outputs of the classifier.
    public var labelCount: Int { labels.count }

    /// A configuration from values; `problem` defaults to transformers' rule for `labels.count`.
    public init(architectures: [String], labels: [String], problem: ClassificationProblem? = nil) {
        self.architectures = architectures
        self.labels = labels
        self.problem = problem ?? .inferred(labelCount: labels.count)
    }

    /// Reads the head fields of the config.json at `url`.
    public static func load(from url: URL) throws -> SequenceClassificationConfiguration {
        try ConfigurationFile.decode(Fields.self, from: url).resolved(source: url.path)
    }

    /// Parses config.json `data`; `source` names the file in errors.
    public static func decode(_ data: Data, source: String) throws -> SequenceClassificationConfiguration {
        try ConfigurationFile.decode(Fields.self, from: data, source: source).resolved(source: source)
    }

    /// The fields as written; `resolved` applies transformers' defaults (`PretrainedConfig.__init__`).
    private struct Fields: Decodable {
        let architectures: [String]?
        let labelCount: Int?
        let idToLabel: [String: String]?
        let problemType: String?
        enum CodingKeys: String, CodingKey {
            case architectures, labelCount = "num_labels", idToLabel = "id2label", problemType = "problem_type"
        }

        func resolved(source: String) throws -> SequenceClassificationConfiguration {
            let labels: [String]
            if let idToLabel {
                // As in transformers, `id2label` decides the label count when both it and `num_labels` are given.
                var byId: [Int: String] = [:]
                for (key, name) in idToLabel {
                    guard let id = Int(key), id >= 0, id < idToLabel.count else {
                        throw ModelError.invalidConfiguration(
                            file: source, field: "id2label",
                            reason: "key \"\(key)\" is not a class id; expected the strings \"0\" … \"\(idToLabel.count - 1)\"")
                    }
                    byId[id] = name
                }
                labels = (0..<idToLabel.count).compactMap { byId[$0] }
            } else {
                labels = (0..<(labelCount ?? 2)).map { "LABEL_\($0)" }
            }
            if labels.isEmpty {
                throw ModelError.invalidConfiguration(file: source, field: idToLabel == nil ? "num_labels" : "id2label",
                                                      reason: "a classifier needs at least one label")
            }
            var problem: ClassificationProblem?
            if let problemType {
                guard let known = ClassificationProblem(rawValue: problemType) else {
                    throw ModelError.unsupportedConfigurationValue(file: source, key: "problem_type", value: problemType,
                                                                   supported: ClassificationProblem.allCases.map(\.rawValue))
                }
                problem = known
            }
            return SequenceClassificationConfiguration(architectures: architectures ?? [], labels: labels, problem: problem)
        }
    }
}

// MARK: - Head

/// How a head reduces a sequence's hidden states to one row before classifying it.
public enum SequencePooling: String, Sendable, Equatable, CaseIterable {
    /// The first token's row ([CLS] or <s>): BERT, RoBERTa, DistilBERT, MPNet, and ModernBERT's default.
    case firstToken = "cls"
    /// The average of every token's row: ModernBERT's `classifier_pooling: "mean"`.
    case mean
}

/// Pooling, a hidden transform and `classifier`: one logit per label for each sequence.
///
/// The families differ only in names and in the transform: BERT `pooler.dense` → tanh, RoBERTa/MPNet
/// `classifier.dense` → tanh (output `classifier.out_proj`), DistilBERT `pre_classifier` → ReLU, ModernBERT
/// `head.dense` → `classifier_activation` → `head.norm`.
public struct SequenceClassificationHead: Sendable {
    /// First token or mean.
    let pooling: SequencePooling
    /// `[hidden, hidden]` dense layer, nonlinearity and optional norm on the pooled row.
    let transform: HeadTransform
    /// The output projection, `[labels, hidden]`.
    let classifier: Linear

    /// Width of the hidden states the head reads.
    public var hiddenSize: Int { transform.inFeatures }
    /// Number of logits per sequence.
    public var labelCount: Int { classifier.outFeatures }

    /// A head from loaded layers; the loaders below name each family's weights.
    public init(pooling: SequencePooling, transform: HeadTransform, classifier: Linear) {
        precondition(transform.outFeatures == classifier.inFeatures, "head transform and classifier widths differ")
        self.pooling = pooling
        self.transform = transform
        self.classifier = classifier
    }

    /// BERT's head: `pooler.dense.*` under `encoder` (a task checkpoint keeps the pooler with the encoder:
    /// `bert.pooler`) and `classifier.*` under `task` (the checkpoint's top level).
    public init(encoder: WeightScope, task: WeightScope, hiddenSize: Int, labelCount: Int) throws {
        self.init(pooling: .firstToken,
                  transform: HeadTransform(dense: try Linear(encoder.scope("pooler"), "dense", inFeatures: hiddenSize,
                                                             outFeatures: hiddenSize),
                                           nonlinearity: .tanh),
                  classifier: try Linear(task, "classifier", inFeatures: hiddenSize, outFeatures: labelCount))
    }

    /// `RobertaClassificationHead` (also MPNet's, and XLM-R's and CamemBERT's): `classifier.dense` → tanh →
    /// `classifier.out_proj` on the first token (<s>), with no pooler.
    static func roberta(task: WeightScope, hiddenSize: Int, labelCount: Int) throws -> SequenceClassificationHead {
        let head = task.scope("classifier")
        return SequenceClassificationHead(
            pooling: .firstToken,
            transform: HeadTransform(dense: try Linear(head, "dense", inFeatures: hiddenSize, outFeatures: hiddenSize),
                                     nonlinearity: .tanh),
            classifier: try Linear(head, "out_proj", inFeatures: hiddenSize, outFeatures: labelCount))
    }

    /// Logits `[batch.sequenceCount, labelCount]` from the encoder's last hidden states `[batch.totalTokens, hidden]`.
    public func forward(_ hidden: UnsafePointer<Float>, batch: TokenBatch, pool: ThreadPool) throws -> Tensor {
        let width = hiddenSize
        let pooled = Tensor(zeros: [batch.sequenceCount, width]) // [sequences, hidden]
        for sequence in 0..<batch.sequenceCount {
            let length = batch.sequenceLengths[sequence]
            guard length > 0 else {
                throw ModelError.inconsistentBatch(reason: "sequence \(sequence) is empty; classification reads its first token ([CLS])")
            }
            let source = hidden + batch.sequenceOffsets[sequence] * width
            let target = pooled.storage.pointer + sequence * width
            switch pooling {
            case .firstToken:
                target.update(from: source, count: width)
            case .mean:
                // Packed sequences carry no padding, so the mean is over exactly `length` rows, as transformers'
                // attention-masked mean is over the unpadded tokens.
                for token in 0..<length {
                    for column in 0..<width { target[column] += source[token * width + column] }
                }
                let scale = 1 / Float(length)
                for column in 0..<width { target[column] *= scale }
            }
        }
        return classifier(transform(pooled, pool: pool), pool: pool) // [sequences, labels]
    }
}

// MARK: - Model

/// An encoder with a sequence-classification head: packed token ids in, one row of logits per sequence out.
///
/// ```swift
/// let classifier = try ModelRegistry.loadSequenceClassifier(directory: modelDirectory)
/// let logits = try classifier.logits(TokenBatch(sequences: [(ids, typeIds)]), pool: ThreadPool(threadCount: 2))
/// classifier.configuration.problem.scores(logits.scalars)   // softmax, sigmoid or raw
/// ```
public final class SequenceClassifier: Sendable {
    /// The transformer that produces the token vectors.
    public let encoder: any TextEncoder
    /// Pooler and classifier.
    public let head: SequenceClassificationHead
    /// Labels, problem type and architecture from config.json.
    public let configuration: SequenceClassificationConfiguration

    /// Label names by class id.
    public var labels: [String] { configuration.labels }

    /// Pairs an encoder with a head built for it (a programmer error otherwise: the loaders size both from
    /// one config.json).
    public init(encoder: any TextEncoder, head: SequenceClassificationHead, configuration: SequenceClassificationConfiguration) {
        precondition(head.hiddenSize == encoder.hiddenSize && head.labelCount == configuration.labelCount,
                     "head \(head.hiddenSize) → \(head.labelCount) does not fit encoder width \(encoder.hiddenSize), \(configuration.labelCount) labels")
        self.encoder = encoder
        self.head = head
        self.configuration = configuration
    }

    /// Logits `[batch.sequenceCount, labels.count]`. Activations come from `arena` (one pass at a time per arena).
    /// Each sequence's logits depend only on its own tokens, not on what else is in the batch.
    public func logits(_ batch: TokenBatch, pool: ThreadPool, arena: ActivationArena = ActivationArena()) throws -> Tensor {
        guard batch.sequenceCount > 0 else { return Tensor(zeros: [0, head.labelCount]) }
        let hidden = try encoder.encode(batch, pool: pool, arena: arena) // [totalTokens, hidden]
        return try head.forward(hidden.pointer, batch: batch, pool: pool)
    }
}

// MARK: - Loading

extension ModelRegistry {
    /// Builds a classifier from a directory: its config.json, the parsed head fields, and the precision of the encoder.
    typealias SequenceClassifierLoader = @Sendable (_ directory: URL, _ configuration: URL,
                                                    _ head: SequenceClassificationConfiguration,
                                                    _ precision: Precision) throws -> SequenceClassifier

    /// The `architectures` names whose sequence-classification head Apus implements, and their loaders.
    static let sequenceClassifiers: [String: SequenceClassifierLoader] = [
        "BertForSequenceClassification": loadBertSequenceClassifier,
        // XLM-RoBERTa and CamemBERT subclass RoBERTa's classes: same head, same `roberta.` prefix.
        "RobertaForSequenceClassification": loadRobertaSequenceClassifier,
        "XLMRobertaForSequenceClassification": loadRobertaSequenceClassifier,
        "CamembertForSequenceClassification": loadRobertaSequenceClassifier,
        "DistilBertForSequenceClassification": loadDistilBertSequenceClassifier,
        "MPNetForSequenceClassification": loadMPNetSequenceClassifier,
        "ModernBertForSequenceClassification": loadModernBertSequenceClassifier,
        "DebertaV2ForSequenceClassification": loadDebertaV2SequenceClassifier,
    ]

    /// Every `architectures` value `loadSequenceClassifier` accepts, sorted.
    public static var supportedSequenceClassifiers: [String] { sequenceClassifiers.keys.sorted() }

    /// Loads encoder and head of a `*ForSequenceClassification` checkpoint in a Hub-layout `directory`, the
    /// encoder's linear layers computing in `precision`. Every tensor must be used: a checkpoint with extra or
    /// missing weights is an error naming them.
    public static func loadSequenceClassifier(directory: URL, precision: Precision = .fp32) throws -> SequenceClassifier {
        let configurationURL = try configurationFile(in: directory)
        let head = try SequenceClassificationConfiguration.load(from: configurationURL)
        guard let load = head.architectures.lazy.compactMap({ sequenceClassifiers[$0] }).first else {
            throw ModelError.missingHead(file: configurationURL.path, task: "sequence-classification",
                                         architectures: head.architectures, supported: supportedSequenceClassifiers)
        }
        return try load(directory, configurationURL, head, precision)
    }

    /// `BertForSequenceClassification`: a BERT encoder under `bert.`, its pooler, and `classifier`, all from one
    /// `WeightStore` so `finish()` sees every tensor.
    private static func loadBertSequenceClassifier(directory: URL, configurationURL: URL,
                                                   head: SequenceClassificationConfiguration,
                                                   precision: Precision) throws -> SequenceClassifier {
        let configuration = try BertConfiguration.load(from: configurationURL)
        let weights = try WeightStore(directory: directory)
        let encoder = try BertModel(configuration: configuration, weights: weights, precision: precision)
        // BertModel declares the pooler unused (an encoder alone has no use for it); here it is the head's first
        // layer, and reading it marks it consumed. Its prefix follows the encoder's (`bert.` in task checkpoints).
        let encoderRoot = weights.contains("bert.embeddings.word_embeddings.weight") ? weights.scope("bert") : weights.root
        let classificationHead = try SequenceClassificationHead(encoder: encoderRoot, task: weights.root,
                                                                hiddenSize: configuration.hiddenSize, labelCount: head.labelCount)
        try weights.finish()
        return SequenceClassifier(encoder: encoder, head: classificationHead, configuration: head)
    }

    // The encoders below declare their checkpoints' head prefixes unused so that an encoder alone loads strictly;
    // a head reading those tensors marks them consumed, and a missing one is still an error naming it.

    /// `RobertaForSequenceClassification` (and XLM-R, CamemBERT): the encoder under `roberta.`, then
    /// `classifier.dense` → tanh → `classifier.out_proj` on <s>.
    private static func loadRobertaSequenceClassifier(directory: URL, configurationURL: URL,
                                                      head: SequenceClassificationConfiguration,
                                                      precision: Precision) throws -> SequenceClassifier {
        let configuration = try RobertaConfiguration.load(from: configurationURL)
        try configuration.validateAsRoberta(source: configurationURL.path)
        let weights = try WeightStore(directory: directory)
        let encoder = try RobertaModel(configuration: configuration, weights: weights, precision: precision)
        let classificationHead = try SequenceClassificationHead.roberta(task: weights.root, hiddenSize: configuration.hiddenSize,
                                                                        labelCount: head.labelCount)
        try weights.finish()
        return SequenceClassifier(encoder: encoder, head: classificationHead, configuration: head)
    }

    /// `MPNetForSequenceClassification`: the encoder under `mpnet.` and `MPNetClassificationHead`, which is
    /// RoBERTa's (`classifier.dense` → tanh → `classifier.out_proj`).
    private static func loadMPNetSequenceClassifier(directory: URL, configurationURL: URL,
                                                    head: SequenceClassificationConfiguration,
                                                    precision: Precision) throws -> SequenceClassifier {
        let configuration = try MPNetConfiguration.load(from: configurationURL)
        let weights = try WeightStore(directory: directory)
        let encoder = try MPNetModel(configuration: configuration, weights: weights, precision: precision)
        let classificationHead = try SequenceClassificationHead.roberta(task: weights.root, hiddenSize: configuration.base.hiddenSize,
                                                                        labelCount: head.labelCount)
        try weights.finish()
        return SequenceClassifier(encoder: encoder, head: classificationHead, configuration: head)
    }

    /// `DistilBertForSequenceClassification`: the encoder under `distilbert.`, then `pre_classifier` → ReLU
    /// (hard-coded upstream, whatever `activation` says) → `classifier` on [CLS].
    private static func loadDistilBertSequenceClassifier(directory: URL, configurationURL: URL,
                                                         head: SequenceClassificationConfiguration,
                                                         precision: Precision) throws -> SequenceClassifier {
        let configuration = try DistilBertConfiguration.load(from: configurationURL)
        let weights = try WeightStore(directory: directory)
        let encoder = try DistilBertModel(configuration: configuration, weights: weights, precision: precision)
        let hidden = configuration.hiddenSize
        let classificationHead = SequenceClassificationHead(
            pooling: .firstToken,
            transform: HeadTransform(dense: try Linear(weights.root, "pre_classifier", inFeatures: hidden, outFeatures: hidden),
                                     nonlinearity: .activation(.relu)),
            classifier: try Linear(weights.root, "classifier", inFeatures: hidden, outFeatures: head.labelCount))
        try weights.finish()
        return SequenceClassifier(encoder: encoder, head: classificationHead, configuration: head)
    }

    /// `ModernBertForSequenceClassification`: the encoder under `model.`, pooled per `classifier_pooling`, then
    /// `head` (`ModernBertPredictionHead`) and `classifier`.
    private static func loadModernBertSequenceClassifier(directory: URL, configurationURL: URL,
                                                         head: SequenceClassificationConfiguration,
                                                         precision: Precision) throws -> SequenceClassifier {
        let configuration = try ModernBertConfiguration.load(from: configurationURL)
        guard let pooling = SequencePooling(rawValue: configuration.classifierPooling) else {
            throw ModelError.unsupportedConfigurationValue(file: configurationURL.path, key: "classifier_pooling",
                                                           value: configuration.classifierPooling,
                                                           supported: SequencePooling.allCases.map(\.rawValue))
        }
        let weights = try WeightStore(directory: directory)
        let encoder = try ModernBertModel(configuration: configuration, weights: weights, precision: precision)
        let classificationHead = SequenceClassificationHead(
            pooling: pooling,
            transform: try .modernBert(weights.scope("head"), configuration, source: configurationURL.path),
            classifier: try Linear(weights.root, "classifier", inFeatures: configuration.hiddenSize, outFeatures: head.labelCount))
        try weights.finish()
        return SequenceClassifier(encoder: encoder, head: classificationHead, configuration: head)
    }

    /// `DebertaV2ForSequenceClassification`: the encoder under `deberta.`, then `ContextPooler` (`pooler.dense` on
    /// the first token → `pooler_hidden_act`) and `classifier`.
    private static func loadDebertaV2SequenceClassifier(directory: URL, configurationURL: URL,
                                                        head: SequenceClassificationConfiguration,
                                                        precision: Precision) throws -> SequenceClassifier {
        let configuration = try DebertaV2Configuration.load(from: configurationURL)
        let hidden = configuration.hiddenSize
        // The pooler reads the hidden state and the classifier reads the pooler (`output_dim` is hidden_size).
        if configuration.poolerHiddenSize != hidden {
            throw ModelError.invalidConfiguration(file: configurationURL.path, field: "pooler_hidden_size",
                                                  reason: "\(configuration.poolerHiddenSize) differs from hidden_size \(hidden)")
        }
        guard let nonlinearity = HeadTransform.Nonlinearity(debertaName: configuration.poolerHiddenActivation) else {
            throw ModelError.unsupportedConfigurationValue(file: configurationURL.path, key: "pooler_hidden_act",
                                                           value: configuration.poolerHiddenActivation,
                                                           supported: ["tanh"] + Activation.huggingFaceNames)
        }
        let weights = try WeightStore(directory: directory)
        let encoder = try DebertaV2Model(configuration: configuration, weights: weights, precision: precision)
        let classificationHead = SequenceClassificationHead(
            pooling: .firstToken,
            transform: HeadTransform(dense: try Linear(weights.scope("pooler"), "dense", inFeatures: hidden, outFeatures: hidden),
                                     nonlinearity: nonlinearity),
            classifier: try Linear(weights.root, "classifier", inFeatures: hidden, outFeatures: head.labelCount))
        try weights.finish()
        return SequenceClassifier(encoder: encoder, head: classificationHead, configuration: head)
    }
}
