import Apus
import ArgumentParser
import Foundation

/// `apus classify`: labels and scores from a `*ForSequenceClassification` model, as JSON lines.
struct ClassifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Classify texts (or text pairs) with a sequence-classification model.",
        discussion: """
            Writes one {"index": i, "labels": [{"label": ..., "score": ...}, ...]} per text, best label first, \
            to --output x.jsonl or stdout, in input order; on a terminal, one readable line per text instead. \
            Scores are softmax probabilities, per-label sigmoids or raw values, as the model's problem_type says.
            """
    )

    @OptionGroup var model: ModelOptions
    @OptionGroup var inputOptions: TextInputOptions

    @Option(name: .long, help: "Second text of every pair: each text is classified together with this one (NLI, reranking).")
    var pair: String?

    @Option(name: .long, help: "Second texts, one per text, read like --input (plain lines or JSON lines with \"text\").")
    var pairInput: String?

    @Option(name: .long, help: "Labels to show per text, best first (default: all).")
    var topK: Int?

    @Option(name: .long, help: "Output file (.jsonl); stdout when omitted.")
    var output: String?

    @Flag(name: .long, help: "Also write each text's raw logits (\"logits\": [...], by class id).")
    var logits = false

    @Option(name: .long, help: "Maximum tokens per text or pair, special tokens included (default: the model's).")
    var maxLength: Int?

    @Option(name: .long, help: "Texts per forward pass.")
    var batchSize: Int = 32

    func validate() throws {
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if let maxLength, maxLength < 1 { throw ValidationError("--max-length must be at least 1") }
        if let topK, topK < 1 { throw ValidationError("--top-k must be at least 1") }
        if pair != nil && pairInput != nil { throw ValidationError("give either --pair or --pair-input, not both") }
        if let output, !["jsonl", "ndjson"].contains((output as NSString).pathExtension.lowercased()) {
            throw ValidationError("--output \(output): use a .jsonl file name")
        }
    }

    func run() throws {
        let records = try inputOptions.readRecords()
        let texts = records.map(\.text)
        let pairs = try readPairs(records)
        let classifier = try model.loadClassifier()
        let results = try classifier.classify(texts, pairs: pairs, batchSize: batchSize, maxLength: maxLength)
        if output == nil && isatty(STDOUT_FILENO) == 1 {
            FileHandle.standardOutput.write(Data(readable(results, texts: texts, pairs: pairs).utf8))
            return
        }
        var lines = ""
        for (index, result) in results.enumerated() {
            let labels = result.top(topK).map { "{\"label\": \(jsonString($0.label)), \"score\": \(jsonNumber($0.score))}" }
            lines += "{\"index\": \(index), \"labels\": [\(labels.joined(separator: ", "))]"
            if logits { lines += ", \"logits\": \(jsonArray(result.logits))" }
            lines += "}\n"
        }
        try OutputDestination(path: output).write(Data(lines.utf8))
    }

    /// The second texts: `--pair` repeated for every text, `--pair-input`'s lines (one per text), or the
    /// `"text_pair"` fields of JSONL input (a line without one is classified alone).
    private func readPairs(_ records: [TextRecord]) throws -> [String?]? {
        let inline = records.map(\.pair)
        let hasInline = inline.contains { $0 != nil }
        if hasInline && (pair != nil || pairInput != nil) {
            throw CommandError("the input has \"text_pair\" fields; do not also give --pair or --pair-input")
        }
        if hasInline { return inline }
        return try readPairs(count: records.count)
    }

    /// The second texts: `--pair` repeated for every text, or `--pair-input`'s lines, one per text.
    private func readPairs(count: Int) throws -> [String]? {
        if let pair { return Array(repeating: pair, count: count) }
        guard let pairInput else { return nil }
        guard let data = FileManager.default.contents(atPath: pairInput) else {
            throw CommandError("cannot read --pair-input file \(pairInput)")
        }
        let isJSONL = inputOptions.inputFormat == .jsonl
            || (inputOptions.inputFormat == .auto && ["jsonl", "ndjson"].contains((pairInput as NSString).pathExtension.lowercased()))
        let pairs = try TextInputOptions.parse(data, jsonLines: isJSONL, source: pairInput)
        guard pairs.count == count else {
            throw CommandError("--pair-input \(pairInput) has \(pairs.count) texts but there are \(count) texts to classify; give one per text")
        }
        return pairs
    }

    /// One line per text for a person: index, the top labels with scores, the text.
    private func readable(_ results: [TextClassification], texts: [String], pairs: [String?]?) -> String {
        var output = ""
        for (index, result) in results.enumerated() {
            let labels = result.top(topK ?? 3).map { String(format: "%@ %.4f", $0.label, $0.score) }.joined(separator: "  ")
            let input = (pairs?[index] ?? nil).map { "\(texts[index]) ‖ \($0)" } ?? texts[index]
            output += "\(index)  \(labels)  \(input)\n"
        }
        return output
    }
}

/// A float as a JSON number (`null` when not finite, which JSON cannot express).
func jsonNumber(_ value: Float) -> String {
    value.isFinite ? "\(value)" : "null"
}
