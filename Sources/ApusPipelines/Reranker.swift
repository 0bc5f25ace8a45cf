import ApusModels
import ApusTensor
import Foundation

/// The function a cross-encoder applies to its logit, as sentence-transformers' `CrossEncoder.activation_fn`.
public enum RerankActivation: String, Sendable, Equatable, CaseIterable {
    /// `1 / (1 + e^-x)`: sentence-transformers' default for one label.
    case sigmoid
    /// The logit as it is: the default for more labels.
    case identity
    /// `tanh(x)`.
    case tanh

    /// Applies the activation to one logit.
    public func callAsFunction(_ logit: Float) -> Float {
        switch self {
        case .sigmoid: return Float(1 / (1 + Foundation.exp(-Double(logit))))
        case .identity: return logit
        case .tanh: return Float(Foundation.tanh(Double(logit)))
        }
    }

    /// The activation named by a dotted torch path (`torch.nn.modules.activation.Sigmoid`, `torch.nn.Identity`).
    public init?(torchPath: String) {
        switch torchPath.split(separator: ".").last {
        case "Sigmoid": self = .sigmoid
        case "Identity": self = .identity
        case "Tanh": self = .tanh
        default: return nil
        }
    }

    /// The activation sentence-transformers (6.x) uses for the model in `directory`, looked up in its order:
    /// config_sentence_transformers.json's `activation_fn`, config.json's `sentence_transformers.activation_fn`
    /// (4.x–5.x saves), config.json's `sbert_ce_default_activation_function` (before 4.0), else sigmoid for
    /// one label and identity for more (`CrossEncoder.get_default_activation_fn`).
    public static func load(directory: URL, labelCount: Int) throws -> RerankActivation {
        struct SentenceTransformersConfig: Decodable {
            let activation: String?
            enum CodingKeys: String, CodingKey { case activation = "activation_fn" }
        }
        struct ModelConfig: Decodable {
            let sentenceTransformers: SentenceTransformersConfig?
            let legacyActivation: String?
            enum CodingKeys: String, CodingKey {
                case sentenceTransformers = "sentence_transformers", legacyActivation = "sbert_ce_default_activation_function"
            }
        }
        var candidates: [(file: URL, field: String, path: String)] = []
        let sentenceTransformersURL = directory.appendingPathComponent("config_sentence_transformers.json")
        if FileManager.default.fileExists(atPath: sentenceTransformersURL.path),
           let path = try ConfigurationFile.decode(SentenceTransformersConfig.self, from: sentenceTransformersURL).activation {
            candidates.append((sentenceTransformersURL, "activation_fn", path))
        }
        let configurationURL = directory.appendingPathComponent("config.json")
        let configuration = try ConfigurationFile.decode(ModelConfig.self, from: configurationURL)
        if let path = configuration.sentenceTransformers?.activation {
            candidates.append((configurationURL, "sentence_transformers.activation_fn", path))
        }
        if let path = configuration.legacyActivation {
            candidates.append((configurationURL, "sbert_ce_default_activation_function", path))
        }
        guard let chosen = candidates.first else { return labelCount == 1 ? .sigmoid : .identity }
        guard let activation = RerankActivation(torchPath: chosen.path) else {
            throw PipelineError.unsupportedModule(file: chosen.file.path + " (\(chosen.field))", type: chosen.path,
                                                  supported: ["torch.nn.Sigmoid", "torch.nn.Identity", "torch.nn.Tanh"])
        }
        return activation
    }
}

/// One document's place in a ranking.
public struct RankedDocument: Sendable, Equatable {
    /// Position of the document in the list given to `rank` (sentence-transformers' `corpus_id`).
    public let index: Int
    /// Its relevance score to the query.
    public let score: Float

    /// A ranked document from its parts.
    public init(index: Int, score: Float) {
        self.index = index
        self.score = score
    }
}

/// Reranking with a cross-encoder (a `*ForSequenceClassification` model with one output, as sentence-transformers'
/// `CrossEncoder` saves them): each (query, document) pair is read together and scored.
///
/// ```swift
/// let reranker = try Reranker(modelDirectory: URL(fileURLWithPath: "ms-marco-MiniLM-L6-v2"))
/// let ranking = try reranker.rank(query: "how do cats sleep?", documents: passages, topK: 3)
/// ranking[0].index   // the most relevant passage
/// ```
public final class Reranker: Sendable {
    /// Tokenizer and classification model, which run the pairs.
    public let classifier: TextClassifier
    /// What turns the logit into the score.
    public let activation: RerankActivation

    /// Loads a cross-encoder from a Hub-layout directory; the encoder's linear layers compute in `precision`. The
    /// model must have one output (a relevance logit), and the activation is the one sentence-transformers applies.
    public init(modelDirectory: URL, threads: Int = ThreadPool.machine, precision: Precision = .fp32) throws {
        classifier = try TextClassifier(modelDirectory: modelDirectory, threads: threads, precision: precision)
        let labelCount = classifier.labels.count
        guard labelCount == 1 else {
            throw PipelineError.inconsistentModules(
                file: modelDirectory.appendingPathComponent("config.json").path,
                reason: "a reranker needs one output (a relevance logit) but the classifier has \(labelCount) labels "
                    + "(\(classifier.labels.joined(separator: ", "))); classify the pairs with TextClassifier / apus classify --pair")
        }
        activation = try RerankActivation.load(directory: modelDirectory, labelCount: labelCount)
    }

    /// The score of each document for `query`, in document order: the activation of the logit of the pair
    /// (query, document), encoded with the tokenizer's pair template and truncated longest-first, as
    /// `CrossEncoder.predict` does.
    public func scores(query: String, documents: [String], batchSize: Int = 32, maxLength: Int? = nil) throws -> [Float] {
        let results = try classifier.classify(Array(repeating: query, count: documents.count), pairs: documents,
                                              batchSize: batchSize, maxLength: maxLength)
        return results.map { activation($0.logits[0]) }
    }

    /// The documents sorted by score, best first, with their indices (`CrossEncoder.rank`); the `topK` best
    /// when given. Equal scores keep document order.
    public func rank(query: String, documents: [String], topK: Int? = nil, batchSize: Int = 32,
                     maxLength: Int? = nil) throws -> [RankedDocument] {
        if let topK, topK < 1 { throw PipelineError.invalidArgument(name: "top k", reason: "must be at least 1, got \(topK)") }
        let scores = try scores(query: query, documents: documents, batchSize: batchSize, maxLength: maxLength)
        let ranked = scores.indices
            .sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
            .map { RankedDocument(index: $0, score: scores[$0]) }
        return Array(ranked.prefix(topK ?? ranked.count))
    }
}
