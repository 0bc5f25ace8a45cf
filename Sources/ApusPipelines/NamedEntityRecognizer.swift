// Named-entity recognition: a port of transformers' `token-classification` (alias `ner`) pipeline,
// pipelines/token_classification.py, for whole texts (no pre-split words):
//   windows      = without `stride`, the text truncated to the maximum length; with it, the tokenizer's
//                  overflowing windows sharing `stride` tokens, each run and post-processed on its own, then
//                  overlapping entities resolved (`aggregate_overlapping_entities`)
//   scores       = softmax over the labels of each token's logits
//   pre-entities = the text's tokens (special tokens dropped), each with its vocabulary string, character span
//                  and whether it continues the previous word (`gather_pre_entities`)
//   aggregation  = none / simple: one label per token (argmax); first / average / max: one label per word
//                  (`aggregate_words`), then, except for none, adjacent B-/I- tags of one type are merged
//                  (`group_entities`)
//   filtering    = entities labelled with an ignored label ("O") are dropped
import ApusModels
import ApusTensor
import ApusTokenizers
import Foundation

/// One entity the recognizer found: a token (aggregation `.none`) or a group of tokens with one label.
public struct Entity: Sendable, Equatable {
    /// The label: the token's label (`entity`, e.g. `B-PER`) for `.none`, the tag without its B-/I- prefix
    /// (`entity_group`, e.g. `PER`) otherwise.
    public let label: String
    /// The label's probability: the token's, or the mean over the grouped tokens.
    public let score: Float
    /// The tokens decoded as the tokenizer decodes them (`##` pieces joined); the original text is
    /// `text[start..<end]` in characters.
    public let word: String
    /// Offset of the first character in the input, counted in Unicode scalars (Python `str` indices).
    public let start: Int
    /// Offset just past the last character, in Unicode scalars.
    public let end: Int
    /// The token's position in the tokenised input, special tokens included; only for `.none`.
    public let index: Int?

    /// An entity from its parts.
    public init(label: String, score: Float, word: String, start: Int, end: Int, index: Int? = nil) {
        self.label = label
        self.score = score
        self.word = word
        self.start = start
        self.end = end
        self.index = index
    }
}

/// Named-entity recognition from a `*ForTokenClassification` model directory: the entities transformers'
/// `pipeline("ner", aggregation_strategy=...)` returns.
///
/// ```swift
/// let ner = try NamedEntityRecognizer(modelDirectory: URL(fileURLWithPath: "bert-base-NER"))
/// let entities = try ner.recognize(["My name is Wolfgang and I live in Berlin"])
/// entities[0][0]   // Entity(label: "PER", score: 0.999, word: "Wolfgang", start: 11, end: 19)
/// ```
public final class NamedEntityRecognizer: Sendable {
    /// How token predictions become entities: transformers' `aggregation_strategy`.
    public enum Aggregation: String, Sendable, CaseIterable {
        /// Every token with its own label (`B-PER`), no grouping.
        case none
        /// Adjacent tokens with the same tag are grouped; a word's pieces can end up in different entities.
        case simple
        /// Each word takes the label of its first token, then words are grouped.
        case first
        /// Each word takes the label with the highest mean probability over its tokens, then words are grouped.
        case average
        /// Each word takes the label of its most confident token, then words are grouped.
        case max
    }

    /// The tokenizer read from `tokenizer.json`.
    public let tokenizer: Tokenizer
    /// Encoder and token-classification head.
    public let model: TokenClassifier
    /// Default maximum tokens per text, special tokens included; longer texts are truncated, as the pipeline does.
    public let maxSequenceLength: Int
    /// Threads the forward pass runs on.
    public let pool: ThreadPool
    /// Activation memory kept between calls, one pass at a time (the pool runs one at a time anyway).
    private let arena = PipelineArena()

    /// Label names by class id.
    public var labels: [String] { model.labels }

