import ApusModels
import ApusTensor
import ApusTokenizers
import Foundation

/// A label and its score.
public struct LabelScore: Sendable, Equatable {
    /// The label's name (`id2label`).
    public let label: String
    /// Its probability (single- or multi-label) or raw value (regression).
    public let score: Float

    /// A label with its score.
    public init(label: String, score: Float) {
        self.label = label
        self.score = score
    }
}

/// The result for one text or pair: logits, scores and the labels ranked by score.
public struct TextClassification: Sendable, Equatable {
    /// The classifier's outputs by class id, before any activation (`model(...).logits`).
    public let logits: [Float]
    /// Scores by class id: softmax, sigmoid or the logits, as the model's `problem_type` says.
    public let scores: [Float]
    /// Every label with its score, highest first; equal scores keep class-id order.
    public let ranked: [LabelScore]

    /// Builds the scores and ranking of `logits` for `labels` under `problem`.
    public init(logits: [Float], labels: [String], problem: ClassificationProblem) {
        self.logits = logits
        let scores = problem.scores(logits)
        self.scores = scores
        ranked = scores.indices
            .sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
            .map { LabelScore(label: labels[$0], score: scores[$0]) }
    }

    /// The `k` best labels (all of them when `k` is nil or larger than the label count).
    public func top(_ k: Int?) -> [LabelScore] {
        guard let k else { return ranked }
        return Array(ranked.prefix(max(k, 0)))
    }
}

/// Text classification from a `*ForSequenceClassification` model directory: the scores transformers'
/// `text-classification` pipeline gives, plus the raw logits.
///
/// ```swift
/// let classifier = try TextClassifier(modelDirectory: URL(fileURLWithPath: "distilbert-sst2"))
/// let results = try classifier.classify(["What a film!", "Dull."])
/// results[0].ranked.first   // LabelScore(label: "POSITIVE", score: 0.9998)
/// let nli = try classifier.classify(["A man is eating."], pairs: ["Somebody eats."])   // sentence pairs
/// ```
public final class TextClassifier: Sendable {
    /// The tokenizer read from `tokenizer.json`.
    public let tokenizer: Tokenizer
    /// Encoder and classification head.
    public let model: SequenceClassifier
    /// Default maximum tokens per text or pair, special tokens included.
    public let maxSequenceLength: Int
    /// Threads the forward pass runs on.
    public let pool: ThreadPool
    /// Activation memory kept between calls, one pass at a time (the pool runs one at a time anyway).
    private let arena = PipelineArena()

    /// Label names by class id.
    public var labels: [String] { model.labels }
    /// How logits become scores.
    public var problem: ClassificationProblem { model.configuration.problem }

    /// Loads tokenizer and classifier from a Hub-layout directory (config.json naming a supported
    /// `*ForSequenceClassification` architecture, model.safetensors, tokenizer.json); the encoder's linear
    /// layers compute in `precision`.
    public init(modelDirectory: URL, threads: Int = ThreadPool.machine, precision: Precision = .fp32) throws {
        guard threads >= 1 else { throw PipelineError.invalidArgument(name: "threads", reason: "must be at least 1, got \(threads)") }
        // The model first: a directory without a classification head should say so, not complain about a tokenizer.
        model = try ModelRegistry.loadSequenceClassifier(directory: modelDirectory, precision: precision)
        let tokenizerURL = modelDirectory.appendingPathComponent("tokenizer.json")
        guard FileManager.default.fileExists(atPath: tokenizerURL.path) else {
            throw PipelineError.missingFile(path: tokenizerURL.path, hint: "Apus reads the fast-tokenizer file tokenizer.json")
        }
        tokenizer = try Tokenizer(contentsOf: tokenizerURL)
        let maxPositions = model.encoder.maxPositions
        maxSequenceLength = min(SentenceEmbedder.tokenizerMaxLength(modelDirectory) ?? maxPositions, maxPositions)
        pool = ThreadPool(threadCount: threads)
    }

    /// Token ids of `text` (and `pair`, with the tokenizer's pair template: type ids 0 then 1), truncated to
    /// `maxLength` tokens (longest sequence first, as transformers truncates pairs).
    public func tokenize(_ text: String, pair: String? = nil, maxLength: Int? = nil) throws -> Encoding {
        tokenizer.encode(text, pair: pair, truncation: Truncation(maxLength: try resolvedMaxLength(maxLength)))
    }

    /// Classifies `texts`, or the pairs `texts[i]`/`pairs[i]` (a nil pair classifies that text alone),
    /// returning one result per input in input order.
    ///
    /// Inputs are sorted by token count and packed `batchSize` at a time; packing means an input's logits
    /// do not depend on its batch.
    public func classify(_ texts: [String], pairs: [String?]? = nil, batchSize: Int = 32,
                         maxLength: Int? = nil) throws -> [TextClassification] {
        if let pairs, pairs.count != texts.count {
            throw PipelineError.invalidArgument(name: "pairs", reason: "\(pairs.count) second texts for \(texts.count) first texts; give one per text")
        }
        let encodings = try texts.indices.map { try tokenize(texts[$0], pair: pairs?[$0] ?? nil, maxLength: maxLength) }
        let labelCount = labels.count
        var results = [TextClassification?](repeating: nil, count: texts.count)
        try forEachPackedBatch(of: encodings, batchSize: batchSize) { members, batch in
            let logits = try run(batch).scalars // [members, labels]
            for (row, member) in members.enumerated() {
                results[member] = TextClassification(logits: Array(logits[(row * labelCount)..<((row + 1) * labelCount)]),
                                                     labels: labels, problem: problem)
            }
        }
        return results.compactMap { $0 }
    }

    private func run(_ batch: TokenBatch) throws -> Tensor {
        try arena.with { try model.logits(batch, pool: pool, arena: $0) }
    }

    private func resolvedMaxLength(_ requested: Int?) throws -> Int {
        try validatedMaxLength(requested, fallback: maxSequenceLength, maxPositions: model.encoder.maxPositions)
    }
}
