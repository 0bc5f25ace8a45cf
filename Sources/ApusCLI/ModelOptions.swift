import Apus
import ArgumentParser
import Foundation

/// `--model` and `--threads`, shared by every model command.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "A local model folder, or a Hub id: org/name or org/name@revision (branch, tag or commit).",
        discussion: "Hub models are read from and downloaded into huggingface_hub's cache (HF_HUB_CACHE, HF_HOME/hub or " +
            "~/.cache/huggingface/hub); HF_ENDPOINT, HF_TOKEN and HF_HUB_OFFLINE=1 work as in Python."))
    var model: String

    @Option(name: .long, help: "Threads for the forward pass (default: all cores).")
    var threads: Int = ThreadPool.machine

    @Option(name: .long, help: "Number format of the linear layers: fp32 (exact parity) or bf16 (faster, ~1e-4 cosine).")
    var precision: Precision = .fp32

    /// The model directory: a local folder, or a Hub id found in (or downloaded into) the shared cache.
    func directory() throws -> URL {
        let resolved = try ModelResolver().resolve(model)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: resolved.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CommandError("--model \(model): \(resolved.path) is a file; this command needs a model folder (config.json, weights, tokenizer.json)")
        }
        return resolved
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
