import Apus
import ArgumentParser
import Foundation

/// `apus tokenize`: token ids as the model sees them.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Tokenize texts with a model's tokenizer.json: one {\"ids\": [...]} per line, special tokens included."
    )

    @Option(name: .long, help: "Model directory (or any directory with a tokenizer.json), or a Hub id org/name[@revision].")
    var model: String

    @OptionGroup var inputOptions: TextInputOptions

    @Option(name: .long, help: "Truncate to N tokens, special tokens included (default: no truncation).")
    var maxLength: Int?

    @Flag(name: .long, help: "Also print the token strings.")
    var tokens = false

    func validate() throws {
        if let maxLength, maxLength < 1 { throw ValidationError("--max-length must be at least 1") }
    }

    func run() throws {
        let resolved = try ModelResolver().resolve(model)
        let tokenizerURL = resolved.lastPathComponent == "tokenizer.json" ? resolved : resolved.appendingPathComponent("tokenizer.json")
        guard FileManager.default.fileExists(atPath: tokenizerURL.path) else {
            throw CommandError("--model \(model): no tokenizer.json in this directory")
        }
        let tokenizer = try Tokenizer(contentsOf: tokenizerURL)
        let truncation = maxLength.map { Truncation(maxLength: $0) }
        var lines = ""
        for text in try inputOptions.readTexts() {
            let encoding = tokenizer.encode(text, truncation: truncation)
            let ids = "[" + encoding.ids.map(String.init).joined(separator: ",") + "]"
            if tokens {
                lines += "{\"ids\": \(ids), \"tokens\": [\(encoding.tokens.map(jsonString).joined(separator: ","))]}\n"
            } else {
                lines += "{\"ids\": \(ids)}\n"
            }
        }
        FileHandle.standardOutput.write(Data(lines.utf8))
    }
}
