import Apus
import ArgumentParser
import Foundation

/// `apus bench tokenize`: tokenizer throughput on one thread, in tokens/s and MB/s of UTF-8 input.
struct BenchTokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Time a tokenizer.json on a file of texts: tokens/s and MB/s, one thread, without special tokens.",
        discussion: """
            The texts of --input (one per line) are repeated until they hold at least --min-megabytes of UTF-8, then \
            encoded one at a time on this thread (`encode(_:addSpecialTokens: false)`, no truncation) --repeats \
            times after one warm-up pass; the median pass is reported. scripts/bench_tokenizers.py runs the same \
            texts through Hugging Face `tokenizers` for comparison.
            """
    )

    @Option(name: .long, help: "A tokenizer.json (a path ending in .json), or a directory holding one.")
    var tokenizer: String

    @Option(name: .long, help: "Texts, one per line (scripts/make_bench_corpus.py writes .cache/bench/corpus.txt).")
    var input: String

    @Option(name: .long, help: "Repeat the texts until they hold at least this many megabytes (10⁶ bytes) of UTF-8.")
    var minMegabytes: Double = 5

    @Option(name: .long, help: "Timed passes over all texts; the median is reported.")
    var repeats: Int = 5

    @Flag(name: .long, help: "Print one JSON object instead of a table.")
    var json = false

    func validate() throws {
        if repeats < 1 { throw ValidationError("--repeats must be at least 1") }
        if minMegabytes < 0 { throw ValidationError("--min-megabytes must not be negative") }
    }

    func run() throws {
        var url = URL(fileURLWithPath: tokenizer)
        if url.pathExtension.lowercased() != "json" { url = url.appendingPathComponent("tokenizer.json") }
        let loaded = try Tokenizer(contentsOf: url)
        guard let data = FileManager.default.contents(atPath: input) else { throw CommandError("cannot read --input file \(input)") }
        let lines = try TextInputOptions.parse(data, jsonLines: false, source: input)
        let lineBytes = lines.reduce(0) { $0 + $1.utf8.count }
        guard lineBytes > 0 else { throw CommandError("--input \(input) has no text") }
        var texts = lines
        while Double(texts.reduce(0) { $0 + $1.utf8.count }) < minMegabytes * 1e6 { texts += lines }
        let bytes = texts.reduce(0) { $0 + $1.utf8.count }

        var tokens = 0
        func pass() -> Int {
            var count = 0
            for text in texts { count += loaded.encode(text, addSpecialTokens: false).count }
            return count
        }
        tokens = pass() // warm-up: also fills the BPE word cache, as a long-running process has it
        var runs: [Double] = []
        for _ in 0..<repeats { runs.append(measureSeconds { precondition(pass() == tokens, "the same texts give the same tokens") }) }
        let median = percentile(runs, 0.5)
        let report = Report(tokenizer: tokenizer, texts: texts.count, bytes: bytes, tokens: tokens, runs: runs, median: median)
        print(json ? report.json : report.table)
    }

    struct Report {
        let tokenizer: String
        let texts, bytes, tokens: Int
        let runs: [Double]
        let median: Double

        var json: String {
            jsonObject([
                "engine": "apus", "tokenizer": tokenizer, "threads": 1, "texts": texts, "bytes": bytes, "tokens": tokens,
                "runs_seconds": runs, "median_seconds": median,
                "tokens_per_second": Double(tokens) / median, "megabytes_per_second": Double(bytes) / 1e6 / median,
            ])
        }

        var table: String {
            """
            tokenizer   \(tokenizer)
            input       \(texts) texts, \(fixed(Double(bytes) / 1e6, 2)) MB, \(tokens) tokens (no special tokens, 1 thread)
            throughput  \(fixed(median, 3)) s median of \(runs.count): \(fixed(Double(tokens) / median, 0)) tokens/s, \
            \(fixed(Double(bytes) / 1e6 / median, 2)) MB/s
            """
        }
    }
}
