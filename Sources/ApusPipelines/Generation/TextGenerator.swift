import ApusModels
import ApusTensor
import ApusTokenizers
import Foundation

/// What to generate from: raw text (a completion), a conversation (rendered with the model's chat template), or
/// token ids as they are.
public enum GenerationPrompt: Sendable {
    /// Text continued as is, tokenised with the tokenizer's special tokens (a Llama BOS, none for GPT-2).
    case text(String)
    /// Messages rendered by the chat template with the generation prompt, then tokenised without adding special
    /// tokens — the template writes them — as transformers' `apply_chat_template(tokenize=True)` does.
    case chat([ChatMessage])
    /// Token ids used unchanged.
    case tokens([Int])
}

/// Per-call settings; each one left nil keeps the model's generation_config.json value (else transformers'
/// default: greedy, 20 new tokens).
public struct GenerationOptions: Sendable {
    /// Tokens to generate at most.
    public var maxNewTokens: Int?
    /// Softmax temperature; 0 means greedy, any other value samples (unless `doSample` says otherwise).
    public var temperature: Double?
    /// Keep the `topK` most likely tokens when sampling (0 disables).
    public var topK: Int?
    /// Keep the smallest set of tokens whose probability reaches `topP` when sampling.
    public var topP: Double?
    /// Drop tokens less likely than `minP` times the most likely one when sampling.
    public var minP: Double?
    /// transformers' repetition penalty over prompt and generated ids (1 disables).
    public var repetitionPenalty: Double?
    /// Sample (true) or decode greedily (false); nil follows the temperature, then the model's file.
    public var doSample: Bool?
    /// Seed of the sampling generator: the same seed gives the same tokens.
    public var seed: UInt64
    /// Texts that end the generation; the output stops before them.
    public var stopStrings: [String]

    /// Options; every one defaults to the model's own setting.
    public init(maxNewTokens: Int? = nil, temperature: Double? = nil, topK: Int? = nil, topP: Double? = nil, minP: Double? = nil,
                repetitionPenalty: Double? = nil, doSample: Bool? = nil, seed: UInt64 = 0, stopStrings: [String] = []) {
        self.maxNewTokens = maxNewTokens
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
        self.doSample = doSample
        self.seed = seed
        self.stopStrings = stopStrings
    }

    /// The overrides these options make to a generation config.
    var overrides: GenerationConfig {
        let sampling = doSample ?? temperature.map { $0 > 0 }
        return GenerationConfig(doSample: sampling, temperature: temperature.flatMap { $0 > 0 ? $0 : nil }, topK: topK,
                                topP: topP, minP: minP, repetitionPenalty: repetitionPenalty, maxNewTokens: maxNewTokens)
    }
}

/// The outcome of one generation.
public struct GenerationResult: Sendable {
    /// The generated text (stop string and end-of-sequence token excluded).
    public let text: String
    /// The generated ids, the end-of-sequence token included when one ended the generation.
    public let tokenIds: [Int]
    /// The prompt's ids.
    public let promptTokenIds: [Int]
    /// Why it ended.
    public let stopReason: StopReason
    /// Seconds spent on the prompt's batched pass (and the first token's logits).
    public let promptSeconds: Double
    /// Seconds spent on the decoding steps after the first token.
    public let decodeSeconds: Double
    /// Bytes the KV cache held.
    public let cacheBytes: Int

    /// Prompt tokens per second.
    public var promptTokensPerSecond: Double { promptSeconds > 0 ? Double(promptTokenIds.count) / promptSeconds : 0 }
    /// Generated tokens per second after the first (the decode rate).
    public var decodeTokensPerSecond: Double { decodeSeconds > 0 ? Double(max(0, tokenIds.count - 1)) / decodeSeconds : 0 }
}

