import Apus
import ArgumentParser
import Foundation

/// `apus ner`: named entities from a `*ForTokenClassification` model, as JSON lines.
struct NerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ner",
        abstract: "Find named entities (or any token labels) with a token-classification model.",
        discussion: """
            Writes one {"index": i, "entities": [{"entity_group": ..., "score": ..., "word": ..., "start": ..., \
            "end": ...}, ...]} per text to --output x.jsonl or stdout, in input order; on a terminal, one readable \
            line per text instead. start/end are character offsets into the text (Python string indices). With \
            --aggregation none every token is listed with "entity" (its B-/I- label) and "index" (its token \
            position). Tokens labelled O are left out. Texts longer than --max-length are truncated, or with --stride N read \
            whole in overlapping windows. The output matches transformers' \
            pipeline("ner", aggregation_strategy=...).
            """
    )

    @OptionGroup var model: ModelOptions
    @OptionGroup var inputOptions: TextInputOptions

    @Option(name: .long, help: "How token labels become entities: none, simple, first, average or max (transformers' aggregation_strategy).")
    var aggregation: NamedEntityRecognizer.Aggregation = .simple

    @Option(name: .long, help: "Output file (.jsonl); stdout when omitted.")
    var output: String?

    @Option(name: .long, help: "Maximum tokens per text, special tokens included; longer texts are truncated (default: the model's).")
    var maxLength: Int?

    @Option(name: .long, help: "Read long texts whole, in windows of --max-length tokens sharing this many tokens, instead of truncating (transformers' stride; needs an aggregation other than none).")
    var stride: Int?

    @Option(name: .long, help: "Texts per forward pass.")
    var batchSize: Int = 32

    func validate() throws {
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if let maxLength, maxLength < 1 { throw ValidationError("--max-length must be at least 1") }
        if let stride {
            if stride < 0 { throw ValidationError("--stride must be at least 0") }
            if aggregation == .none { throw ValidationError("--stride needs --aggregation simple, first, average or max") }
            if let maxLength, stride >= maxLength { throw ValidationError("--stride must be below --max-length") }
        }
        if let output, !["jsonl", "ndjson"].contains((output as NSString).pathExtension.lowercased()) {
            throw ValidationError("--output \(output): use a .jsonl file name")
        }
    }

    func run() throws {
        let texts = try inputOptions.readTexts()
        let recognizer = try model.loadRecognizer()
        let results = try recognizer.recognize(texts, aggregation: aggregation, batchSize: batchSize, maxLength: maxLength,
                                                   stride: stride)
        if output == nil && isatty(STDOUT_FILENO) == 1 {
            FileHandle.standardOutput.write(Data(readable(results, texts: texts).utf8))
            return
        }
        // The key names are the pipeline's: "entity" per token, "entity_group" for groups.
        let labelKey = aggregation == .none ? "entity" : "entity_group"
        var lines = ""
        for (index, entities) in results.enumerated() {
            let objects = entities.map { entity in
                var fields = "\"\(labelKey)\": \(jsonString(entity.label)), \"score\": \(jsonNumber(entity.score)), "
                    + "\"word\": \(jsonString(entity.word)), \"start\": \(entity.start), \"end\": \(entity.end)"
                if let token = entity.index { fields += ", \"index\": \(token)" }
                return "{\(fields)}"
            }
            lines += "{\"index\": \(index), \"entities\": [\(objects.joined(separator: ", "))]}\n"
        }
        try OutputDestination(path: output).write(Data(lines.utf8))
    }

    /// One line per text for a person: index, then each entity as `[LABEL 0.98] original text`.
    private func readable(_ results: [[Entity]], texts: [String]) -> String {
        var output = ""
        for (index, entities) in results.enumerated() {
            let characters = Array(texts[index].unicodeScalars)
            let shown = entities.map { entity -> String in
                // The span of the input, not the decoded word: it keeps case and accents the tokenizer dropped.
                let span = characters[min(entity.start, characters.count)..<min(max(entity.end, entity.start), characters.count)]
                return String(format: "[%@ %.2f] ", entity.label, entity.score) + String(String.UnicodeScalarView(span))
            }
            output += "\(index)  " + (shown.isEmpty ? "(no entities)" : shown.joined(separator: "  ")) + "\n"
        }
        return output
    }
}

extension NamedEntityRecognizer.Aggregation: ExpressibleByArgument {}
