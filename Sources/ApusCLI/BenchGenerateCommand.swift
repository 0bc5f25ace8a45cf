import Apus
import ArgumentParser
import Foundation

/// `apus bench generate`: prompt and decode speed of a causal language model per thread count, and the memory
/// bandwidth decoding achieves next to the machine's measured bandwidth.
struct BenchGenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Time a decoder: load, prompt tokens/s (one batched prefill), decode tokens/s, achieved GB/s against the machine's.",
        discussion: """
            The prompt is the token ids of a fixed English paragraph (no special tokens), repeated to --prompt-tokens. \
            Per thread count, after a warm-up: --repeats runs of one batched prefill of the prompt (timed: prompt \
            tokens/s), then exactly --new-tokens greedy one-token decoding steps (timed: decode tokens/s; EOS does not \
            stop them). Medians and the range of the repeats are reported. A decoding step is memory-bound: it reads \
            every linear layer's weights as Apus stores them (fp32 or bf16, lm_head included; one embedding row) and \
            the KV cache up to its position, so bytes per step × steps/s is the bandwidth decoding achieves; the \
            machine's is measured by streaming a 1 GiB buffer on the same thread count (best of 5), after peak RSS \
            is taken. `scripts/bench_generate.py` runs transformers beside it.
            """
    )

    @Option(name: .long, help: "A local model folder (config.json, weights, tokenizer.json), a .gguf file, or a Hub id: org/name[@revision] or org/name/file.gguf.")
    var model: String

    @Option(name: .long, help: "Number format of the linear layers: fp32 (exact parity) or bf16.")
    var precision: Precision = .fp32

    @Option(name: .long, help: "Prompt length in tokens.")
    var promptTokens: Int = 128

    @Option(name: .long, help: "Decoding steps per run (greedy; EOS does not stop them).")
    var newTokens: Int = 128

    @Option(name: .long, help: "Thread counts to measure, comma-separated.")
    var threads: String = "1,2"

    @Option(name: .long, help: "Timed runs per thread count; medians are reported.")
    var repeats: Int = 3

    @Flag(name: .long, inversion: .prefixedNo, help: "Measure the machine's memory read bandwidth (about 2 s per thread count).")
    var bandwidthProbe = true

    @Flag(name: .long, help: "Print one JSON object instead of a table.")
    var json = false

    @Option(name: .long, help: "Also write the JSON report to this file.")
    var output: String?

    /// The text whose token ids, repeated, make the prompt (any plain English works; fixed so runs compare).
    static let paragraph = """
        The history of the printing press is a story of many small improvements. Before movable type, books were \
        copied by hand, which made them rare and expensive. When metal letters could be arranged, inked and \
        pressed onto paper, a single workshop could produce hundreds of identical pages in a day. Scholars shared \
        their work faster, prices fell, and more people learned to read.
        """

    /// Greedy tokens kept in the report, to compare engines.
    static let reportedTokens = 32

    func validate() throws {
        if promptTokens < 1 { throw ValidationError("--prompt-tokens must be at least 1") }
        if newTokens < 1 { throw ValidationError("--new-tokens must be at least 1") }
        if repeats < 1 { throw ValidationError("--repeats must be at least 1") }
        if threadCounts.isEmpty || threadCounts.contains(where: { $0 < 1 }) {
            throw ValidationError("--threads must be positive integers separated by commas, e.g. 1,2")
        }
    }

    var threadCounts: [Int] { threads.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) ?? 0 } }

    func run() throws {
        let location = try ModelResolver().resolve(model)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: location.path, isDirectory: &isDirectory),
              isDirectory.boolValue || location.pathExtension.lowercased() == "gguf" else {
            throw CommandError("--model \(model): \(location.path) is neither a model folder (config.json, weights, tokenizer.json) nor a .gguf file")
        }
        var loaded: TextGenerator?
        let loadSeconds = try measureSeconds {
            loaded = isDirectory.boolValue ? try TextGenerator(modelDirectory: location, threads: 1, precision: precision)
                : try TextGenerator(ggufFile: location, threads: 1, precision: precision)
        }
        guard let generator = loaded else { throw CommandError("the model did not load") }
        let decoder = generator.model
        let prompt = try promptIds(generator.tokenizer)
        let traffic: DecodeTraffic
        if isDirectory.boolValue {
            let configuration = FileManager.default.contents(atPath: location.appendingPathComponent("config.json").path) ?? Data()
            traffic = try DecodeTraffic(weights: WeightStore(directory: location), configuration: configuration, precision: precision)
        } else {
            // A GGUF's tensors are dequantised at load: decoding reads them as Apus stores them, not as the file does.
            let checkpoint = try GGUFCheckpoint(url: location)
            traffic = try DecodeTraffic(weights: checkpoint.weightStore(), configuration: checkpoint.configuration.json, precision: precision)
        }
        let cache = try decoder.makeCache(maxLength: promptTokens + newTokens)
        let contextTokens = Double(promptTokens) + Double(newTokens + 1) / 2  // mean positions one step attends to
        let bytesPerStep = traffic.weightBytes + traffic.keyValueBytesPerPosition * contextTokens

        var results: [ThreadResult] = []
        var greedy: [Int] = []
        for threadCount in threadCounts {
            let pool = ThreadPool(threadCount: threadCount)
            _ = try timedRun(decoder, prompt: prompt, cache: cache, steps: min(8, newTokens), pool: pool) // warm-up
            var prefill: [Double] = [], decode: [Double] = []
            for _ in 0..<repeats {
                let run = try timedRun(decoder, prompt: prompt, cache: cache, steps: newTokens, pool: pool)
                prefill.append(run.prefillSeconds)
                decode.append(run.decodeSeconds)
                if greedy.isEmpty { greedy = run.tokens }
            }
            results.append(ThreadResult(threads: threadCount, prefillSeconds: prefill, decodeSeconds: decode))
        }
        let peakResident = peakResidentBytes()
        if bandwidthProbe {
            for index in results.indices {
                results[index].machineBytesPerSecond = PeakProbe.memoryReadBandwidth(threads: results[index].threads)
            }
        }
        let report = Report(model: model, precision: precision.rawValue, isa: KernelISA.detected.description,
                            promptTokens: promptTokens, newTokens: newTokens, loadSeconds: loadSeconds,
                            weightBytes: traffic.weightBytes, bytesPerStep: bytesPerStep, cacheBytes: cache.bytes,
                            peakResidentBytes: peakResident, promptIds: prompt, greedyIds: greedy, results: results)
        print(json ? report.json : report.table)
        if let output { try OutputDestination(path: output).write(Data((report.json + "\n").utf8)) }
    }

    /// The paragraph's ids (no special tokens), repeated and cut to `promptTokens`.
    func promptIds(_ tokenizer: Tokenizer) throws -> [Int] {
        let ids = tokenizer.encode(Self.paragraph, addSpecialTokens: false).ids
        guard !ids.isEmpty else { throw CommandError("the tokenizer gives no tokens for the benchmark paragraph") }
        return (0..<promptTokens).map { ids[$0 % ids.count] }
    }

    /// One prefill of `prompt` into the emptied `cache`, then `steps` greedy decoding steps.
    func timedRun(_ decoder: any CausalLanguageModel, prompt: [Int], cache: KVCache, steps: Int,
                  pool: ThreadPool) throws -> (prefillSeconds: Double, decodeSeconds: Double, tokens: [Int]) {
        cache.reset()
        var logits: [Float] = []
        let prefillSeconds = try measureSeconds { logits = try decoder.prefill(prompt, cache: cache, pool: pool) }
        var tokens = [logits.withUnsafeMutableBufferPointer { LogitsProcessor.argmax($0) }]
        tokens.reserveCapacity(steps + 1)
        let decodeSeconds = try logits.withUnsafeMutableBufferPointer { buffer in
            try measureSeconds {
                for _ in 0..<steps {
                    try decoder.decode(tokens[tokens.count - 1], cache: cache, logits: buffer.baseAddress!, pool: pool)
                    tokens.append(LogitsProcessor.argmax(buffer))
                }
            }
        }
        return (prefillSeconds, decodeSeconds, Array(tokens.prefix(Self.reportedTokens)))
    }

    /// Timings of one thread count.
    struct ThreadResult {
        let threads: Int
        let prefillSeconds, decodeSeconds: [Double]
        var machineBytesPerSecond = Double.nan
    }

    struct Report {
        let model, precision, isa: String
        let promptTokens, newTokens: Int
        let loadSeconds, weightBytes, bytesPerStep: Double
        let cacheBytes, peakResidentBytes: Int
        let promptIds, greedyIds: [Int]
        let results: [ThreadResult]

        func rates(_ seconds: [Double], tokens: Int) -> [Double] { seconds.map { Double(tokens) / $0 } }

        func summary(_ result: ThreadResult) -> KeyValuePairs<String, Any> {
            let prompt = rates(result.prefillSeconds, tokens: promptTokens), decode = rates(result.decodeSeconds, tokens: newTokens)
            let achieved = bytesPerStep * percentile(decode, 0.5)
            return [
                "threads": result.threads,
                "prompt_seconds": result.prefillSeconds, "prompt_tokens_per_second": percentile(prompt, 0.5),
                "prompt_tokens_per_second_min": prompt.min() ?? .nan, "prompt_tokens_per_second_max": prompt.max() ?? .nan,
                "decode_seconds": result.decodeSeconds, "decode_tokens_per_second": percentile(decode, 0.5),
                "decode_tokens_per_second_min": decode.min() ?? .nan, "decode_tokens_per_second_max": decode.max() ?? .nan,
                "decode_gb_per_second": achieved / 1e9, "machine_gb_per_second": result.machineBytesPerSecond / 1e9,
                "bandwidth_fraction": achieved / result.machineBytesPerSecond,
            ]
        }

        var json: String {
            jsonObject([
                "engine": "apus", "model": model, "precision": precision, "isa": isa, "prompt_tokens": promptTokens,
                "new_tokens": newTokens, "load_seconds": loadSeconds, "weight_bytes_per_step": weightBytes,
                "bytes_per_step": bytesPerStep, "kv_cache_bytes": cacheBytes, "peak_rss_bytes": peakResidentBytes,
                "prompt_ids": promptIds, "greedy_ids": greedyIds, "results": results.map(summary),
            ])
        }

        var table: String {
            var lines = [
                "model       \(model) (\(precision), \(isa))",
                "load        \(fixed(loadSeconds * 1000, 1)) ms (weights, tokenizer, generation config)",
                "run         prompt \(promptTokens) tokens (one batch), then \(newTokens) greedy steps; medians of "
                    + "\(results.first?.prefillSeconds.count ?? 0) (range)",
                "per step    \(fixed(weightBytes / 1_048_576, 1)) MiB weights + KV cache read ≈ \(fixed(bytesPerStep / 1_048_576, 1)) MiB; "
                    + "KV cache \(fixed(Double(cacheBytes) / 1_048_576, 1)) MiB; peak RSS \(fixed(Double(peakResidentBytes) / 1_048_576, 1)) MiB",
                "threads" + "prompt tok/s".leftPadded(to: 23) + "decode tok/s".leftPadded(to: 23) + "decode GB/s".leftPadded(to: 14)
                    + "machine GB/s".leftPadded(to: 15) + "fraction".leftPadded(to: 11),
            ]
            for result in results {
                let prompt = rates(result.prefillSeconds, tokens: promptTokens), decode = rates(result.decodeSeconds, tokens: newTokens)
                let achieved = bytesPerStep * percentile(decode, 0.5), probed = result.machineBytesPerSecond.isFinite
                let machine = probed ? fixed(result.machineBytesPerSecond / 1e9, 2) : "-"
                let fraction = probed ? fixed(100 * achieved / result.machineBytesPerSecond, 0) + "%" : "-"
                func range(_ values: [Double], _ decimals: Int) -> String {
                    "(\(fixed(values.min() ?? .nan, decimals))–\(fixed(values.max() ?? .nan, decimals)))"
                }
                lines.append(String(result.threads).leftPadded(to: 7)
                             + " " + (fixed(percentile(prompt, 0.5), 0) + " " + range(prompt, 0)).leftPadded(to: 22)
                             + " " + (fixed(percentile(decode, 0.5), 1) + " " + range(decode, 1)).leftPadded(to: 22)
                             + fixed(achieved / 1e9, 2).leftPadded(to: 14) + machine.leftPadded(to: 15) + fraction.leftPadded(to: 11))
            }
            return lines.joined(separator: "\n")
        }
    }
}

