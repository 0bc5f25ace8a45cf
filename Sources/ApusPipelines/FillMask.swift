import ApusModels
import ApusTensor
import ApusTokenizers
import Foundation

/// One candidate for a mask: the token, its probability, and the text with the mask replaced by it.
public struct FillMaskPrediction: Sendable, Equatable {
    /// Softmax probability of the token over the whole vocabulary at the mask position.
    public let score: Float
    /// The predicted token's id.
    public let tokenId: Int
    /// The token decoded alone, special tokens kept (transformers' `token_str`).
    public let token: String
    /// The input with this token in place of the mask, decoded (transformers' `sequence`).
    public let sequence: String

    /// A prediction from its parts.
    public init(score: Float, tokenId: Int, token: String, sequence: String) {
        self.score = score
        self.tokenId = tokenId
        self.token = token
        self.sequence = sequence
    }
}

/// Fill-mask from a `*ForMaskedLM` model directory: what transformers' `fill-mask` pipeline returns.
///
/// ```swift
/// let fillMask = try FillMask(modelDirectory: URL(fileURLWithPath: "bert-base-uncased"))
/// let predictions = try fillMask.fill("Paris is the [MASK] of France.", topK: 3)
/// predictions[0][0].token      // "capital"
/// predictions[0][0].sequence   // "paris is the capital of france."
/// ```
public final class FillMask: Sendable {
    /// Candidates for one mask token, best first.
    public typealias Prediction = FillMaskPrediction

    /// The tokenizer read from `tokenizer.json`.
    public let tokenizer: Tokenizer
    /// Encoder and masked-LM head.
    public let model: MaskedLanguageModel
    /// The token that marks a position to predict, as written in texts (e.g. `[MASK]`, `<mask>`).
    public let maskToken: String
    /// Its id.
    public let maskTokenId: Int
    /// The padding token's id, which transformers drops from `sequence`; nil when the tokenizer has none.
    public let padTokenId: Int?
    /// Maximum tokens per text, special tokens included.
    public let maxSequenceLength: Int
    /// Threads the forward pass runs on.
    public let pool: ThreadPool
    /// Activation memory kept between calls; `arenaLock` serialises passes (the pool runs one at a time anyway).
    private let arena = ActivationArena()
    private let arenaLock = NSLock()

    /// Loads tokenizer and masked LM from a Hub-layout directory (config.json naming a supported `*ForMaskedLM`
    /// architecture, model.safetensors, tokenizer.json); the encoder's linear layers compute in `precision`.
    /// The mask token is tokenizer_config.json's `mask_token`, else the special token `[MASK]` or `<mask>`.
    public init(modelDirectory: URL, threads: Int = ThreadPool.machine, precision: Precision = .fp32) throws {
        guard threads >= 1 else { throw PipelineError.invalidArgument(name: "threads", reason: "must be at least 1, got \(threads)") }
        model = try ModelRegistry.loadMaskedLanguageModel(directory: modelDirectory, precision: precision)
        let tokenizerURL = modelDirectory.appendingPathComponent("tokenizer.json")
        guard FileManager.default.fileExists(atPath: tokenizerURL.path) else {
            throw PipelineError.missingFile(path: tokenizerURL.path, hint: "Apus reads the fast-tokenizer file tokenizer.json")
        }
        let tokenizer = try Tokenizer(contentsOf: tokenizerURL)
        self.tokenizer = tokenizer
        let specialTokens = SpecialTokenNames.load(modelDirectory)
        let candidates = specialTokens.mask.map { [$0] } ?? ["[MASK]", "<mask>"]
        guard let mask = candidates.lazy.compactMap({ name in tokenizer.tokenId(for: name).map { (name, $0) } }).first else {
            throw PipelineError.inconsistentModules(
                file: tokenizerURL.path,
                reason: "no mask token: looked for \(candidates.joined(separator: " or ")); fill-mask needs the token that marks "
                    + "the position to predict (set \"mask_token\" in tokenizer_config.json)")
        }
        (maskToken, maskTokenId) = mask
        padTokenId = tokenizer.paddingToken?.id ?? tokenizer.tokenId(for: specialTokens.pad ?? "[PAD]")
        let maxPositions = model.encoder.maxPositions
        maxSequenceLength = min(SentenceEmbedder.tokenizerMaxLength(modelDirectory) ?? maxPositions, maxPositions)
        pool = ThreadPool(threadCount: threads)
    }

    /// The `topK` most likely tokens for each mask token in `text`, one list per mask in text order, best first.
    ///
    /// As in transformers, `sequence` drops special tokens when there is one mask, and keeps them (so the other
    /// masks stay visible) when there are several. Throws when `text` contains no mask token. With `targets`,
    /// only those tokens are ranked (see `targetIds(_:)`); their scores stay probabilities over the whole vocabulary.
    public func fill(_ text: String, topK: Int = 5, targets: [String]? = nil) throws -> [[Prediction]] {
        try fill([text], topK: topK, targets: targets)[0]
    }

