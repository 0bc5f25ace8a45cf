import FakeHub
import Foundation
import Testing
@testable import ApusHub

/// Downloads against the fake Hub on 127.0.0.1, each test with its own cache and server.
@Suite struct HubDownloadTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")
    static let model = "tiny-org/tiny-bert"

    /// A small sentence-transformers repository: what Apus needs plus the files it must leave alone.
    static func repositoryFiles() throws -> [String: Data] {
        var files = try FakeRepository.files(in: fixtures.appendingPathComponent("tiny-bert-mlm"))
        files["reference.json"] = nil
        files["modules.json"] = Data(#"[{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"}, {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]"#.utf8)
        files["1_Pooling/config.json"] = Data(#"{"word_embedding_dimension": 32, "pooling_mode_mean_tokens": true}"#.utf8)
        files["README.md"] = Data("# tiny".utf8)
        files["pytorch_model.bin"] = Data(repeating: 1, count: 1000)
        files["onnx/model.onnx"] = Data(repeating: 2, count: 1000)
        files["tf_model.h5"] = Data(repeating: 3, count: 1000)
        return files
    }

    struct Setup {
        let hub: FakeHub
        let home: URL
        let repository: FakeRepository

        init(repository: FakeRepository? = nil) throws {
            let repository = try repository ?? FakeRepository(files: HubDownloadTests.repositoryFiles())
            self.repository = repository
            hub = FakeHub(repositories: [HubDownloadTests.model: repository])
            try hub.start()
            home = FileManager.default.temporaryDirectory.appendingPathComponent("apus-hub-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        }

        func resolver(token: String? = nil, offline: Bool = false, endpoint: String? = nil) -> ModelResolver {
            var variables = ["HF_ENDPOINT": endpoint ?? hub.endpoint, "HF_HOME": home.path, "HOME": home.path]
            if let token { variables["HF_TOKEN"] = token }
            if offline { variables["HF_HUB_OFFLINE"] = "1" }
            return ModelResolver(environment: HubEnvironment(environment: variables), progress: nil)
        }

        var cache: HubCache { HubCache(root: home.appendingPathComponent("hub")) }
        var commit: String { repository.refs["main"]! }
    }

    @Test func firstDownloadWritesPythonsLayoutAndTheSecondRunMakesNoRequest() throws {
        let setup = try Setup()
        defer { setup.hub.stop() }
        let files = try Self.repositoryFiles()
        let snapshot = try setup.resolver(token: setup.hub.validToken).resolve(Self.model)
        #expect(snapshot == setup.cache.snapshotFolder(Self.model, commit: setup.commit))
        #expect(snapshot.path.hasSuffix("hub/models--tiny-org--tiny-bert/snapshots/\(setup.commit)"))

        for name in ["config.json", "tokenizer.json", "modules.json", "1_Pooling/config.json", "model.safetensors"] {
            #expect(try Data(contentsOf: snapshot.appendingPathComponent(name)) == files[name], "\(name)")
        }
        for name in ["pytorch_model.bin", "onnx/model.onnx", "tf_model.h5", "README.md"] {
            #expect(!FileManager.default.fileExists(atPath: snapshot.appendingPathComponent(name).path), "\(name) should not be fetched")
        }
        // Relative links into blobs/, the LFS blob named by its sha256.
        let sha = FakeHub.sha256(files["model.safetensors"]!)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: snapshot.appendingPathComponent("model.safetensors").path) == "../../blobs/\(sha)")
        let pooling = try FileManager.default.destinationOfSymbolicLink(atPath: snapshot.appendingPathComponent("1_Pooling/config.json").path)
        #expect(pooling.hasPrefix("../../../blobs/"))
        let repositoryFolder = setup.cache.repositoryFolder(Self.model)
        #expect(try String(contentsOf: repositoryFolder.appendingPathComponent("refs/main"), encoding: .utf8) == setup.commit)
        #expect(FileManager.default.fileExists(atPath: setup.home.appendingPathComponent("hub/.locks/models--tiny-org--tiny-bert/\(sha).lock").path))
        #expect(FileManager.default.fileExists(atPath: setup.home.appendingPathComponent("hub/CACHEDIR.TAG").path))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: repositoryFolder.appendingPathComponent("blobs").path)
        #expect(!leftovers.contains { $0.hasSuffix(".incomplete") })

        // The token goes to the Hub, never to the CDN host the LFS redirect points at.
        let requests = setup.hub.requests
        let cdn = requests.filter { $0.path.hasPrefix("/cdn/") }
        #expect(!cdn.isEmpty && cdn.allSatisfy { $0.headers["authorization"] == nil && $0.headers["host"]?.hasPrefix("localhost") == true },
                "requests: \(requests.map { "\($0.method) \($0.path) host=\($0.headers["host"] ?? "-")" })")
        #expect(requests.filter { !$0.path.hasPrefix("/cdn/") }.allSatisfy { $0.headers["authorization"] == "Bearer \(setup.hub.validToken)" })

        setup.hub.clearLog()
        #expect(try setup.resolver().resolve(Self.model) == snapshot)
        #expect(setup.hub.requests.isEmpty, "a cached model must not touch the network: \(setup.hub.requests.map(\.path))")
    }

    @Test func branchesAndTagsPinToTheirCommit() throws {
        var repository = try FakeRepository(files: Self.repositoryFiles())
        let old = FakeRepository.commitHash("v1")
        var oldFiles = repository.commits[repository.refs["main"]!]!
        oldFiles["config.json"] = Data(#"{"model_type": "bert", "note": "v1"}"#.utf8)
        repository.commits[old] = oldFiles
        repository.refs["v1"] = old
        let setup = try Setup(repository: repository)
        defer { setup.hub.stop() }

        let tagged = try setup.resolver().resolve("\(Self.model)@v1")
        #expect(tagged.lastPathComponent == old)
        #expect(try Data(contentsOf: tagged.appendingPathComponent("config.json")) == oldFiles["config.json"])
        #expect(try String(contentsOf: setup.cache.repositoryFolder(Self.model).appendingPathComponent("refs/v1"), encoding: .utf8) == old)

        let byCommit = try setup.resolver().resolve("\(Self.model)@\(setup.commit)")
        #expect(byCommit.lastPathComponent == setup.commit)
        #expect(!FileManager.default.fileExists(atPath: setup.cache.repositoryFolder(Self.model).appendingPathComponent("refs/\(setup.commit)").path))
        // Both snapshots share the unchanged blobs: five files of main, and v1's own config.json.
        let blobs = try FileManager.default.contentsOfDirectory(atPath: setup.cache.repositoryFolder(Self.model).appendingPathComponent("blobs").path)
        #expect(blobs.count == 6, "\(blobs)")

        setup.hub.clearLog()
        #expect(try setup.resolver().resolve("\(Self.model)@v1") == tagged)
        #expect(setup.hub.requests.isEmpty)

        #expect(throws: HubError.revisionNotFound(model: "\(Self.model)@nope", revision: "nope")) {
            try setup.resolver().resolve("\(Self.model)@nope")
        }
    }

    @Test func resumesAfterAConnectionCutAndFromAnEarlierRunsIncompleteFile() throws {
        let setup = try Setup()
        defer { setup.hub.stop() }
        let weights = try Self.repositoryFiles()["model.safetensors"]!
        setup.hub.cutConnection(serving: "model.safetensors", after: 30_000)
        let snapshot = try setup.resolver().resolve(Self.model)
        #expect(try Data(contentsOf: snapshot.appendingPathComponent("model.safetensors")) == weights)
        let gets = setup.hub.requests.filter { $0.method == "GET" && $0.path.hasPrefix("/cdn/") && $0.path.contains("model.safetensors") }
        #expect(gets.count == 2)
        #expect(gets.first?.headers["range"] == nil)
        #expect(gets.last?.headers["range"] == "bytes=30000-")

        // A new cache where an earlier run left 20,000 bytes in blobs/{etag}.incomplete.
        let second = try Setup()
        defer { second.hub.stop() }
        let sha = FakeHub.sha256(weights)
        let blobs = second.cache.repositoryFolder(Self.model).appendingPathComponent("blobs")
        try FileManager.default.createDirectory(at: blobs, withIntermediateDirectories: true)
        try weights.prefix(20_000).write(to: blobs.appendingPathComponent(sha + ".incomplete"))
        let resumed = try second.resolver().resolve(Self.model)
        #expect(try Data(contentsOf: resumed.appendingPathComponent("model.safetensors")) == weights)
        let resumedGets = second.hub.requests.filter { $0.method == "GET" && $0.path.hasPrefix("/cdn/") && $0.path.contains("model.safetensors") }
        #expect(resumedGets.map { $0.headers["range"] } == ["bytes=20000-"])
    }

    @Test func aCorruptLFSFileIsRejectedAndRemoved() throws {
        let setup = try Setup()
        defer { setup.hub.stop() }
        setup.hub.corrupt("model.safetensors")
        do {
            _ = try setup.resolver().resolve(Self.model)
            Issue.record("a file whose sha256 differs from its ETag was accepted")
        } catch let error as HubError {
            #expect(error.description.contains("sha256") && error.description.contains(Self.model), "\(error)")
        }
        let blobs = try FileManager.default.contentsOfDirectory(atPath: setup.cache.repositoryFolder(Self.model).appendingPathComponent("blobs").path)
        let sha = FakeHub.sha256(try Self.repositoryFiles()["model.safetensors"]!)
        #expect(!blobs.contains(sha) && !blobs.contains(sha + ".incomplete"))
        #expect(!FileManager.default.fileExists(atPath: setup.cache.snapshotFolder(Self.model, commit: setup.commit).appendingPathComponent("model.safetensors").path))
        // Not complete, so not served from the cache offline either.
        #expect(throws: HubError.self) { try setup.resolver(offline: true).resolve(Self.model) }
    }

    @Test func gatedAndMissingModelsSayWhatToDo() throws {
        var gated = try FakeRepository(files: Self.repositoryFiles())
        gated.gated = true
        let setup = try Setup(repository: gated)
        defer { setup.hub.stop() }

        let noToken = #expect(throws: HubError.self) { try setup.resolver().resolve(Self.model) }
        #expect(noToken.map { if case .accessDenied(_, 401, _, false) = $0 { true } else { false } } == true, "\(String(describing: noToken))")
        #expect(noToken?.description.contains(Self.model) == true && noToken?.description.contains("HF_TOKEN") == true)
        #expect(noToken?.description.contains("restricted") == true, "the Hub's X-Error-Message is shown")

        let wrongToken = #expect(throws: HubError.self) { try setup.resolver(token: "hf_wrong").resolve(Self.model) }
        #expect(wrongToken.map { if case .accessDenied(_, 403, _, true) = $0 { true } else { false } } == true)

        // The token file under HF_HOME works like HF_TOKEN.
        try Data((setup.hub.validToken + "\n").utf8).write(to: setup.home.appendingPathComponent("token"))
        #expect(try setup.resolver().resolve(Self.model).lastPathComponent == setup.commit)

        let missing = #expect(throws: HubError.self) { try setup.resolver().resolve("tiny-org/no-such-model") }
        #expect(missing == .repositoryNotFound(model: "tiny-org/no-such-model", endpoint: setup.hub.endpoint, hasToken: true))
        #expect(missing?.description.contains("tiny-org/no-such-model") == true)
    }

    @Test func offlineUsesTheCacheOnlyAndNamesWhatIsMissing() throws {
        let setup = try Setup()
        defer { setup.hub.stop() }
        let miss = #expect(throws: HubError.self) { try setup.resolver(offline: true).resolve(Self.model) }
        #expect(miss?.description.contains("HF_HUB_OFFLINE") == true && miss?.description.contains(Self.model) == true, "\(String(describing: miss))")
        #expect(miss?.description.contains("models--tiny-org--tiny-bert") == true)
        #expect(setup.hub.requests.isEmpty)

        let online = try setup.resolver().resolve(Self.model)
        setup.hub.clearLog()
        #expect(try setup.resolver(offline: true).resolve(Self.model) == online)
        let otherRevision = #expect(throws: HubError.self) { try setup.resolver(offline: true).resolve("\(Self.model)@v2") }
        #expect(otherRevision?.description.contains("refs/v2") == true)
        #expect(setup.hub.requests.isEmpty)
    }

    @Test func twoConcurrentDownloadsFetchEachBlobOnce() throws {
        let setup = try Setup()
        defer { setup.hub.stop() }
        setup.hub.pausePerPiece = 0.05
        let results = ResultBox()
        let group = DispatchGroup()
        for _ in 0..<2 {
            DispatchQueue.global().async(group: group) {
                do { results.append(.success(try setup.resolver().resolve(Self.model))) } catch { results.append(.failure(error)) }
            }
        }
        group.wait()
        let urls = try results.values.map { try $0.get() }
        #expect(urls.count == 2 && urls[0] == urls[1])
        let weights = try Self.repositoryFiles()["model.safetensors"]!
        #expect(try Data(contentsOf: urls[0].appendingPathComponent("model.safetensors")) == weights)
        let weightGets = setup.hub.requests.filter { $0.method == "GET" && $0.path.hasPrefix("/cdn/") && $0.path.contains("model.safetensors") }
        #expect(weightGets.count == 1, "the lock should let one process download and the other reuse the blob")
    }

    @Test func hostileFileNamesInAListingAreRefused() throws {
        for name in ["../evil.json", "/etc/evil.json", "1_Pooling/../../evil.json", "a\\..\\evil.json"] {
            var repository = try FakeRepository(files: Self.repositoryFiles())
            repository.extraListedNames = [name]
            let setup = try Setup(repository: repository)
            defer { setup.hub.stop() }
            let error = #expect(throws: HubError.self) { try setup.resolver().resolve(Self.model) }
            #expect(error.map { if case .unsafeFileName = $0 { true } else { false } } == true, "\(name): \(String(describing: error))")
            #expect(setup.hub.requests.allSatisfy { !$0.path.contains("/resolve/") }, "nothing is fetched from a listing with \(name)")
            #expect(!FileManager.default.fileExists(atPath: setup.home.appendingPathComponent("evil.json").path))
        }
    }

    @Test func badIdsAreRefusedBeforeAnyRequest() throws {
        let setup = try Setup()
        defer { setup.hub.stop() }
        for spec in ["tiny-org/tiny-bert@../../x", "tiny-org/tiny-bert@refs/../../x", "tiny-org/../tiny-bert", "tiny-org/tiny-bert/config.json"] {
            #expect(throws: HubError.self, "\(spec)") { try setup.resolver().resolve(spec) }
        }
        #expect(setup.hub.requests.isEmpty)
        #expect(throws: HubError.localPathNotFound(path: "/no/such/model")) { try setup.resolver().resolve("/no/such/model") }
    }

    @Test func aRefusedConnectionNamesTheModelAndTheWayOut() throws {
        let setup = try Setup()
        setup.hub.stop()
        let closed = setup.hub.endpoint
        let error = #expect(throws: HubError.self) { try setup.resolver(endpoint: closed).resolve(Self.model) }
        #expect(error.map { if case .connectionFailed = $0 { true } else { false } } == true, "\(String(describing: error))")
        #expect(error?.description.contains(Self.model) == true && error?.description.contains("HF_HUB_OFFLINE") == true)
    }

    @Test func shardedWeightsAndGGUFFiles() throws {
        let shard = Data(repeating: 7, count: 5000), other = Data(repeating: 9, count: 3000)
        let index = Data(#"{"metadata": {}, "weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors", "c": "model-00001-of-00002.safetensors"}}"#.utf8)
        let sharded = FakeRepository(files: ["config.json": Data("{}".utf8), "model.safetensors.index.json": index,
                                             "model-00001-of-00002.safetensors": shard, "model-00002-of-00002.safetensors": other,
                                             "pytorch_model.bin": Data(repeating: 1, count: 10)])
        let setup = try Setup(repository: sharded)
        defer { setup.hub.stop() }
        let snapshot = try setup.resolver().resolve(Self.model)
        #expect(try Data(contentsOf: snapshot.appendingPathComponent("model-00002-of-00002.safetensors")) == other)
        #expect(!FileManager.default.fileExists(atPath: snapshot.appendingPathComponent("pytorch_model.bin").path))
        setup.hub.clearLog()
        #expect(try setup.resolver().resolve(Self.model) == snapshot)
        #expect(setup.hub.requests.isEmpty)

        let gguf = Data(repeating: 4, count: 4000)
        setup.hub.setRepository("tiny-org/tiny-gguf", FakeRepository(files: ["model-Q8_0.gguf": gguf, "model-Q4_0.gguf": Data(repeating: 5, count: 2000), "README.md": Data()]))
        let file = try setup.resolver().resolve("tiny-org/tiny-gguf/model-Q8_0.gguf")
        #expect(file.lastPathComponent == "model-Q8_0.gguf")
        #expect(try Data(contentsOf: file) == gguf)
        let several = #expect(throws: HubError.self) { try setup.resolver().resolve("tiny-org/tiny-gguf") }
        #expect(several?.description.contains("tiny-org/tiny-gguf/model-Q4_0.gguf") == true, "\(String(describing: several))")
        let absent = #expect(throws: HubError.self) { try setup.resolver().resolve("tiny-org/tiny-gguf/model-F16.gguf") }
        #expect(absent?.description.contains("model-Q8_0.gguf") == true)
    }
}

extension HubDownloadTests {
    /// Older sentence-transformers models keep the transformer in a module folder (0_Transformer/).
    @Test func aTransformerInAModuleFolderIsFetchedAndFoundInTheCache() throws {
        let modules = #"[{"idx": 0, "name": "0", "path": "0_Transformer", "type": "sentence_transformers.models.Transformer"}, {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]"#
        let weights = Data(repeating: 3, count: 2000)
        let setup = try Setup(repository: FakeRepository(files: [
            "modules.json": Data(modules.utf8), "0_Transformer/config.json": Data("{}".utf8),
            "0_Transformer/tokenizer.json": Data("{}".utf8), "0_Transformer/model.safetensors": weights,
            "0_Transformer/pytorch_model.bin": Data(repeating: 1, count: 10), "1_Pooling/config.json": Data("{}".utf8),
        ]))
        defer { setup.hub.stop() }
        let snapshot = try setup.resolver().resolve(Self.model)
        #expect(try Data(contentsOf: snapshot.appendingPathComponent("0_Transformer/model.safetensors")) == weights)
        #expect(FileManager.default.fileExists(atPath: snapshot.appendingPathComponent("0_Transformer/tokenizer.json").path))
        #expect(!FileManager.default.fileExists(atPath: snapshot.appendingPathComponent("0_Transformer/pytorch_model.bin").path))
        setup.hub.clearLog()
        #expect(try setup.resolver().resolve(Self.model) == snapshot)
        #expect(setup.hub.requests.isEmpty)
    }
}

/// Results collected from several threads.
final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Result<URL, Error>] = []
    func append(_ result: Result<URL, Error>) { lock.lock(); stored.append(result); lock.unlock() }
    var values: [Result<URL, Error>] { lock.lock(); defer { lock.unlock() }; return stored }
}