    /// Loads tokenizer and model from a Hub-layout directory (config.json naming a supported
    /// `*ForTokenClassification` architecture, model.safetensors, tokenizer.json); the encoder's linear layers
    /// compute in `precision`.
    public init(modelDirectory: URL, threads: Int = ThreadPool.machine, precision: Precision = .fp32) throws {
        guard threads >= 1 else { throw PipelineError.invalidArgument(name: "threads", reason: "must be at least 1, got \(threads)") }
        // The model first: a directory without a token-classification head should say so, not complain about a tokenizer.
        model = try ModelRegistry.loadTokenClassifier(directory: modelDirectory, precision: precision)
        let tokenizerURL = modelDirectory.appendingPathComponent("tokenizer.json")
        guard FileManager.default.fileExists(atPath: tokenizerURL.path) else {
            throw PipelineError.missingFile(path: tokenizerURL.path, hint: "Apus reads the fast-tokenizer file tokenizer.json")
        }
        tokenizer = try Tokenizer(contentsOf: tokenizerURL)
        let maxPositions = model.encoder.maxPositions
        maxSequenceLength = min(SentenceEmbedder.tokenizerMaxLength(modelDirectory) ?? maxPositions, maxPositions)
        pool = ThreadPool(threadCount: threads)
    }

    /// Token ids, offsets and masks of `text`, truncated to `maxLength` tokens.
    public func tokenize(_ text: String, maxLength: Int? = nil) throws -> Encoding {
        tokenizer.encode(text, truncation: Truncation(maxLength: try resolvedMaxLength(maxLength)))
    }

    /// Per-token logits of each text, `[tokens][labels]` with `tokens` as `tokenize` gives them, in input order.
    ///
    /// Texts are sorted by token count and packed `batchSize` at a time; packing means a text's logits do not
    /// depend on its batch.
    public func logits(_ texts: [String], batchSize: Int = 32, maxLength: Int? = nil) throws -> [[[Float]]] {
        let encodings = try texts.map { try tokenize($0, maxLength: maxLength) }
        return try logits(of: encodings, batchSize: batchSize)
    }

    /// The entities in each of `texts`, in input order, found as `pipeline("ner", aggregation_strategy:)` finds
    /// them. Entities whose label is in `ignoredLabels` (by default "O", outside any entity) are left out.
    ///
    /// Without `stride` a text longer than `maxLength` tokens is truncated. With `stride`, as the pipeline's
    /// `stride=`, the whole text is read in windows of `maxLength` tokens, consecutive windows sharing `stride`
    /// tokens; where entities of two windows overlap, the longer one (then the more confident) is kept. `stride`
    /// needs an aggregation other than `.none` and must leave room for new tokens in each window (below `maxLength`
    /// minus the special tokens), as in transformers and tokenizers.
    public func recognize(_ texts: [String], aggregation: Aggregation = .simple, ignoredLabels: Set<String> = ["O"],
                          batchSize: Int = 32, maxLength: Int? = nil, stride: Int? = nil) throws -> [[Entity]] {
        let windowsPerText: [[Encoding]]
        if let stride {
            let length = try resolvedMaxLength(maxLength)
            // tokenizers refuses a stride that leaves no new text tokens per window (max length minus the
            // special tokens); the pipeline's own check is only `stride < model_max_length`.
            let specialCount = tokenizer.encode("").specialTokensMask.reduce(0, +)
            guard stride >= 0, stride < length - specialCount else {
                throw PipelineError.invalidArgument(
                    name: "stride", reason: "must be at least 0 and below the maximum length \(length) minus the \(specialCount) "
                        + "special tokens, got \(stride)")
            }
            guard aggregation != .none else {
                throw PipelineError.invalidArgument(
                    name: "stride", reason: "needs an aggregation other than none (windows are merged by entity), as in transformers")
            }
            windowsPerText = texts.map { text in
                let encoding = tokenizer.encode(text, truncation: Truncation(maxLength: length, stride: stride))
                var first = encoding
                first.overflowing = []
                return [first] + encoding.overflowing
            }
        } else {
            windowsPerText = try texts.map { [try tokenize($0, maxLength: maxLength)] }
        }
        let allLogits = try logits(of: windowsPerText.flatMap { $0 }, batchSize: batchSize)
        var next = 0
        return texts.indices.map { index in
            let windows = windowsPerText[index]
            var found: [Entity] = []
            for window in windows {
                found += entities(text: texts[index], encoding: window, logits: allLogits[next],
                                  aggregation: aggregation, ignoredLabels: ignoredLabels)
                next += 1
            }
            return windows.count > 1 ? Self.resolveOverlaps(found) : found
        }
    }