/// The bytes one decoding step reads, from the weight files' tensor shapes and the precision Apus stores them in.
struct DecodeTraffic {
    /// Linear-layer weights (fp32 or bf16 as packed; `lm_head` counted once, tied or not), fp32 vectors (norms,
    /// biases) and one embedding row.
    let weightBytes: Double
    /// Keys and values (fp32) one step reads per cached position, over all layers.
    let keyValueBytesPerPosition: Double

    /// The traffic of a model with these weights and config.json document.
    init(weights: WeightStore, configuration configurationData: Data, precision: Precision) throws {
        let configuration = (try? JSONSerialization.jsonObject(with: configurationData) as? [String: Any]) ?? [:]
        let linearBytes: Double = precision == .bf16 ? 2 : 4
        var bytes = 0.0
        var embedding: (count: Int, width: Int)?
        var ownHead = false
        for name in weights.tensorNames {
            guard let shape = weights.info(name)?.shape, shape.count <= 2 else { continue } // e.g. GPT-2's saved causal masks
            let elements = Double(shape.reduce(1, *))
            if name.hasSuffix("embed_tokens.weight") || name.hasSuffix("wte.weight") {
                embedding = (shape[0], shape.count == 2 ? shape[1] : 1)
                bytes += Double(embedding?.width ?? 0) * 4
            } else if name.hasSuffix("wpe.weight") {
                bytes += Double(shape.count == 2 ? shape[1] : 1) * 4
            } else if name == "lm_head.weight" {
                ownHead = true
            } else {
                bytes += elements * (shape.count == 2 ? linearBytes : 4)
            }
        }
        // transformers' default is tied unless config.json says otherwise; a tied model's saved lm_head is ignored.
        let tied = (configuration["tie_word_embeddings"] as? Bool) ?? !ownHead
        if let embedding, tied || !ownHead { bytes += Double(embedding.count * embedding.width) * linearBytes }
        else if ownHead, let shape = weights.info("lm_head.weight")?.shape { bytes += Double(shape.reduce(1, *)) * linearBytes }
        weightBytes = bytes

        func integer(_ key: String) -> Int? { configuration[key] as? Int }
        let layers = integer("num_hidden_layers") ?? integer("n_layer") ?? 0
        let heads = integer("num_attention_heads") ?? integer("n_head") ?? 1
        let hidden = integer("hidden_size") ?? integer("n_embd") ?? 0
        let headSize = integer("head_dim") ?? hidden / max(heads, 1)
        let keyValueHeads = integer("num_key_value_heads") ?? heads
        keyValueBytesPerPosition = Double(2 * layers * keyValueHeads * headSize * 4)
    }
}