/// Writing the cache fails the way a full disk does.
@Suite struct HubDiskFullTests {
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/dev/full"), "needs /dev/full (Linux)"))
    func aFullDiskNamesTheModelAndThePath() throws {
        let setup = try HubDownloadTests.Setup()
        defer { setup.hub.stop() }
        // blobs/{etag}.incomplete pointing at /dev/full: every write fails with ENOSPC.
        let weights = try HubDownloadTests.repositoryFiles()["model.safetensors"]!
        let blobs = setup.cache.repositoryFolder(HubDownloadTests.model).appendingPathComponent("blobs")
        try FileManager.default.createDirectory(at: blobs, withIntermediateDirectories: true)
        let incomplete = blobs.appendingPathComponent(FakeHub.sha256(weights) + ".incomplete")
        try FileManager.default.createSymbolicLink(atPath: incomplete.path, withDestinationPath: "/dev/full")
        let error = #expect(throws: HubError.self) { try setup.resolver().resolve(HubDownloadTests.model) }
        #expect(error.map { if case .cacheWriteFailed = $0 { true } else { false } } == true, "\(String(describing: error))")
        let message = error?.description ?? ""
        #expect(message.contains(HubDownloadTests.model) && message.contains(incomplete.lastPathComponent)
                && message.contains("No space left on device") && message.contains("HF_HOME"), "\(message)")
    }
}
