import ApusModels
import ApusTensor
import ApusTokenizers
import Foundation

/// Sentence embeddings from a model directory, the vectors `SentenceTransformer(path).encode(texts)` returns.
///
/// ```swift
/// let embedder = try SentenceEmbedder(modelDirectory: URL(fileURLWithPath: "all-MiniLM-L6-v2"))
/// let vectors = try embedder.embed(["A cat sits on the mat.", "Un chat est assis."])
/// ```
public final class SentenceEmbedder: Sendable {
    /// The tokenizer read from `tokenizer.json`.
    public let tokenizer: Tokenizer
    /// The transformer that produces token vectors.
    public let encoder: any TextEncoder
    /// The module stack read from the directory.
    public let modules: SentenceTransformerModules
    /// Pooling in use (mean when the directory declares none).
    public let pooling: Pooling
    /// Default maximum tokens per text, special tokens included.
    public let maxSequenceLength: Int
    /// Threads the forward pass runs on.
    public let pool: ThreadPool
    /// Activation memory kept between calls, one pass at a time (the pool runs one at a time anyway).
    private let arena = PipelineArena()

    /// Width of the returned vectors (after any Dense modules; `embed`'s `dimensions` can truncate further).
    public var dimension: Int {
        modules.afterPooling.reduce(pooling.outputDimension) { width, module in
            if case .dense(let dense) = module { return dense.outFeatures } else { return width }
        }
    }

    /// Loads tokenizer, encoder and sentence-transformers modules from a Hub-layout directory; the encoder's
    /// linear layers compute in `precision`.
    public init(modelDirectory: URL, threads: Int = ThreadPool.machine, precision: Precision = .fp32) throws {
        guard threads >= 1 else { throw PipelineError.invalidArgument(name: "threads", reason: "must be at least 1, got \(threads)") }
        modules = try SentenceTransformerModules(directory: modelDirectory)
        let transformerDirectory = modules.transformerDirectory
        let tokenizerURL = transformerDirectory.appendingPathComponent("tokenizer.json")
        guard FileManager.default.fileExists(atPath: tokenizerURL.path) else {
            throw PipelineError.missingFile(path: tokenizerURL.path, hint: "Apus reads the fast-tokenizer file tokenizer.json")
        }
        tokenizer = try Tokenizer(contentsOf: tokenizerURL)
        encoder = try ModelRegistry.loadEncoder(directory: transformerDirectory, precision: precision)
        pooling = modules.pooling ?? Pooling(dimension: encoder.hiddenSize, modes: [.mean])
        if pooling.dimension != encoder.hiddenSize {
            throw PipelineError.inconsistentModules(
                file: modelDirectory.appendingPathComponent("modules.json").path,
                reason: "pooling expects \(pooling.dimension)-wide token vectors but the encoder produces \(encoder.hiddenSize)")
        }
        var width = pooling.outputDimension
        for case .dense(let dense) in modules.afterPooling {
            if dense.inFeatures != width {
                throw PipelineError.inconsistentModules(file: modelDirectory.appendingPathComponent("modules.json").path,
                                                        reason: "a Dense module expects \(dense.inFeatures)-wide vectors but receives \(width)")
            }
            width = dense.outFeatures
        }
        maxSequenceLength = min(modules.maxSequenceLength ?? Self.tokenizerMaxLength(transformerDirectory) ?? encoder.maxPositions,
                                encoder.maxPositions)
        pool = ThreadPool(threadCount: threads)
    }

    /// Token ids exactly as sentence-transformers (6.x) feeds them to the model: the text as given (older
    /// versions stripped it; 6.x does not), lowercased if `do_lower_case`, truncated to `maxLength` tokens.
    public func tokenize(_ text: String, maxLength: Int? = nil) throws -> Encoding {
        let limit = try resolvedMaxLength(maxLength)
        let prepared = modules.lowercasesInput ? text.lowercased() : text
        return tokenizer.encode(prepared, truncation: Truncation(maxLength: limit))
    }