    /// Entities of overlapping windows reduced to non-overlapping ones (`aggregate_overlapping_entities`): in
    /// start order, an entity starting inside the kept one replaces it when longer, or as long and more confident.
    static func resolveOverlaps(_ entities: [Entity]) -> [Entity] {
        // Python's `sorted` is stable: equal starts keep window order.
        let sorted = entities.enumerated().sorted { ($0.element.start, $0.offset) < ($1.element.start, $1.offset) }.map(\.element)
        guard var kept = sorted.first else { return [] }
        var result: [Entity] = []
        for entity in sorted {
            if kept.start <= entity.start && entity.start < kept.end {
                let length = entity.end - entity.start, keptLength = kept.end - kept.start
                if length > keptLength || (length == keptLength && entity.score > kept.score) { kept = entity }
            } else {
                result.append(kept)
                kept = entity
            }
        }
        result.append(kept)
        return result
    }

    // MARK: Forward pass

    private func logits(of encodings: [Encoding], batchSize: Int) throws -> [[[Float]]] {
        let labelCount = labels.count
        var results = [[[Float]]](repeating: [], count: encodings.count)
        // A tokenizer without a post-processor gives no tokens for "": nothing to run, no entities.
        try forEachPackedBatch(of: encodings, batchSize: batchSize, skippingEmpty: true) { members, batch in
            let logits = try run(batch).scalars // [totalTokens, labels]
            for (sequence, member) in members.enumerated() {
                let offset = batch.sequenceOffsets[sequence]
                results[member] = (0..<batch.sequenceLengths[sequence]).map { token in
                    let row = (offset + token) * labelCount
                    return Array(logits[row..<(row + labelCount)])
                }
            }
        }
        return results
    }

    private func run(_ batch: TokenBatch) throws -> Tensor {
        try arena.with { try model.logits(batch, pool: pool, arena: $0) }
    }

    private func resolvedMaxLength(_ requested: Int?) throws -> Int {
        try validatedMaxLength(requested, fallback: maxSequenceLength, maxPositions: model.encoder.maxPositions)
    }

    // MARK: Post-processing (TokenClassificationPipeline.postprocess)

    /// A text token with everything aggregation needs (`gather_pre_entities`).
    private struct TokenPrediction {
        /// The vocabulary string of the token, or the original text for an unknown token.
        var word: String
        var scores: [Float]
        var start: Int
        var end: Int
        var index: Int
        /// Whether the token continues the word of the token before it.
        var isSubword: Bool
    }

    /// A labelled token or word before grouping.
    private struct LabelledSpan {
        var label: String
        var score: Float
        var word: String
        var start: Int
        var end: Int
        var index: Int?
    }

    /// The entities of one text from its encoding and per-token logits (`postprocess` for one chunk).
    func entities(text: String, encoding: Encoding, logits: [[Float]], aggregation: Aggregation,
                  ignoredLabels: Set<String>) -> [Entity] {
        let predictions = tokenPredictions(text: text, encoding: encoding, logits: logits)
        let labelled: [LabelledSpan]
        switch aggregation {
        case .none, .simple:
            labelled = predictions.map { prediction in
                let best = argmax(prediction.scores)
                return LabelledSpan(label: labels[best], score: prediction.scores[best], word: prediction.word,
                                    start: prediction.start, end: prediction.end, index: prediction.index)
            }
        case .first, .average, .max:
            labelled = words(of: predictions).map { labelWord($0, aggregation: aggregation) }
        }
        if aggregation == .none {
            return labelled.filter { !ignoredLabels.contains($0.label) }.map {
                Entity(label: $0.label, score: $0.score, word: $0.word, start: $0.start, end: $0.end, index: $0.index)
            }
        }
        return group(labelled).filter { !ignoredLabels.contains($0.label) }
    }

