import Foundation
import Testing
@testable import ApusHub

/// Reads a cache that Python's huggingface_hub wrote (Tests/Fixtures/hub-cache, made by
/// scripts/check_hub_cache_interop.py --write-fixture), offline, as a user who downloaded a model in Python would.
struct PythonCacheTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")
    static let cache = fixtures.appendingPathComponent("hub-cache")
    // Commits of the script's tiny repository: sha1("main") and sha1("v1").
    static let mainCommit = "b28b7af69320201d1cf206ebf28373980add1451"
    static let v1Commit = "5a6df720540c20d95d530d3fd6885511223d5d20"

    static func resolver() -> ModelResolver {
        ModelResolver(environment: HubEnvironment(environment: ["HF_HUB_CACHE": cache.path, "HF_HUB_OFFLINE": "1",
                                                                "HF_ENDPOINT": "http://127.0.0.1:9"]), progress: nil)
    }

    @Test func findsPythonsSnapshotsByBranchTagAndCommit() throws {
        let main = try Self.resolver().resolve("tiny-org/tiny-bert")
        #expect(main.lastPathComponent == Self.mainCommit)
        let config = try Data(contentsOf: main.appendingPathComponent("config.json"))
        #expect(config == (try Data(contentsOf: Self.fixtures.appendingPathComponent("tiny-bert-mlm/config.json"))))
        #expect(FileManager.default.fileExists(atPath: main.appendingPathComponent("1_Pooling/config.json").path))

        let tagged = try Self.resolver().resolve("tiny-org/tiny-bert@v1")
        #expect(tagged.lastPathComponent == Self.v1Commit)
        #expect(String(decoding: try Data(contentsOf: tagged.appendingPathComponent("config.json")), as: UTF8.self).contains("gelu_new"))
        #expect(try Self.resolver().resolve("tiny-org/tiny-bert@\(Self.v1Commit)") == tagged)
    }

    @Test func namesWhatIsMissingOffline() throws {
        let error = #expect(throws: HubError.self) { try Self.resolver().resolve("tiny-org/tiny-bert@v2") }
        #expect(error?.description.contains("refs/v2") == true)
        let other = #expect(throws: HubError.self) { try Self.resolver().resolve("tiny-org/other") }
        #expect(other?.description.contains("models--tiny-org--other") == true)
    }
}
