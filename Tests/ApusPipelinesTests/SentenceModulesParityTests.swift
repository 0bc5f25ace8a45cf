import ApusTensor
import Foundation
import Testing
@testable import ApusPipelines

/// A sentence-transformers 6.x stack beyond Transformer → Pooling → Normalize — a Dense module, prompts with
/// `include_prompt: false`, Matryoshka truncation — against `SentenceTransformer.encode`
/// (scripts/make_st_modules_fixtures.py). The fixture holds the module files; the transformer is the real
/// all-MiniLM-L6-v2, linked into a temporary model directory as the script assembled it.
struct SentenceModulesParityTests {
    struct Reference: Decodable {
        struct Case: Decodable { let name: String; let embeddings: [[Float]] }
        let texts: [String]
        let cases: [Case]
    }

    static let fixture = TestResources.repositoryRoot.appendingPathComponent("Tests/Fixtures/st-modules")

    /// The fixture's module files plus MiniLM's transformer files, in one temporary directory.
    static func assembledModel() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("apus-st-modules-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: fixture.path) where name != "reference.json" {
            try FileManager.default.copyItem(at: fixture.appendingPathComponent(name), to: directory.appendingPathComponent(name))
        }
        let minilm = try TestResources.minilmDirectory()
        for name in ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"] {
            try FileManager.default.createSymbolicLink(at: directory.appendingPathComponent(name),
                                                       withDestinationURL: minilm.appendingPathComponent(name))
        }
        return directory
    }

    @Test func denseModulePromptsAndTruncationMatchSentenceTransformers() throws {
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: Self.fixture.appendingPathComponent("reference.json")))
        let directory = try Self.assembledModel()
        defer { try? FileManager.default.removeItem(at: directory) }
        let embedder = try SentenceEmbedder(modelDirectory: directory, threads: 2)
        #expect(embedder.dimension == 64)
        #expect(embedder.modules.prompts["query"] == "query: ")
        #expect(embedder.pooling.includePrompt == false)

        for testCase in reference.cases {
            let vectors: [[Float]]
            switch testCase.name {
            case "plain": vectors = try embedder.embed(reference.texts)
            case "query": vectors = try embedder.embed(reference.texts, promptName: "query")
            case "matryoshka": vectors = try embedder.embed(reference.texts, dimensions: 32)
            default: Issue.record("unknown case \(testCase.name)"); continue
            }
            #expect(vectors.count == testCase.embeddings.count)
            for (index, (actual, expected)) in zip(vectors, testCase.embeddings).enumerated() {
                #expect(actual.count == expected.count, "\(testCase.name) text \(index)")
                let difference = maxAbsoluteDifference(actual, expected)
                #expect(difference <= Tolerance.embeddingComponent, "\(testCase.name) text \(index): max |Δ| \(difference)")
            }
        }
        // The prompt really is left out of the mean: pooling it in gives another vector.
        let withPrompt = try embedder.embed(["A man is eating food."], prompt: "query: ")[0]
        let plain = try embedder.embed(["A man is eating food."])[0]
        #expect(maxAbsoluteDifference(withPrompt, plain) > 1e-3)
    }

    @Test func argumentErrorsNameTheProblem() throws {
        let directory = try Self.assembledModel()
        defer { try? FileManager.default.removeItem(at: directory) }
        let embedder = try SentenceEmbedder(modelDirectory: directory, threads: 1)
        #expect(throws: PipelineError.self) { try embedder.embed(["x"], promptName: "question") }
        #expect(throws: PipelineError.self) { try embedder.embed(["x"], dimensions: 65) }
        #expect(throws: PipelineError.self) { try embedder.embed(["x"], prompt: "a", promptName: "query") }
        do {
            _ = try embedder.embed(["x"], promptName: "question")
        } catch {
            #expect("\(error)".contains("passage") && "\(error)".contains("question"), "\(error)")
        }
    }
}