    /// `fill(_:topK:targets:)` for several texts, packed `batchSize` at a time; results in input order.
    public func fill(_ texts: [String], topK: Int = 5, targets: [String]? = nil, batchSize: Int = 32) throws -> [[[Prediction]]] {
        guard topK >= 1 else { throw PipelineError.invalidArgument(name: "top k", reason: "must be at least 1, got \(topK)") }
        guard batchSize >= 1 else { throw PipelineError.invalidArgument(name: "batch size", reason: "must be at least 1, got \(batchSize)") }
        let candidateIds = try targets.map(targetIds)
        let encodings = texts.map { tokenizer.encode($0, truncation: Truncation(maxLength: maxSequenceLength)) }
        for (index, encoding) in encodings.enumerated() where !encoding.ids.contains(maskTokenId) {
            let shown = texts[index].count > 60 ? String(texts[index].prefix(57)) + "..." : texts[index]
            throw PipelineError.invalidArgument(
                name: "text \(index)",
                reason: "\"\(shown)\" has no mask token; write \(maskToken) where a token should be predicted"
                    + (encoding.ids.count >= maxSequenceLength ? " (or it was cut off at \(maxSequenceLength) tokens)" : ""))
        }
        var results = [[[Prediction]]](repeating: [], count: texts.count)
        var start = 0
        while start < encodings.count {
            let members = Array(start..<min(start + batchSize, encodings.count))
            let batch = try TokenBatch(sequences: members.map { (encodings[$0].ids, encodings[$0].typeIds) })
            // Packed-batch row of every mask, member by member, in text order.
            var positions: [Int] = [], owners: [(member: Int, tokenIndex: Int)] = []
            for (slot, member) in members.enumerated() {
                for (tokenIndex, id) in encodings[member].ids.enumerated() where id == maskTokenId {
                    positions.append(batch.sequenceOffsets[slot] + tokenIndex)
                    owners.append((member, tokenIndex))
                }
            }
            let logits = try run(batch, positions: positions) // [masks, vocab]
            let vocabulary = model.vocabularySize
            for (row, owner) in owners.enumerated() {
                let ids = encodings[owner.member].ids
                let single = ids.lazy.filter { $0 == self.maskTokenId }.count == 1
                let rowLogits = UnsafeBufferPointer(start: logits.pointer + row * vocabulary, count: vocabulary)
                results[owner.member].append(Self.best(rowLogits, count: topK, among: candidateIds).map { candidate in
                    var filled = ids
                    filled[owner.tokenIndex] = candidate.id
                    // transformers drops padding before decoding (`tokens != pad_token_id`), even a predicted pad.
                    if let padTokenId { filled.removeAll { $0 == padTokenId } }
                    return Prediction(score: candidate.probability, tokenId: candidate.id,
                                      token: tokenizer.decode([candidate.id], skipSpecialTokens: false),
                                      sequence: tokenizer.decode(filled, skipSpecialTokens: single))
                })
            }
            start += batchSize
        }
        return results
    }

    /// The token ids of fill-mask `targets`, as transformers' `get_target_ids` finds them: a target that is a
    /// vocabulary entry (added tokens included) is that id; otherwise the first token the tokenizer makes of it
    /// (transformers warns and does the same). Duplicates collapse; the ids come out sorted, as `np.unique`
    /// leaves them. Throws when no target gives a token.
    public func targetIds(_ targets: [String]) throws -> [Int] {
        var ids = Set<Int>()
        for target in targets {
            if let id = tokenizer.tokenId(for: target) {
                ids.insert(id)
            } else if let first = tokenizer.encode(target, addSpecialTokens: false).ids.first {
                ids.insert(first)
            }
        }
        guard !ids.isEmpty else {
            throw PipelineError.invalidArgument(name: "targets", reason: "none of \(targets) gives a token; give at least one word the vocabulary has")
        }
        return ids.sorted()
    }

    /// The `count` most probable ids of one softmax row (only among `candidates` when given), best first; equal
    /// probabilities keep id order. Probabilities are over the whole row either way.
    static func best(_ logits: UnsafeBufferPointer<Float>, count: Int, among candidates: [Int]? = nil) -> [(id: Int, probability: Float)] {
        // Softmax in Double, shifted by the largest logit so exp cannot overflow.
        let largest = logits.max() ?? 0
        var total = 0.0
        for logit in logits { total += Foundation.exp(Double(logit - largest)) }
        let ranked = (candidates ?? Array(logits.indices)).sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
        return ranked.prefix(count).map { ($0, Float(Foundation.exp(Double(logits[$0] - largest)) / total)) }
    }

    private func run(_ batch: TokenBatch, positions: [Int]) throws -> Tensor {
        arenaLock.lock()
        defer { arenaLock.unlock() }
        return try model.logits(batch, positions: positions, pool: pool, arena: arena)
    }
}

/// The special-token names of a model's tokenizer_config.json (a string, or an object with `content`).
struct SpecialTokenNames {
    var mask: String?
    var pad: String?

    /// The names in `directory`'s tokenizer_config.json; none when the file is missing or unreadable, since the
    /// tokenizer.json conventions (`[MASK]`, `<mask>`) then apply.
    static func load(_ directory: URL) -> SpecialTokenNames {
        struct Name: Decodable {
            let content: String
            init(from decoder: any Decoder) throws {
                if let text = try? decoder.singleValueContainer().decode(String.self) {
                    content = text
                } else {
                    struct Object: Decodable { let content: String }
                    content = try Object(from: decoder).content
                }
            }
        }
        struct Fields: Decodable {
            let mask: Name?
            let pad: Name?
            enum CodingKeys: String, CodingKey { case mask = "mask_token", pad = "pad_token" }
        }
        let url = directory.appendingPathComponent("tokenizer_config.json")
        guard let fields = try? ConfigurationFile.decode(Fields.self, from: url) else { return SpecialTokenNames() }
        return SpecialTokenNames(mask: fields.mask?.content, pad: fields.pad?.content)
    }
}
