import ApusTensor
import Foundation
import Testing

/// Runs the built `apus` binary like a user would.
@Suite(.serialized)
struct EmbedCommandTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct Missing: Error, CustomStringConvertible { let description: String }

    /// The `apus` executable SwiftPM built next to this test bundle.
    static func apusBinary() throws -> URL {
        var candidates = [Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent(),
                          URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
        for bundle in Bundle.allBundles { candidates.append(bundle.bundleURL.deletingLastPathComponent()) }
        for directory in candidates {
            let binary = directory.appendingPathComponent("apus")
            if FileManager.default.isExecutableFile(atPath: binary.path) { return binary }
        }
        throw Missing(description: "apus binary not found near \(candidates.map(\.path)); build it with swift build")
    }

    static func modelDirectory() throws -> String {
        let path = ProcessInfo.processInfo.environment["APUS_MINILM_PATH"]
            ?? repositoryRoot.appendingPathComponent(".cache/models/all-MiniLM-L6-v2").path
        guard FileManager.default.fileExists(atPath: path + "/model.safetensors") else {
            throw Missing(description: "all-MiniLM-L6-v2 not found at \(path): run scripts/fetch-minilm.sh")
        }
        return path
    }

    struct Output { let status: Int32; let stdout: String; let stderr: String }

    static func run(_ executable: URL, _ arguments: [String], stdin: String? = nil) throws -> Output {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        let stderrData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: stdoutData, as: UTF8.self),
                      stderr: String(decoding: stderrData, as: UTF8.self))
    }

    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("apus-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test func embedWritesANpyFileNumpyReads() throws {
        let apus = try Self.apusBinary(), model = try Self.modelDirectory()
        let directory = try Self.temporaryDirectory()
        let input = directory.appendingPathComponent("texts.jsonl")
        try Data("{\"text\": \"A man is eating food.\"}\n{\"text\": \"\"}\n{\"id\": 7, \"text\": \"Ein Mann isst.\"}\n".utf8).write(to: input)
        let output = directory.appendingPathComponent("vectors.npy")
        let result = try Self.run(apus, ["embed", "--model", model, "--input", input.path, "--output", output.path, "--batch-size", "2"])
        #expect(result.status == 0, "\(result.stderr)")

        let (shape, values) = try NpyFile.read(contentsOf: output)
        #expect(shape == [3, 384])
        for row in 0..<3 {
            let norm = (0..<384).reduce(Float(0)) { $0 + values[row * 384 + $1] * values[row * 384 + $1] }.squareRoot()
            #expect(abs(norm - 1) < 1e-5, "row \(row) norm \(norm)")
        }

        // numpy itself must read the file back with the right shape and dtype.
        let python = ProcessInfo.processInfo.environment["APUS_PYTHON"] ?? "python3"
        let check = try Self.run(URL(fileURLWithPath: "/usr/bin/env"), [python, "-c", """
            import numpy, sys
            a = numpy.load(sys.argv[1])
            print(a.shape, a.dtype, float(abs((a * a).sum(axis=1) - 1).max()) < 1e-5)
            """, output.path])
        #expect(check.status == 0, "python3 with numpy is needed for this check: \(check.stderr)")
        #expect(check.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "(3, 384) float32 True")
    }

    @Test func embedKeepsInputOrderOnStdoutAndMatchesNpy() throws {
        let apus = try Self.apusBinary(), model = try Self.modelDirectory()
        let texts = ["short", "a somewhat longer sentence about cats and dogs playing in the garden", "medium length text"]
        let jsonl = try Self.run(apus, ["embed", "--model", model, "--batch-size", "1"] + texts)
        #expect(jsonl.status == 0, "\(jsonl.stderr)")
        let lines = jsonl.stdout.split(separator: "\n")
        #expect(lines.count == 3)
        let directory = try Self.temporaryDirectory()
        let output = directory.appendingPathComponent("v.npy")
        // Windows line endings on stdin: still one text per line.
        let npy = try Self.run(apus, ["embed", "--model", model, "--output", output.path], stdin: texts.joined(separator: "\r\n") + "\r\n")
        #expect(npy.status == 0, "\(npy.stderr)")
        let (shape, values) = try NpyFile.read(contentsOf: output)
        #expect(shape == [3, 384])
        for (index, line) in lines.enumerated() {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["index"] as? Int == index)
            let embedding = (object?["embedding"] as? [Double])?.map(Float.init) ?? []
            #expect(embedding.count == 384)
            let fromNpy = Array(values[(index * 384)..<((index + 1) * 384)])
            #expect(zip(embedding, fromNpy).allSatisfy { abs($0 - $1) <= 1e-6 }, "text \(index)")
        }
    }

    @Test func tokenizeAndSimilarity() throws {
        let apus = try Self.apusBinary(), model = try Self.modelDirectory()
        let tokens = try Self.run(apus, ["tokenize", "--model", model, "Hello, world!"])
        #expect(tokens.status == 0, "\(tokens.stderr)")
        #expect(tokens.stdout == "{\"ids\": [101,7592,1010,2088,999,102]}\n")

        let corpus = Self.repositoryRoot.appendingPathComponent("examples/corpus.txt").path
        let search = try Self.run(apus, ["similarity", "--model", model, "--json", "--top", "3", "How often should I water a cactus?", corpus])
        #expect(search.status == 0, "\(search.stderr)")
        let first = search.stdout.split(separator: "\n").first.map(String.init) ?? ""
        #expect(first.contains("succulents"), "top result: \(first)")
    }

    @Test func errorsAreMessagesNotCrashes() throws {
        let apus = try Self.apusBinary()
        let missing = try Self.run(apus, ["embed", "--model", "/nonexistent/model", "hi"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("/nonexistent/model"))

        let directory = try Self.temporaryDirectory()
        try Data(#"{"model_type": "bert", "hidden_size": 8}"#.utf8).write(to: directory.appendingPathComponent("config.json"))
        try Data("{}".utf8).write(to: directory.appendingPathComponent("tokenizer.json"))
        let broken = try Self.run(apus, ["embed", "--model", directory.path, "hi"])
        #expect(broken.status != 0)
        #expect(!broken.stderr.isEmpty)

        let badOutput = try Self.run(apus, ["embed", "--model", directory.path, "--output", "x.csv", "hi"])
        #expect(badOutput.status != 0)
        #expect(badOutput.stderr.contains(".npy"))
    }
}
