import Apus
import ArgumentParser
import Foundation

/// Sampling and stopping options shared by `apus generate` and `apus chat`.
struct GenerationOptionGroup: ParsableArguments {
    @Option(name: .long, help: "Tokens to generate at most (default: generation_config.json's, else 20 for generate, 512 for chat).")
    var maxNewTokens: Int?

    @Option(name: .long, help: "Sampling temperature; 0 decodes greedily (default: generation_config.json's, else greedy).")
    var temperature: Double?

    @Option(name: .long, help: "Sample only among the K most likely tokens (0 disables).")
    var topK: Int?

    @Option(name: .long, help: "Sample only among the most likely tokens whose probabilities reach P.")
    var topP: Double?

    @Option(name: .long, help: "Drop tokens less likely than P times the most likely one.")
    var minP: Double?

    @Option(name: .long, help: "Penalise tokens already in the prompt or output (1 disables).")
    var repetitionPenalty: Double?

    @Option(name: .long, help: "Seed of the sampler: the same seed gives the same text.")
    var seed: UInt64 = 0

    @Option(name: .long, help: "Stop before this text (repeatable).")
    var stop: [String] = []

    func validate() throws {
        if let maxNewTokens, maxNewTokens < 1 { throw ValidationError("--max-new-tokens must be at least 1") }
        if let temperature, temperature < 0 { throw ValidationError("--temperature must be 0 (greedy) or more") }
        if let topK, topK < 0 { throw ValidationError("--top-k must be 0 (off) or more") }
        if let topP, !(0...1).contains(topP) { throw ValidationError("--top-p must be between 0 and 1") }
        if let minP, !(0...1).contains(minP) { throw ValidationError("--min-p must be between 0 and 1") }
        if let repetitionPenalty, repetitionPenalty <= 0 { throw ValidationError("--repetition-penalty must be positive") }
    }

    /// The library's options, with `defaultMaxNewTokens` when neither the flag nor the model sets a length.
    func options(defaultMaxNewTokens: Int? = nil, generator: TextGenerator) -> GenerationOptions {
        let fileSetsLength = generator.generationConfig.maxNewTokens != nil || generator.generationConfig.maxLength != nil
        return GenerationOptions(maxNewTokens: maxNewTokens ?? (fileSetsLength ? nil : defaultMaxNewTokens), temperature: temperature,
                                 topK: topK, topP: topP, minP: minP, repetitionPenalty: repetitionPenalty, seed: seed, stopStrings: stop)
    }
}

extension ModelOptions {
    /// Loads a decoder with its tokenizer, generation settings and chat template, from a Hub-layout directory or
    /// a `.gguf` file (local, or `org/name/file.gguf` from the Hub).
    func loadGenerator() throws -> TextGenerator {
        let resolved = try ModelResolver().resolve(model)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: resolved.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            guard resolved.pathExtension.lowercased() == "gguf" else {
                throw CommandError("--model \(model): a file must be a .gguf model; otherwise give a model directory")
            }
            return try TextGenerator(ggufFile: resolved, threads: threads, precision: precision)
        }
        return try TextGenerator(modelDirectory: directory(), threads: threads, precision: precision)
    }
}