    /// Softmax scores, spans and subword marks of the text's tokens, special tokens skipped.
    private func tokenPredictions(text: String, encoding: Encoding, logits: [[Float]]) -> [TokenPrediction] {
        let characters = Array(text.unicodeScalars)
        let wordPiecePrefix = tokenizer.continuingSubwordPrefix
        var predictions: [TokenPrediction] = []
        for index in 0..<min(encoding.count, logits.count) where encoding.specialTokensMask[index] == 0 {
            let id = encoding.ids[index]
            let span = encoding.offsets[index]
            let start = min(span.lowerBound, characters.count)
            let end = min(max(span.upperBound, start), characters.count)
            let original = String(String.UnicodeScalarView(characters[start..<end]))
            // `convert_ids_to_tokens`: the vocabulary's spelling, `##` included.
            var word = tokenizer.token(for: id) ?? encoding.tokens[index]
            var isSubword: Bool
            // transformers tests the prefix for truth: byte-level BPE's "" takes the fallback below.
            if let wordPiecePrefix, !wordPiecePrefix.isEmpty {
                // A word-aware tokenizer: a continuation piece is longer than the text it covers (its `##`).
                isSubword = word.unicodeScalars.count != end - start
            } else {
                // transformers' fallback for tokenizers without word marks: a token not preceded by a space.
                let before = characters[max(start - 1, 0)..<min(start + 1, characters.count)]
                isSubword = start > 0 && !before.contains(" ")
            }
            if id == tokenizer.unknownTokenId {
                // "[UNK]" says nothing; the pipeline shows the text it stands for, as a word of its own.
                word = original
                isSubword = false
            }
            predictions.append(TokenPrediction(word: word, scores: softmax(logits[index]), start: start, end: end,
                                               index: index, isSubword: isSubword))
        }
        return predictions
    }

    /// Tokens grouped into words: a new word at every token that is not a subword (`aggregate_words`).
    private func words(of predictions: [TokenPrediction]) -> [[TokenPrediction]] {
        var words: [[TokenPrediction]] = []
        for prediction in predictions {
            if prediction.isSubword, !words.isEmpty {
                words[words.count - 1].append(prediction)
            } else {
                words.append([prediction])
            }
        }
        return words
    }

    /// One label for a word's tokens (`aggregate_word`).
    private func labelWord(_ tokens: [TokenPrediction], aggregation: Aggregation) -> LabelledSpan {
        let scores: [Float]
        switch aggregation {
        case .max:
            // The token whose best score is highest; the first one on ties, as Python's `max` keeps it.
            var best = tokens[0]
            for token in tokens.dropFirst() where (token.scores.max() ?? 0) > (best.scores.max() ?? 0) {
                best = token
            }
            scores = best.scores
        case .average:
            scores = tokens[0].scores.indices.map { label in
                Float(tokens.reduce(0.0) { $0 + Double($1.scores[label]) } / Double(tokens.count))
            }
        case .none, .simple, .first:
            scores = tokens[0].scores
        }
        let best = argmax(scores)
        return LabelledSpan(label: labels[best], score: scores[best], word: tokenizer.decode(tokens: tokens.map(\.word)),
                            start: tokens[0].start, end: tokens[tokens.count - 1].end, index: nil)
    }

    /// Adjacent spans of one tag merged, a `B-` starting a new entity (`group_entities`).
    private func group(_ spans: [LabelledSpan]) -> [Entity] {
        var entities: [Entity] = []
        var current: [LabelledSpan] = []
        func close() {
            guard let first = current.first, let last = current.last else { return }
            // `group_sub_entities` names the group by what follows the first "-", whatever the prefix.
            let name = first.label.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).last.map(String.init) ?? first.label
            let score = current.reduce(0.0) { $0 + Double($1.score) } / Double(current.count)
            entities.append(Entity(label: name, score: Float(score), word: tokenizer.decode(tokens: current.map(\.word)),
                                   start: first.start, end: last.end))
        }
        for span in spans {
            if let previous = current.last {
                let (boundary, tag) = Self.tag(span.label)
                if tag != Self.tag(previous.label).tag || boundary == "B" {
                    close()
                    current = []
                }
            }
            current.append(span)
        }
        close()
        return entities
    }

    /// The B/I marker and entity type of a label (`get_tag`): a label without a `B-`/`I-` prefix continues.
    static func tag(_ label: String) -> (boundary: String, tag: String) {
        if label.hasPrefix("B-") { return ("B", String(label.dropFirst(2))) }
        if label.hasPrefix("I-") { return ("I", String(label.dropFirst(2))) }
        return ("I", label)
    }

    /// Softmax of one token's logits; the largest logit is subtracted first, as the pipeline does.
    private func softmax(_ logits: [Float]) -> [Float] {
        let largest = logits.max() ?? 0
        let exponentials = logits.map { Foundation.exp(Double($0 - largest)) }
        let total = exponentials.reduce(0, +)
        return exponentials.map { Float($0 / total) }
    }

    /// Index of the largest value, the first on ties (numpy's `argmax`).
    private func argmax(_ values: [Float]) -> Int {
        var best = 0
        for index in values.indices where values[index] > values[best] { best = index }
        return best
    }
}
