import Apus
import ArgumentParser
import Foundation

/// `apus detokenize`: the text of token ids, as the tokenizer's decoder writes it.
struct DetokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detokenize",
        abstract: "Decode token ids with a tokenizer.json: one {\"text\": \"...\"} per line.",
        discussion: """
        Ids come as arguments ("[101, 7592, 102]" or "101 7592 102", one sequence per argument), or as JSON lines \
        {"ids": [...]} from --input or stdin (what `apus tokenize` prints).
        """
    )

    @Option(name: .long, help: "A model directory, a directory holding the tokenizer files, or a tokenizer.json file.")
    var model: String

    @Option(name: .long, help: "Read JSON lines with an \"ids\" array from FILE (default: stdin when no ids are given).")
    var input: String?

    @Flag(name: .long, help: "Keep special tokens ([CLS], </s>...) in the text instead of skipping them.")
    var keepSpecialTokens = false

    @Argument(help: "Sequences of ids, e.g. \"[101, 7592, 102]\".")
    var ids: [String] = []

    func run() throws {
        let tokenizer = try TokenizeCommand.loadTokenizer(model)
        var lines = ""
        for sequence in try readSequences() {
            lines += "{\"text\": \(jsonString(tokenizer.decode(sequence, skipSpecialTokens: !keepSpecialTokens)))}\n"
        }
        FileHandle.standardOutput.write(Data(lines.utf8))
    }

    /// The id sequences in input order.
    func readSequences() throws -> [[Int]] {
        if input != nil && !ids.isEmpty { throw CommandError("give ids either as arguments or with --input, not both") }
        if !ids.isEmpty { return try ids.map(Self.parseIds) }
        let data: Data
        if let input {
            guard let contents = FileManager.default.contents(atPath: input) else { throw CommandError("cannot read --input file \(input)") }
            data = contents
        } else {
            data = FileHandle.standardInput.readDataToEndOfFile()
        }
        struct Line: Decodable { let ids: [Int] }
        let source = input ?? "stdin"
        var sequences: [[Int]] = []
        for (number, line) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated()
        where !line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\t") }) {
            do {
                sequences.append(try JSONDecoder().decode(Line.self, from: Data(line)).ids)
            } catch {
                throw CommandError("\(source) line \(number + 1): expected a JSON object with an integer array \"ids\"")
            }
        }
        return sequences
    }

    /// "[1, 2, 3]", "1,2,3" or "1 2 3" as ids.
    static func parseIds(_ argument: String) throws -> [Int] {
        let trimmed = argument.trimmingCharacters(in: CharacterSet(charactersIn: "[] \t"))
        return try trimmed.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" }).map { item in
            guard let id = Int(item), id >= 0 else { throw CommandError("'\(argument)': '\(item)' is not a token id") }
            return id
        }
    }
}