/// `apus generate`: continue a prompt with a causal language model, streaming only the new text.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate text with a decoder (GPT-2, Llama, Qwen, Mistral, Gemma 3), streamed as it is produced.",
        discussion: """
            Streams only the continuation of PROMPT to stdout (greedy unless --temperature is above 0). The prompt is \
            a raw completion unless --chat renders it with the model's chat template as a user message (after \
            --system's message, if given). With --input FILE.jsonl, each line {"prompt": ...} is generated in turn \
            and one {"index": i, "text": ..., "prompt_tokens": n, "generated_tokens": m, "stop_reason": ...} is \
            written per line to --output or stdout. --stats prints prompt and decode speeds to stderr.
            """
    )

    @OptionGroup var model: ModelOptions
    @OptionGroup var generation: GenerationOptionGroup

    @Flag(name: .long, help: "Render the prompt with the model's chat template as a user message.")
    var chat = false

    @Option(name: .long, help: "A system message before the prompt (implies --chat).")
    var system: String?

    @Option(name: .long, help: "JSON lines, one {\"prompt\": ...} per line, generated one after the other.")
    var input: String?

    @Option(name: .long, help: "Output file (.jsonl) for --input; stdout when omitted.")
    var output: String?

    @Flag(name: .long, help: "Print prompt and decode tokens per second to stderr.")
    var stats = false

    @Argument(help: "The prompt.")
    var prompt: String?

    func validate() throws {
        if (input == nil) == (prompt == nil) { throw ValidationError("give a prompt or --input FILE.jsonl (one of them)") }
        if output != nil && input == nil { throw ValidationError("--output is for --input's JSON lines; a single prompt streams to stdout") }
    }

    func run() throws {
        let generator = try model.loadGenerator()
        let options = generation.options(generator: generator)
        if let input {
            try runBatch(generator, options: options, input: input)
            return
        }
        let result = try generator.generate(makePrompt(prompt ?? ""), options: options) { piece in
            FileHandle.standardOutput.write(Data(piece.utf8))
        }
        if isatty(STDOUT_FILENO) == 1 && !result.text.hasSuffix("\n") { FileHandle.standardOutput.write(Data("\n".utf8)) }
        if stats { printStats(result) }
    }

    private func makePrompt(_ text: String) -> GenerationPrompt {
        guard chat || system != nil else { return .text(text) }
        return .chat((system.map { [ChatMessage.system($0)] } ?? []) + [.user(text)])
    }

    private func runBatch(_ generator: TextGenerator, options: GenerationOptions, input: String) throws {
        guard let data = FileManager.default.contents(atPath: input) else { throw CommandError("cannot read --input file \(input)") }
        struct Line: Decodable { let prompt: String }
        var lines = ""
        // Split on scalars: as Characters, "\r\n" is one grapheme and would not split on "\n".
        let records = String(decoding: data, as: UTF8.self).unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false)
            .map { String(String.UnicodeScalarView($0)) }
        var index = 0 // of the prompt, for the output; blank lines are not prompts
        for (number, record) in records.enumerated() where !record.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            let line: Line
            do {
                line = try JSONDecoder().decode(Line.self, from: Data(record.utf8))
            } catch {
                throw CommandError("\(input) line \(number + 1): expected a JSON object with a string field \"prompt\"")
            }
            defer { index += 1 }
            let result = try generator.generate(makePrompt(line.prompt), options: options)
            lines += "{\"index\": \(index), \"text\": \(jsonString(result.text)), \"prompt_tokens\": \(result.promptTokenIds.count), "
                + "\"generated_tokens\": \(result.tokenIds.count), \"stop_reason\": \(jsonString(result.stopReason.name))}\n"
            if stats { printStats(result) }
        }
        try OutputDestination(path: output).write(Data(lines.utf8))
    }
}

/// Speeds of one generation on stderr.
func printStats(_ result: GenerationResult) {
    printError(String(format: "apus: prompt %d tokens in %.3f s (%.1f tok/s); generated %d tokens, %.1f tok/s after the first; stop: %@; KV cache %.1f MB",
                      result.promptTokenIds.count, result.promptSeconds, result.promptTokensPerSecond, result.tokenIds.count,
                      result.decodeTokensPerSecond, result.stopReason.name, Double(result.cacheBytes) / 1e6))
}

extension StopReason {
    /// `eos`, `length` or `stop_string`, for output.
    var name: String {
        switch self {
        case .endOfSequence: return "eos"
        case .maximumLength: return "length"
        case .stopString: return "stop_string"
        }
    }
}

/// `apus chat`: an interactive conversation with a chat model, keeping the history.
struct ChatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "Chat with an instruction-tuned decoder: one user message per line on stdin, replies streamed.",
        discussion: """
            Each line read from stdin is a user message; the reply streams to stdout and joins the history, which the \
            model's chat template renders in full for every turn. /reset clears the history, /exit (or end of input) quits.
            """
    )

    @OptionGroup var model: ModelOptions
    @OptionGroup var generation: GenerationOptionGroup

    @Option(name: .long, help: "A system message at the start of the conversation.")
    var system: String?

    func run() throws {
        let generator = try model.loadGenerator()
        if let problem = generator.chatTemplateProblem { throw CommandError("--model \(model.model): its chat template cannot be used: \(problem)") }
        guard generator.chatTemplate != nil else {
            throw CommandError("--model \(model.model) has no chat template (tokenizer_config.json's chat_template); use apus generate")
        }
        let options = generation.options(defaultMaxNewTokens: 512, generator: generator)
        let interactive = isatty(STDIN_FILENO) == 1
        var history: [ChatMessage] = system.map { [.system($0)] } ?? []
        while true {
            if interactive { FileHandle.standardError.write(Data("> ".utf8)) }
            guard let line = readLine(strippingNewline: true) else { break }
            let message = line.trimmingCharacters(in: .whitespaces)
            if message.isEmpty { continue }
            if message == "/exit" { break }
            if message == "/reset" {
                history = system.map { [.system($0)] } ?? []
                continue
            }
            history.append(.user(line))
            let result = try generator.generate(.chat(history), options: options) { piece in
                FileHandle.standardOutput.write(Data(piece.utf8))
            }
            FileHandle.standardOutput.write(Data("\n".utf8))
            history.append(.assistant(result.text))
        }
    }
}
