import ArgumentParser
import Foundation

/// Where a command's texts come from: `--input FILE`, positional arguments, or stdin.
struct TextInputOptions: ParsableArguments {
    @Option(name: .long, help: "Read texts from FILE: JSON lines with a \"text\" field (.jsonl/.ndjson) or plain text, one per line.")
    var input: String?

    @Option(name: .long, help: "How to read --input or stdin: auto (by file extension), text or jsonl.")
    var inputFormat: InputFormat = .auto

    @Argument(help: "Texts to process (when neither --input nor stdin is used).")
    var texts: [String] = []

    enum InputFormat: String, ExpressibleByArgument, CaseIterable {
        case auto, text, jsonl
    }

    /// The texts in input order.
    func readTexts() throws -> [String] {
        try readRecords().map(\.text)
    }

    /// The texts in input order, each with the `"text_pair"` its JSON line gives (transformers' pipeline input
    /// `{"text": ..., "text_pair": ...}`); plain-text lines and arguments have no pair.
    func readRecords() throws -> [TextRecord] {
        if let input {
            if !texts.isEmpty { throw CommandError("give texts either as arguments or with --input, not both") }
            guard let data = FileManager.default.contents(atPath: input) else {
                throw CommandError("cannot read --input file \(input)")
            }
            let isJSONL = inputFormat == .jsonl || (inputFormat == .auto && ["jsonl", "ndjson"].contains((input as NSString).pathExtension.lowercased()))
            return try Self.parseRecords(data, jsonLines: isJSONL, source: input)
        }
        if !texts.isEmpty { return texts.map { TextRecord(text: $0, pair: nil) } }
        let data = FileHandle.standardInput.readDataToEndOfFile()
        return try Self.parseRecords(data, jsonLines: inputFormat == .jsonl, source: "stdin")
    }

    /// Splits `data` into texts: one per line, the final newline not starting an extra text.
    static func parse(_ data: Data, jsonLines: Bool, source: String) throws -> [String] {
        try parseRecords(data, jsonLines: jsonLines, source: source).map(\.text)
    }

    /// `parse`, keeping each JSON line's optional `"text_pair"`.
    static func parseRecords(_ data: Data, jsonLines: Bool, source: String) throws -> [TextRecord] {
        guard let content = String(data: data, encoding: .utf8) else {
            throw CommandError("\(source) is not valid UTF-8")
        }
        // Split on scalars: as Characters, "\r\n" is one grapheme and would not split on "\n".
        var lines = content.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            String(line.last == "\r" ? line.dropLast() : line[...])
        }
        if lines.last == "" { lines.removeLast() }
        guard jsonLines else { return lines.map { TextRecord(text: $0, pair: nil) } }
        // JSONDecoder rather than JSONSerialization, which on Linux drops a leading U+FEFF from strings.
        struct Line: Decodable {
            let text: String
            let textPair: String?
            enum CodingKeys: String, CodingKey { case text, textPair = "text_pair" }
        }
        var records: [TextRecord] = []
        for (number, line) in lines.enumerated() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            do {
                let decoded = try JSONDecoder().decode(Line.self, from: Data(line.utf8))
                records.append(TextRecord(text: decoded.text, pair: decoded.textPair))
            } catch {
                throw CommandError("\(source) line \(number + 1): expected a JSON object with a string field \"text\" "
                    + "(and optionally a string \"text_pair\")")
            }
        }
        return records
    }
}

/// One input: a text, and the second text of a pair when its JSON line has one.
struct TextRecord {
    let text: String
    let pair: String?
}

/// Where a command writes its results: a file named by `--output`, or stdout.
struct OutputDestination {
    let path: String?

    /// Writes `data` to the file, or to stdout when no path was given.
    func write(_ data: Data) throws {
        if let path {
            do { try data.write(to: URL(fileURLWithPath: path)) } catch {
                throw CommandError("cannot write \(path): \(error.localizedDescription)")
            }
        } else {
            FileHandle.standardOutput.write(data)
        }
    }
}

/// A JSON string literal for `text` (quotes and escapes included).
func jsonString(_ text: String) -> String {
    let data = (try? JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes])) ?? Data("[\"\"]".utf8)
    let array = String(decoding: data, as: UTF8.self)
    return String(array.dropFirst().dropLast())
}

/// A JSON array of floats, each in its shortest round-tripping form.
func jsonArray(_ values: [Float]) -> String {
    "[" + values.map { $0.isFinite ? "\($0)" : "null" }.joined(separator: ",") + "]"
}

/// Prints a message to stderr.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// A problem found while running a command (a missing file, unreadable input): printed as
/// `Error: <message>` without the usage text that argument errors get.
struct CommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
