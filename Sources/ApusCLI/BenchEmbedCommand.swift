import Apus
import ArgumentParser
import Foundation

/// `apus bench embed`: load time, throughput, single-query latency and peak memory of sentence embedding.
struct BenchEmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Time a sentence-transformers model: load, throughput over a file of texts, single-query latency.",
        discussion: """
            Measured inside one process: load (weights and tokenizer ready), first vector (load plus embedding one \
            query), then --repeats timed runs of `embed` over the texts (sorted by length and packed --batch-size at a \
            time, as `apus embed` and sentence-transformers do; tokenizing included), then --query-runs single-query \
            latencies (tokenize + forward + pool + normalise). Tokens are counted after truncation, special tokens \
            included.
            """
    )

    @OptionGroup var model: ModelOptions

    @Option(name: .long, help: "Texts to embed, one per line (or JSON lines with a \"text\" field for .jsonl).")
    var input: String

    @Option(name: .long, help: "Use only the first N texts of --input.")
    var texts: Int?

    @Option(name: .long, help: "Maximum tokens per text, special tokens included (default: the model's max_seq_length).")
    var maxLength: Int?

    @Option(name: .long, help: "Texts per forward pass.")
    var batchSize: Int = 32

    @Option(name: .long, help: "Timed runs over all texts; the median is reported.")
    var repeats: Int = 3

    @Option(name: .long, help: "Single-query latency samples.")
    var queryRuns: Int = 200

    @Option(name: .long, help: "The short text timed for single-query latency.")
    var query = "How do I reset my password?"

    @Option(name: .long, help: "Write the last run's vectors to this .npy file (float32 [n, dim]).")
    var output: String?

    @Flag(name: .long, help: "Print one JSON object instead of a table.")
    var json = false

    func validate() throws {
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if repeats < 1 { throw ValidationError("--repeats must be at least 1") }
        if queryRuns < 1 { throw ValidationError("--query-runs must be at least 1") }
        if let texts, texts < 1 { throw ValidationError("--texts must be at least 1") }
        if let maxLength, maxLength < 1 { throw ValidationError("--max-length must be at least 1") }
        if let output, (output as NSString).pathExtension.lowercased() != "npy" {
            throw ValidationError("--output \(output): bench writes a .npy file")
        }
    }

    func run() throws {
        var corpus = try TextInputOptions.parse(readInput(), jsonLines: ["jsonl", "ndjson"].contains((input as NSString).pathExtension.lowercased()),
                                                source: input)
        if let texts { corpus = Array(corpus.prefix(texts)) }
        guard !corpus.isEmpty else { throw CommandError("--input \(input) has no texts") }

        // Load, and load-to-first-vector, as a user of the library sees them.
        var embedder: SentenceEmbedder?
        let loadSeconds = try measureSeconds { embedder = try model.loadEmbedder() }
        guard let embedder else { throw CommandError("the model did not load") }
        let firstQuerySeconds = try measureSeconds { _ = try embedder.embed([query], maxLength: maxLength) }

        let tokens = try corpus.reduce(0) { $0 + (try embedder.tokenize($1, maxLength: maxLength).ids.count) }
        _ = try embedder.embed(Array(corpus.prefix(batchSize)), batchSize: batchSize, maxLength: maxLength) // warm-up
        var runs: [Double] = []
        var vectors: [[Float]] = []
        for _ in 0..<repeats {
            runs.append(try measureSeconds { vectors = try embedder.embed(corpus, batchSize: batchSize, maxLength: maxLength) })
        }
        var latencies: [Double] = []
        for _ in 0..<queryRuns {
            latencies.append(try measureSeconds { _ = try embedder.embed([query], maxLength: maxLength) } * 1000)
        }
        if let output {
            try OutputDestination(path: output).write(NpyFile.encode(vectors.flatMap { $0 }, shape: [vectors.count, embedder.dimension]))
        }

        let median = percentile(runs, 0.5)
        let report = Report(model: model.model, precision: model.precision.rawValue, threads: model.threads,
                            isa: KernelISA.detected.description, texts: corpus.count, tokens: tokens, batchSize: batchSize,
                            maxLength: maxLength ?? embedder.maxSequenceLength, loadSeconds: loadSeconds,
                            firstVectorSeconds: loadSeconds + firstQuerySeconds, runs: runs, median: median,
                            queryP50: percentile(latencies, 0.5), queryP90: percentile(latencies, 0.9),
                            queryRuns: queryRuns, queryTokens: try embedder.tokenize(query, maxLength: maxLength).ids.count,
                            peakResidentBytes: peakResidentBytes())
        print(json ? report.json : report.table)
    }

    private func readInput() throws -> Data {
        guard let data = FileManager.default.contents(atPath: input) else { throw CommandError("cannot read --input file \(input)") }
        return data
    }

    struct Report {
        let model, precision: String
        let threads: Int
        let isa: String
        let texts, tokens, batchSize, maxLength: Int
        let loadSeconds, firstVectorSeconds: Double
        let runs: [Double]
        let median, queryP50, queryP90: Double
        let queryRuns, queryTokens, peakResidentBytes: Int

        var json: String {
            jsonObject([
                "engine": "apus", "model": model, "precision": precision, "threads": threads, "isa": isa,
                "texts": texts, "tokens": tokens, "batch_size": batchSize, "max_length": maxLength,
                "load_seconds": loadSeconds, "first_vector_seconds": firstVectorSeconds,
                "runs_seconds": runs, "median_seconds": median,
                "sentences_per_second": Double(texts) / median, "tokens_per_second": Double(tokens) / median,
                "query_latency_ms": ["p50": queryP50, "p90": queryP90, "runs": queryRuns, "tokens": queryTokens] as KeyValuePairs<String, Any>,
                "peak_rss_bytes": peakResidentBytes,
            ])
        }

        var table: String {
            """
            model       \(model) (\(precision), \(threads) threads, \(isa))
            texts       \(texts) texts, \(tokens) tokens; batch \(batchSize), max length \(maxLength)
            load        \(fixed(loadSeconds * 1000, 1)) ms to ready, \(fixed(firstVectorSeconds * 1000, 1)) ms to the first vector
            throughput  \(fixed(median, 3)) s median of \(runs.count): \(fixed(Double(texts) / median, 1)) sentences/s, \
            \(fixed(Double(tokens) / median, 0)) tokens/s
            query       p50 \(fixed(queryP50, 3)) ms, p90 \(fixed(queryP90, 3)) ms (\(queryRuns) runs, \(queryTokens) tokens)
            peak RSS    \(fixed(Double(peakResidentBytes) / 1_048_576, 1)) MiB
            """
        }
    }
}