/// Text generation from a causal language model: a decoder, its tokenizer, its generation_config.json and chat
/// template, run with a KV cache made once per sequence.
///
/// ```swift
/// let generator = try TextGenerator(modelDirectory: URL(fileURLWithPath: "SmolLM2-135M-Instruct"))
/// let result = try generator.generate(.chat([.user("What is the capital of France?")]),
///                                     options: GenerationOptions(maxNewTokens: 32)) { piece in print(piece, terminator: "") }
/// for try await piece in generator.stream(.text("Once upon a time")) { print(piece, terminator: "") }
/// ```
///
/// Greedy decoding gives transformers' `generate(do_sample=False)` tokens; sampling follows its processors
/// (`LogitsProcessor`) with Apus's own seeded generator. The prompt runs as one batched pass, then one token per
/// step; text is released as soon as it is complete (multi-byte characters split across tokens wait for their
/// last byte) and never past a stop string. One generation runs at a time per generator.
public final class TextGenerator: Sendable {
    /// The decoder.
    public let model: any CausalLanguageModel
    /// Its tokenizer.
    public let tokenizer: Tokenizer
    /// The model's generation settings (generation_config.json, with config.json's and the tokenizer's
    /// end-of-sequence ids when it has none).
    public let generationConfig: GenerationConfig
    /// The chat template, when the model has one Apus can run.
    public let chatTemplate: ChatTemplate?
    /// Why the model's chat template cannot be used (it does not parse, or uses an unsupported construct), when it
    /// has one; raw prompts still work, and a chat prompt gets this reason instead of "no template".
    public let chatTemplateProblem: ChatTemplateError?
    /// Threads the forward passes run on.
    public let pool: ThreadPool
    private let lock = NSLock()

    /// A generator over loaded parts.
    public convenience init(model: any CausalLanguageModel, tokenizer: Tokenizer, generationConfig: GenerationConfig = GenerationConfig(),
                            chatTemplate: ChatTemplate? = nil, threads: Int = ThreadPool.machine) throws {
        try self.init(model: model, tokenizer: tokenizer, generationConfig: generationConfig,
                      chatTemplate: chatTemplate.map { .success($0) }, threads: threads)
    }

    /// A generator whose chat template may have failed to load (`nil`: the model has none).
    init(model: any CausalLanguageModel, tokenizer: Tokenizer, generationConfig: GenerationConfig,
         chatTemplate: Result<ChatTemplate, ChatTemplateError>?, threads: Int) throws {
        guard threads >= 1 else { throw PipelineError.invalidArgument(name: "threads", reason: "must be at least 1, got \(threads)") }
        self.model = model
        self.tokenizer = tokenizer
        self.generationConfig = generationConfig
        switch chatTemplate {
        case .success(let template)?: self.chatTemplate = template; chatTemplateProblem = nil
        case .failure(let problem)?: self.chatTemplate = nil; chatTemplateProblem = problem
        case nil: self.chatTemplate = nil; chatTemplateProblem = nil
        }
        pool = ThreadPool(threadCount: threads)
    }

    /// Loads a Hub-layout directory: config.json naming a supported decoder, its weights, tokenizer.json, and
    /// when present generation_config.json and the chat template (tokenizer_config.json or chat_template.jinja).
    public convenience init(modelDirectory: URL, threads: Int = ThreadPool.machine, precision: Precision = .fp32) throws {
        let model = try DecoderRegistry.load(directory: modelDirectory, precision: precision)
        let tokenizerURL = modelDirectory.appendingPathComponent("tokenizer.json")
        guard FileManager.default.fileExists(atPath: tokenizerURL.path) else {
            throw PipelineError.missingFile(path: tokenizerURL.path, hint: "Apus reads the fast-tokenizer file tokenizer.json")
        }
        let tokenizer = try Tokenizer(contentsOf: tokenizerURL)
        // No template is fine (a base model); one that does not load is kept as the reason a chat prompt fails.
        let template: Result<ChatTemplate, ChatTemplateError>?
        do {
            template = .success(try ChatTemplate.load(modelDirectory: modelDirectory))
        } catch .templateNotFound(_, nil, _) {
            template = nil
        } catch {
            template = .failure(error)
        }
        let configuration = try Self.generationConfig(modelDirectory: modelDirectory, tokenizer: tokenizer,
                                                      template: try? template?.get())
        try self.init(model: model, tokenizer: tokenizer, generationConfig: configuration, chatTemplate: template, threads: threads)
    }

