import Apus
import ArgumentParser
import Foundation

/// `apus tokenize`: token ids as the model sees them.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Tokenize texts with a tokenizer.json: one {\"ids\": [...]} per line, with the special tokens the post-processor adds."
    )

    @Option(name: .long, help: "A model directory, a directory holding the tokenizer files, or a tokenizer.json file.")
    var model: String

    @OptionGroup var inputOptions: TextInputOptions

    @Option(name: .long, help: "Second text of a pair, encoded after each input text (adds \"type_ids\" to the output).")
    var pair: String?

    @Option(name: .long, help: "Truncate to N tokens, special tokens included (default: no truncation).")
    var maxLength: Int?

    @Flag(name: .long, help: "Also print the token strings.")
    var tokens = false

    @Flag(name: .long, help: "Also print each token's [start, end) offsets in Unicode scalars of its text.")
    var offsets = false

    func validate() throws {
        if let maxLength, maxLength < 1 { throw ValidationError("--max-length must be at least 1") }
    }

    func run() throws {
        let tokenizer = try Self.loadTokenizer(model)
        let truncation = maxLength.map { Truncation(maxLength: $0) }
        var lines = ""
        for text in try inputOptions.readTexts() {
            let encoding = tokenizer.encode(text, pair: pair, truncation: truncation)
            var fields = ["\"ids\": " + Self.jsonIntegers(encoding.ids)]
            if tokens { fields.append("\"tokens\": [\(encoding.tokens.map(jsonString).joined(separator: ","))]") }
            if pair != nil { fields.append("\"type_ids\": " + Self.jsonIntegers(encoding.typeIds)) }
            if offsets {
                fields.append("\"offsets\": [" + encoding.offsets.map { "[\($0.lowerBound),\($0.upperBound)]" }.joined(separator: ",") + "]")
            }
            lines += "{" + fields.joined(separator: ", ") + "}\n"
        }
        FileHandle.standardOutput.write(Data(lines.utf8))
    }

    /// The tokenizer at `path`: a tokenizer.json file, or the tokenizer.json of a directory.
    static func loadTokenizer(_ path: String) throws -> Tokenizer {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CommandError("--model \(path): no such file or directory")
        }
        let url = isDirectory.boolValue
            ? URL(fileURLWithPath: path).appendingPathComponent("tokenizer.json") : URL(fileURLWithPath: path)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw CommandError("--model \(path): no tokenizer.json in this directory")
        }
        return try Tokenizer(contentsOf: url)
    }

    static func jsonIntegers(_ values: [Int]) -> String {
        "[" + values.map(String.init).joined(separator: ",") + "]"
    }
}
