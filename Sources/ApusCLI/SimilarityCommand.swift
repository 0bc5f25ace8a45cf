import Apus
import ArgumentParser
import Foundation

/// `apus similarity`: rank the lines of a file by cosine similarity to a query — semantic search in one command.
struct SimilarityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "similarity",
        abstract: "Rank the lines of FILE by cosine similarity to QUERY."
    )

    @OptionGroup var model: ModelOptions

    @Argument(help: "The query text.")
    var query: String

    @Argument(help: "A text file, one document per line (empty lines are skipped).")
    var file: String

    @Option(name: .long, help: "How many results to show.")
    var top: Int = 5

    @Flag(name: .long, help: "Print JSON lines {\"rank\", \"score\", \"line\", \"text\"} instead of a table.")
    var json = false

    func validate() throws {
        if top < 1 { throw ValidationError("--top must be at least 1") }
    }

    func run() throws {
        guard let data = FileManager.default.contents(atPath: file) else { throw CommandError("cannot read \(file)") }
        let documents = try TextInputOptions.parse(data, jsonLines: false, source: file).enumerated()
            .filter { !$0.element.trimmingCharacters(in: .whitespaces).isEmpty }
        guard !documents.isEmpty else { throw CommandError("\(file) has no non-empty lines") }

        let embedder = try model.loadEmbedder()
        let vectors = try embedder.embed([query] + documents.map(\.element), normalize: true)
        let queryVector = vectors[0]
        let scored = zip(documents, vectors.dropFirst()).map { document, vector in
            (line: document.offset + 1, text: document.element, score: zip(queryVector, vector).reduce(Float(0)) { $0 + $1.0 * $1.1 })
        }
        let ranked = scored.sorted { $0.score > $1.score }.prefix(top)
        var output = ""
        for (rank, result) in ranked.enumerated() {
            if json {
                output += "{\"rank\": \(rank + 1), \"score\": \(result.score), \"line\": \(result.line), \"text\": \(jsonString(result.text))}\n"
            } else {
                output += String(format: "%2d. %.4f  ", rank + 1, result.score) + result.text + "\n"
            }
        }
        FileHandle.standardOutput.write(Data(output.utf8))
    }
}