    /// Loads a GGUF file: the decoder from its metadata and dequantised tensors (`DecoderRegistry.load(gguf:)`), the
    /// tokenizer rebuilt from `tokenizer.ggml.*` (`GGUFTokenizer`), its chat template, and the end-of-sequence id
    /// from the metadata — what transformers' `from_pretrained(…, gguf_file:)` gives for the same file.
    public convenience init(ggufFile url: URL, threads: Int = ThreadPool.machine, precision: Precision = .fp32) throws {
        let model = try DecoderRegistry.load(gguf: url, precision: precision)
        let gguf = try GGUFTokenizer(file: GGUFFile(url: url))
        let tokenizer = try gguf.tokenizer()
        var specialTokens: [String: String] = [:]
        for (name, id) in [("bos_token", gguf.bosTokenID), ("eos_token", gguf.eosTokenID), ("pad_token", gguf.paddingTokenID),
                           ("unk_token", gguf.unknownTokenID)] {
            if let id, let token = tokenizer.token(for: id) { specialTokens[name] = token }
        }
        let template = gguf.chatTemplate.map { source in
            Result { () throws(ChatTemplateError) in try ChatTemplate(source: source, specialTokens: specialTokens) }
        }
        let configuration = GenerationConfig(eosTokenIds: gguf.eosTokenID.map { [$0] }, bosTokenId: gguf.bosTokenID,
                                             padTokenId: gguf.paddingTokenID)
        try self.init(model: model, tokenizer: tokenizer, generationConfig: configuration, chatTemplate: template, threads: threads)
    }

    /// generation_config.json (when present) with end-of-sequence ids filled in as transformers derives them:
    /// from config.json's `eos_token_id`, else the tokenizer's `eos_token`.
    static func generationConfig(modelDirectory: URL, tokenizer: Tokenizer, template: ChatTemplate?) throws -> GenerationConfig {
        let fileURL = modelDirectory.appendingPathComponent("generation_config.json")
        var configuration = FileManager.default.fileExists(atPath: fileURL.path) ? try GenerationConfig(contentsOf: fileURL) : GenerationConfig()
        if configuration.eosTokenIds?.isEmpty ?? true {
            let modelConfiguration = modelDirectory.appendingPathComponent("config.json")
            if let data = FileManager.default.contents(atPath: modelConfiguration.path),
               let fallback = try? GenerationConfig(data: data, source: modelConfiguration.path), let ids = fallback.eosTokenIds, !ids.isEmpty {
                configuration.eosTokenIds = ids
            } else if let eos = template?.specialTokens["eos_token"], let id = tokenizer.tokenId(for: eos) {
                configuration.eosTokenIds = [id]
            }
        }
        return configuration
    }

    /// The prompt's token ids.
    public func promptTokens(_ prompt: GenerationPrompt) throws -> [Int] {
        switch prompt {
        case .text(let text):
            return tokenizer.encode(text).ids
        case .chat(let messages):
            if let chatTemplateProblem { throw chatTemplateProblem }
            guard let chatTemplate else {
                throw PipelineError.invalidArgument(name: "chat", reason: "the model has no chat template (tokenizer_config.json's chat_template or chat_template.jinja); give a plain prompt")
            }
            let rendered = try chatTemplate.render(messages: messages, addGenerationPrompt: true)
            return tokenizer.encode(rendered, addSpecialTokens: false).ids
        case .tokens(let ids):
            return ids
        }
    }

