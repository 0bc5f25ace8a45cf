import FakeHub
import Foundation
import Testing

/// `apus` given Hub ids, against the fake Hub in this process serving the real all-MiniLM-L6-v2 files
/// (plus files a real repository has that Apus must not fetch), with a fresh HF_HOME.
@Suite(.serialized)
struct HubModelCommandTests {
    static let modelID = "sentence-transformers/all-MiniLM-L6-v2"

    /// Runs `apus` with `environment` added to (and HF_* variables of the caller removed from) this process's.
    static func run(_ arguments: [String], environment: [String: String]) throws -> EmbedCommandTests.Output {
        let process = Process()
        process.executableURL = try EmbedCommandTests.apusBinary()
        process.arguments = arguments
        var variables = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("HF_") && $0.key != "HUGGING_FACE_HUB_TOKEN" }
        variables.merge(environment) { $1 }
        process.environment = variables
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        let stderrData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return .init(status: process.terminationStatus, stdout: String(decoding: stdoutData, as: UTF8.self),
                     stderr: String(decoding: stderrData, as: UTF8.self))
    }

    @Test func embedDownloadsAHubModelOnceThenRunsFromTheCache() throws {
        let local = try EmbedCommandTests.modelDirectory()
        var files = try FakeRepository.files(in: URL(fileURLWithPath: local))
        files["onnx/model.onnx"] = Data(repeating: 1, count: 4096)
        files["pytorch_model.bin"] = Data(repeating: 2, count: 4096)
        let hub = FakeHub(repositories: [Self.modelID: FakeRepository(files: files)])
        try hub.start()
        defer { hub.stop() }
        let home = try EmbedCommandTests.temporaryDirectory()
        let environment = ["HF_ENDPOINT": hub.endpoint, "HF_HOME": home.path]

        let fromHub = try Self.run(["embed", "--model", Self.modelID, "hello"], environment: environment)
        #expect(fromHub.status == 0, "\(fromHub.stderr)")
        #expect(fromHub.stderr.contains("apus: downloading model.safetensors"), "plain progress lines when stderr is not a terminal: \(fromHub.stderr)")
        let fromFolder = try EmbedCommandTests.run(EmbedCommandTests.apusBinary(), ["embed", "--model", local, "hello"])
        #expect(fromFolder.status == 0, "\(fromFolder.stderr)")
        #expect(!fromHub.stdout.isEmpty && fromHub.stdout == fromFolder.stdout, "the Hub copy embeds exactly like the local folder")
        #expect(!hub.requests.contains { $0.path.contains("onnx") || $0.path.contains("pytorch_model.bin") })

        hub.clearLog()
        let offline = try Self.run(["tokenize", "--model", Self.modelID, "Hello, world!"], environment: environment.merging(["HF_HUB_OFFLINE": "1"]) { $1 })
        #expect(offline.status == 0, "\(offline.stderr)")
        #expect(offline.stdout == "{\"ids\": [101,7592,1010,2088,999,102]}\n")
        #expect(offline.stderr.isEmpty)
        let cached = try Self.run(["embed", "--model", Self.modelID, "hello"], environment: environment)
        #expect(cached.stdout == fromFolder.stdout)
        #expect(hub.requests.isEmpty, "a cached model makes no request: \(hub.requests.map(\.path))")

        let missing = try Self.run(["embed", "--model", "sentence-transformers/no-such-model", "hi"], environment: environment)
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("sentence-transformers/no-such-model") && missing.stderr.contains("no such model"), "\(missing.stderr)")
        let offlineMiss = try Self.run(["embed", "--model", "sentence-transformers/other", "hi"], environment: environment.merging(["HF_HUB_OFFLINE": "1"]) { $1 })
        #expect(offlineMiss.status != 0 && offlineMiss.stderr.contains("HF_HUB_OFFLINE"), "\(offlineMiss.stderr)")
    }
}
