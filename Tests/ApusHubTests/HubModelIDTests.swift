import Testing
@testable import ApusHub

struct HubModelIDTests {
    @Test func parsesIdsRevisionsAndGGUFFiles() throws {
        let plain = try HubModelID(parsing: "sentence-transformers/all-MiniLM-L6-v2")
        #expect(plain.repository == "sentence-transformers/all-MiniLM-L6-v2")
        #expect(plain.revision == nil && plain.effectiveRevision == "main" && plain.file == nil)

        let pinned = try HubModelID(parsing: "BAAI/bge-small-en-v1.5@v1.0")
        #expect(pinned.repository == "BAAI/bge-small-en-v1.5" && pinned.revision == "v1.0")

        let pullRequest = try HubModelID(parsing: "org/model@refs/pr/3")
        #expect(pullRequest.revision == "refs/pr/3")

        let gguf = try HubModelID(parsing: "org/model-GGUF/sub/model-Q8_0.gguf@0123456789abcdef0123456789abcdef01234567")
        #expect(gguf.repository == "org/model-GGUF" && gguf.file == "sub/model-Q8_0.gguf")
        #expect(HubModelID.isCommitHash(gguf.effectiveRevision))
        #expect(gguf.description == "org/model-GGUF/sub/model-Q8_0.gguf@0123456789abcdef0123456789abcdef01234567")

        #expect(try HubModelID(parsing: "gpt2").repository == "gpt2")
    }

    @Test(arguments: [
        "org/../etc", "../org/name", "org//name", "org/na me", "org/name--x", "org/-name", "org/name.", "org/name.git",
        "org/name/config.json", "org/name@", "org/name@../../../etc", "org/name@refs/../../x", "org/name@/abs",
        "org/name@a\\b", "org/name@a b", "org/name@a%2e%2e", "org/name/../x.gguf", "org/name//x.gguf",
    ])
    func refusesPathCharactersBeforeAnyRequest(_ spec: String) {
        #expect(throws: HubError.self) { try HubModelID(parsing: spec) }
    }

    @Test func tellsPathsFromHubIds() {
        #expect(HubModelID.looksLikeHubID("org/name"))
        #expect(!HubModelID.looksLikeHubID("/models/x"))
        #expect(!HubModelID.looksLikeHubID("./x"))
        #expect(!HubModelID.looksLikeHubID("~/x"))
        #expect(!HubModelID.looksLikeHubID(""))
    }
}
