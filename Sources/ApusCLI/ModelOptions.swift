import Apus
import ArgumentParser
import Foundation

/// `--model` and `--threads`, shared by every model command.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: "Model directory in Hugging Face Hub layout (config.json, model.safetensors, tokenizer.json).")
    var model: String

    @Option(name: .long, help: "Threads for the forward pass (default: all cores).")
    var threads: Int = ThreadPool.machine

    @Option(name: .long, help: "Number format of the linear layers: fp32 (exact parity) or bf16 (faster, ~1e-4 cosine).")
    var precision: Precision = .fp32

    /// The model directory, checked to exist.
    func directory() throws -> URL {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: model, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CommandError("--model \(model): no such directory (a local folder in Hub layout is expected)")
        }
        return URL(fileURLWithPath: model)
    }

    func validate() throws {
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    /// Loads the embedder, turning library errors into messages on stderr.
    func loadEmbedder() throws -> SentenceEmbedder {
        warnIfPortableBF16()
        return try SentenceEmbedder(modelDirectory: directory(), threads: threads, precision: precision)
    }

    /// Loads a `*ForSequenceClassification` model and its tokenizer.
    func loadClassifier() throws -> TextClassifier {
        warnIfPortableBF16()
        return try TextClassifier(modelDirectory: directory(), threads: threads, precision: precision)
    }

    /// Loads a `*ForTokenClassification` model and its tokenizer.
    func loadRecognizer() throws -> NamedEntityRecognizer {
        warnIfPortableBF16()
        return try NamedEntityRecognizer(modelDirectory: directory(), threads: threads, precision: precision)
    }

    private func warnIfPortableBF16() {
        if precision == .bf16 && BF16KernelISA.detected == .portable {
            FileHandle.standardError.write(Data("""
                apus: this CPU has no AVX-512 BF16; --precision bf16 runs on the portable path (same results, \
                slower than fp32)\n
                """.utf8))
        }
    }
}

extension Precision: ExpressibleByArgument {}