    /// Embeds `texts`, returning one vector per text in input order.
    ///
    /// Texts are sorted by token count and packed `batchSize` at a time, as sentence-transformers batches them;
    /// packing means a text's vector does not depend on its batch. Then the directory's modules run: pooling,
    /// Dense layers, Normalize.
    /// - `normalize` overrides the directory's `Normalize` module when given.
    /// - `prompt` (literal) or `promptName` (from `config_sentence_transformers.json`; its `default_prompt_name`
    ///   applies when neither is given) is prepended to every text, as `encode(prompt=…)` / `prompt_name=…` do;
    ///   with the pooling's `include_prompt: false` its tokens are left out of the mean.
    /// - `dimensions` keeps the first N components (Matryoshka models) and renormalises normalised vectors, as
    ///   `encode(truncate_dim=N, normalize_embeddings=True)` does.
    public func embed(_ texts: [String], batchSize: Int = 32, maxLength: Int? = nil, normalize: Bool? = nil,
                      prompt: String? = nil, promptName: String? = nil, dimensions: Int? = nil) throws -> [[Float]] {
        if let dimensions, !(1...dimension).contains(dimensions) {
            throw PipelineError.invalidArgument(name: "dimensions", reason: "\(dimensions) is outside 1...\(dimension) (the model's output width)")
        }
        let promptText = try resolvedPrompt(prompt, name: promptName)
        let promptTokens = try promptText.map { pooling.includePrompt ? 0 : try promptLength($0) } ?? 0
        let encodings = try texts.map { try tokenize((promptText ?? "") + $0, maxLength: maxLength) }
        var vectors = [[Float]](repeating: [], count: texts.count)
        try forEachPackedBatch(of: encodings, batchSize: batchSize) { members, batch in
            let hidden = try encode(batch) // [totalTokens, hidden]
            var pooled = pooling(hidden, sequenceOffsets: batch.sequenceOffsets, promptTokens: promptTokens)
            var normalized = false
            for module in modules.afterPooling {
                switch module {
                case .dense(let dense):
                    pooled = dense(pooled, pool: pool)
                    normalized = false
                case .normalize where normalize != false:
                    for index in pooled.indices { l2Normalize(&pooled[index]) }
                    normalized = true
                case .normalize:
                    break
                }
            }
            if normalize == true && !normalized {
                for index in pooled.indices { l2Normalize(&pooled[index]) }
                normalized = true
            }
            for (member, var vector) in zip(members, pooled) {
                if let dimensions {
                    vector.removeLast(vector.count - dimensions)
                    if normalized { l2Normalize(&vector) }
                }
                vectors[member] = vector
            }
        }
        return vectors
    }

    /// The prompt text for `embed`: literal, named, or the directory's default.
    private func resolvedPrompt(_ prompt: String?, name: String?) throws -> String? {
        if prompt != nil && name != nil {
            throw PipelineError.invalidArgument(name: "prompt", reason: "give a prompt or a prompt name, not both")
        }
        if let prompt { return prompt }
        guard let name = name ?? modules.defaultPromptName else { return nil }
        guard let text = modules.prompts[name] else {
            let known = modules.prompts.keys.sorted()
            throw PipelineError.invalidArgument(name: "prompt name", reason: known.isEmpty
                ? "'\(name)': the model defines no prompts (config_sentence_transformers.json)"
                : "'\(name)' is not one of the model's prompts: \(known.joined(separator: ", "))")
        }
        return text
    }

    /// Tokens a prompt occupies at the start of a text, as sentence-transformers counts them: the prompt
    /// tokenised alone, special tokens included, minus a trailing special token ([SEP], EOS).
    private func promptLength(_ prompt: String) throws -> Int {
        let encoding = try tokenize(prompt)
        return encoding.ids.count - (encoding.specialTokensMask.last == 1 ? 1 : 0)
    }

    /// Last hidden states of one text, `[tokens, hiddenSize]` — the `token_embeddings` sentence-transformers pools.
    public func tokenEmbeddings(_ text: String, maxLength: Int? = nil) throws -> Tensor {
        let encoding = try tokenize(text, maxLength: maxLength)
        return try encode(TokenBatch(sequences: [(encoding.ids, encoding.typeIds)]))
    }

    private func encode(_ batch: TokenBatch) throws -> Tensor {
        try arena.with { try encoder.encode(batch, pool: pool, arena: $0) }
    }

    private func resolvedMaxLength(_ requested: Int?) throws -> Int {
        try validatedMaxLength(requested, fallback: maxSequenceLength, maxPositions: encoder.maxPositions)
    }

    /// `model_max_length` from tokenizer_config.json, which sentence-transformers uses when
    /// sentence_bert_config.json gives no `max_seq_length` (and TextClassifier as its default).
    static func tokenizerMaxLength(_ directory: URL) -> Int? {
        struct TokenizerConfig: Decodable {
            let modelMaxLength: Double?
            enum CodingKeys: String, CodingKey { case modelMaxLength = "model_max_length" }
        }
        let url = directory.appendingPathComponent("tokenizer_config.json")
        guard let config = try? ConfigurationFile.decode(TokenizerConfig.self, from: url),
              let length = config.modelMaxLength, length >= 1, length < 1e9 else { return nil }
        return Int(length)
    }
}
