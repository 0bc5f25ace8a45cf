import Apus
import ArgumentParser
import Foundation

/// `apus embed`: sentence embeddings as .npy or JSON lines.
struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Embed texts with a sentence-transformers model.",
        discussion: """
            Writes float32 [n, dim] to --output x.npy, or one {"index": i, "embedding": [...]} per line \
            to x.jsonl or stdout. Order is the input order.
            """
    )

    @OptionGroup var model: ModelOptions
    @OptionGroup var inputOptions: TextInputOptions

    @Option(name: .long, help: "Output file: .npy (float32 [n, dim]) or .jsonl; stdout (JSON lines) when omitted.")
    var output: String?

    @Option(name: .long, help: "Maximum tokens per text, special tokens included (default: the model's max_seq_length).")
    var maxLength: Int?

    @Option(name: .long, help: "Texts per forward pass.")
    var batchSize: Int = 32

    @Flag(name: .long, help: "Skip the model's Normalize module (raw pooled vectors).")
    var noNormalize = false

    @Option(name: .long, help: "Text prepended to every input, e.g. \"query: \" (E5-style models).")
    var prompt: String?

    @Option(name: .long, help: "A prompt the model defines in config_sentence_transformers.json, e.g. query or passage.")
    var promptName: String?

    @Option(name: .long, help: "Keep the first N dimensions and renormalise (Matryoshka models).")
    var dimensions: Int?

    func validate() throws {
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if let maxLength, maxLength < 1 { throw ValidationError("--max-length must be at least 1") }
        if let dimensions, dimensions < 1 { throw ValidationError("--dimensions must be at least 1") }
        if prompt != nil && promptName != nil { throw ValidationError("give --prompt or --prompt-name, not both") }
        if let output, !["npy", "jsonl", "ndjson"].contains((output as NSString).pathExtension.lowercased()) {
            throw ValidationError("--output \(output): use a .npy or .jsonl file name")
        }
    }

    func run() throws {
        let texts = try inputOptions.readTexts()
        let embedder = try model.loadEmbedder()
        let vectors = try embedder.embed(texts, batchSize: batchSize, maxLength: maxLength, normalize: noNormalize ? false : nil,
                                         prompt: prompt, promptName: promptName, dimensions: dimensions)
        let destination = OutputDestination(path: output)
        if let output, (output as NSString).pathExtension.lowercased() == "npy" {
            try destination.write(NpyFile.encode(vectors.flatMap { $0 }, shape: [vectors.count, dimensions ?? embedder.dimension]))
        } else {
            var lines = ""
            for (index, vector) in vectors.enumerated() {
                lines += "{\"index\": \(index), \"embedding\": \(jsonArray(vector))}\n"
            }
            try destination.write(Data(lines.utf8))
        }
    }
}