    /// Generates from `prompt`, calling `onText` with each new piece of text as soon as it is complete; `onText`
    /// may throw `CancellationError` (or anything) to stop early, which is rethrown.
    public func generate(_ prompt: GenerationPrompt, options: GenerationOptions = GenerationOptions(),
                         onText: (String) throws -> Void = { _ in }) throws -> GenerationResult {
        let promptIds = try promptTokens(prompt)
        guard !promptIds.isEmpty else {
            throw PipelineError.invalidArgument(name: "prompt", reason: "it has no tokens; give some text (or use a tokenizer that adds a BOS token)")
        }
        let settings = generationConfig.merged(with: options.overrides)
        let parameters = try settings.resolved()
        var stop = StopConditions(settings, promptLength: promptIds.count, maxPositionEmbeddings: model.maxPositions)
        stop.maxNewTokens = min(stop.maxNewTokens, model.maxPositions - promptIds.count)
        guard stop.maxNewTokens > 0 else {
            throw PipelineError.invalidArgument(
                name: "prompt",
                reason: "its \(promptIds.count) tokens leave no room to generate within the model's \(model.maxPositions) positions")
        }
        let processor = try LogitsProcessor(parameters: parameters, vocabularySize: model.vocabularySize, seed: options.seed)
        let tokenizer = self.tokenizer
        var text = GeneratedTextStream(stopStrings: options.stopStrings, context: promptIds) {
            tokenizer.decode($0, skipSpecialTokens: true)
        }

        lock.lock()
        defer { lock.unlock() }
        // The cache holds the prompt and every generated token but the last (which is never fed back).
        let cache = try model.makeCache(maxLength: promptIds.count + stop.maxNewTokens - 1)
        var logits = [Float](repeating: 0, count: model.vocabularySize)
        var history = promptIds
        history.reserveCapacity(promptIds.count + stop.maxNewTokens)
        var generated: [Int] = []
        generated.reserveCapacity(stop.maxNewTokens)

        let promptStart = DispatchTime.now().uptimeNanoseconds
        try logits.withUnsafeMutableBufferPointer { output in
            try promptIds.withUnsafeBufferPointer { input in
                try model.forward(input, cache: cache, logits: output.baseAddress!, pool: pool)
            }
        }
        let decodeStart = DispatchTime.now().uptimeNanoseconds
        var reason: StopReason = .maximumLength
        while true {
            let next = logits.withUnsafeMutableBufferPointer { processor.select(nextTokenFrom: $0, history: history) }
            generated.append(next)
            history.append(next)
            let ended = stop.reason(after: next, generatedCount: generated.count)
            if case .endOfSequence? = ended, let ended {
                reason = ended
                break
            }
            let piece = text.append(next)
            if !piece.text.isEmpty { try onText(piece.text) }
            if let stopString = piece.stopString {
                reason = .stopString(stopString)
                break
            }
            if let ended {
                reason = ended
                break
            }
            try logits.withUnsafeMutableBufferPointer { output in
                try model.decode(next, cache: cache, logits: output.baseAddress!, pool: pool)
            }
        }
        let end = DispatchTime.now().uptimeNanoseconds
        if case .stopString = reason {} else {
            let rest = text.finish()
            if !rest.isEmpty { try onText(rest) }
        }
        return GenerationResult(text: text.text, tokenIds: generated, promptTokenIds: promptIds, stopReason: reason,
                                promptSeconds: Double(decodeStart - promptStart) / 1e9, decodeSeconds: Double(end - decodeStart) / 1e9,
                                cacheBytes: cache.bytes)
    }

    /// `generate` as an asynchronous sequence of text pieces, run on its own thread; cancelling the consuming
    /// task stops the generation after the current step.
    public func stream(_ prompt: GenerationPrompt, options: GenerationOptions = GenerationOptions()) -> AsyncThrowingStream<String, any Error> {
        AsyncThrowingStream { continuation in
            let cancelled = CancellationFlag()
            continuation.onTermination = { _ in cancelled.set() }
            // A thread of its own: a generation blocks for seconds, which must not happen on the cooperative pool.
            let thread = Thread { [self] in
                do {
                    _ = try generate(prompt, options: options) { piece in
                        if cancelled.isSet { throw CancellationError() }
                        continuation.yield(piece)
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            thread.stackSize = 1 << 22
            thread.start()
        }
    }
}

/// A flag one thread sets and another reads.
private final class CancellationFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.lock(); value = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
}
