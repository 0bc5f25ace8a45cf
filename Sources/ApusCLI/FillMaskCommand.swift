import Apus
import ArgumentParser
import Foundation

/// `apus fill-mask`: the most likely tokens for each mask of each text, from a `*ForMaskedLM` model, as JSON lines.
struct FillMaskCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fill-mask",
        abstract: "Predict the masked tokens of texts with a masked language model.",
        discussion: """
            Writes one {"index": i, "masks": [[{"score": ..., "token": id, "token_str": ..., "sequence": ...}, ...], ...]} \
            per text (one list per mask token, best first, as transformers' fill-mask pipeline) to --output x.jsonl \
            or stdout, in input order; on a terminal, readable lines instead. Write the model's mask token \
            (e.g. [MASK]) where a token should be predicted.
            """
    )

    @OptionGroup var model: ModelOptions
    @OptionGroup var inputOptions: TextInputOptions

    @Option(name: .long, help: "Candidates per mask, best first.")
    var topK: Int = 5

    @Option(name: .long, parsing: .upToNextOption,
            help: "Rank only these tokens (words the vocabulary has; others count as their first token), e.g. --targets capital city.")
    var targets: [String] = []

    @Option(name: .long, help: "Output file (.jsonl); stdout when omitted.")
    var output: String?

    @Option(name: .long, help: "Texts per forward pass.")
    var batchSize: Int = 32

    func validate() throws {
        if topK < 1 { throw ValidationError("--top-k must be at least 1") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if let output, !["jsonl", "ndjson"].contains((output as NSString).pathExtension.lowercased()) {
            throw ValidationError("--output \(output): use a .jsonl file name")
        }
    }

    func run() throws {
        let texts = try inputOptions.readTexts()
        let fillMask = try FillMask(modelDirectory: model.directory(), threads: model.threads, precision: model.precision)
        let results = try fillMask.fill(texts, topK: topK, targets: targets.isEmpty ? nil : targets, batchSize: batchSize)
        if output == nil && isatty(STDOUT_FILENO) == 1 {
            FileHandle.standardOutput.write(Data(readable(results, texts: texts, maskToken: fillMask.maskToken).utf8))
            return
        }
        var lines = ""
        for (index, masks) in results.enumerated() {
            let lists = masks.map { predictions in
                "[" + predictions.map { prediction in
                    "{\"score\": \(jsonNumber(prediction.score)), \"token\": \(prediction.tokenId), "
                        + "\"token_str\": \(jsonString(prediction.token)), \"sequence\": \(jsonString(prediction.sequence))}"
                }.joined(separator: ", ") + "]"
            }
            lines += "{\"index\": \(index), \"masks\": [\(lists.joined(separator: ", "))]}\n"
        }
        try OutputDestination(path: output).write(Data(lines.utf8))
    }

    /// For a person: the text, then per mask its candidates with scores, and the best completed sequence.
    private func readable(_ results: [[[FillMask.Prediction]]], texts: [String], maskToken: String) -> String {
        var output = ""
        for (index, masks) in results.enumerated() {
            output += "\(index)  \(texts[index])\n"
            for (mask, predictions) in masks.enumerated() {
                let candidates = predictions.map { String(format: "%@ %.4f", $0.token, $0.score) }.joined(separator: "  ")
                let label = masks.count > 1 ? "\(maskToken) \(mask + 1)" : maskToken
                output += "   \(label): \(candidates)\n"
                if let best = predictions.first { output += "   → \(best.sequence)\n" }
            }
        }
        return output
    }
}
