import Apus
import ArgumentParser
import Foundation

/// `apus rerank`: documents sorted by relevance to a query with a cross-encoder, as JSON lines.
struct RerankCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rerank",
        abstract: "Rank documents by relevance to a query with a cross-encoder (sentence-transformers CrossEncoder).",
        discussion: """
            Reads documents from FILE or --input (plain lines, or JSON lines with "text"), or stdin. Writes one \
            {"rank": r, "score": s, "index": i, "text": ...} per document, best first (index is the document's \
            line number from 0), to --output x.jsonl or stdout; on a terminal, readable lines instead. Scores are \
            the model's logit through the activation sentence-transformers applies (a sigmoid for one output).
            """
    )

    @OptionGroup var model: ModelOptions

    @Argument(help: "The query every document is scored against.")
    var query: String

    @Argument(help: "File of documents, one per line (or JSON lines with \"text\").")
    var file: String?

    @Option(name: .long, help: "File of documents (the same as the FILE argument).")
    var input: String?

    @Option(name: .long, help: "How to read the documents: auto (by file extension), text or jsonl.")
    var inputFormat: TextInputOptions.InputFormat = .auto

    @Option(name: .long, help: "Documents to show, best first (default: all).")
    var topK: Int?

    @Option(name: .long, help: "Output file (.jsonl); stdout when omitted.")
    var output: String?

    @Option(name: .long, help: "Maximum tokens per query-document pair, special tokens included (default: the model's).")
    var maxLength: Int?

    @Option(name: .long, help: "Pairs per forward pass.")
    var batchSize: Int = 32

    func validate() throws {
        if let topK, topK < 1 { throw ValidationError("--top-k must be at least 1") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if let maxLength, maxLength < 1 { throw ValidationError("--max-length must be at least 1") }
        if file != nil && input != nil { throw ValidationError("give the documents either as FILE or with --input, not both") }
        if let output, !["jsonl", "ndjson"].contains((output as NSString).pathExtension.lowercased()) {
            throw ValidationError("--output \(output): use a .jsonl file name")
        }
    }

    func run() throws {
        let documents = try readDocuments()
        let reranker = try Reranker(modelDirectory: model.directory(), threads: model.threads, precision: model.precision)
        let ranking = try reranker.rank(query: query, documents: documents, topK: topK, batchSize: batchSize, maxLength: maxLength)
        if output == nil && isatty(STDOUT_FILENO) == 1 {
            var lines = ""
            for (rank, entry) in ranking.enumerated() {
                lines += String(format: "%2d  %.4f  [%d]  ", rank + 1, entry.score, entry.index) + documents[entry.index] + "\n"
            }
            FileHandle.standardOutput.write(Data(lines.utf8))
            return
        }
        var lines = ""
        for (rank, entry) in ranking.enumerated() {
            lines += "{\"rank\": \(rank + 1), \"score\": \(jsonNumber(entry.score)), \"index\": \(entry.index), "
                + "\"text\": \(jsonString(documents[entry.index]))}\n"
        }
        try OutputDestination(path: output).write(Data(lines.utf8))
    }

    /// The documents of FILE or --input, else of stdin, read as `apus embed` reads texts.
    private func readDocuments() throws -> [String] {
        guard let path = file ?? input else {
            return try TextInputOptions.parse(FileHandle.standardInput.readDataToEndOfFile(), jsonLines: inputFormat == .jsonl,
                                              source: "stdin")
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw CommandError("cannot read documents file \(path)") }
        let isJSONL = inputFormat == .jsonl
            || (inputFormat == .auto && ["jsonl", "ndjson"].contains((path as NSString).pathExtension.lowercased()))
        return try TextInputOptions.parse(data, jsonLines: isJSONL, source: path)
    }
}
