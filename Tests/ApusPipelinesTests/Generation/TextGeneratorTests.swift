import ApusTokenizers
import Foundation
import Testing
@testable import ApusPipelines

/// TextGenerator end to end on a tiny chat model in Hub layout (scripts/make_tiny_generation_fixtures.py): a
/// byte-level BPE tokenizer, generation_config.json's EOS ids, a ChatML template, and transformers' greedy
/// `generate` as the reference.
struct TextGeneratorTests {
    struct Reference: Decodable {
        struct Message: Decodable { let role: String; let content: String }
        struct Case: Decodable {
            let text: String?
            let messages: [Message]?
            let promptIds: [Int]
            let newIds: [Int]
            let continuation: String
            let stoppedByEOS: Bool
            let stopString: String?
            let textBeforeStop: String?
            enum CodingKeys: String, CodingKey {
                case text, messages, promptIds = "prompt_ids", newIds = "new_ids", continuation, stoppedByEOS = "stopped_by_eos"
                case stopString = "stop_string", textBeforeStop = "text_before_stop"
            }

            var prompt: GenerationPrompt {
                if let messages { return .chat(messages.map { ChatMessage(role: $0.role, content: .string($0.content)) }) }
                return .text(text ?? "")
            }
        }
        let maxNewTokens: Int
        let eosTokenIds: [Int]
        let cases: [Case]
        enum CodingKeys: String, CodingKey { case maxNewTokens = "max_new_tokens", eosTokenIds = "eos_token_ids", cases }
    }

    static let directory = TestResources.repositoryRoot.appendingPathComponent("Tests/Fixtures/tiny-generation")

    static func reference() throws -> Reference {
        try JSONDecoder().decode(Reference.self, from: Data(contentsOf: directory.appendingPathComponent("reference.json")))
    }

    @Test func greedyGenerationMatchesTransformers() throws {
        let reference = try Self.reference()
        let generator = try TextGenerator(modelDirectory: Self.directory, threads: 2)
        #expect(generator.generationConfig.eosTokenIds == reference.eosTokenIds)
        #expect(reference.cases.contains(where: \.stoppedByEOS) && reference.cases.contains { !$0.stoppedByEOS })
        for item in reference.cases {
            #expect(try generator.promptTokens(item.prompt) == item.promptIds, "\(item.text ?? "chat")")
            var streamed = ""
            let result = try generator.generate(item.prompt, options: GenerationOptions(maxNewTokens: reference.maxNewTokens)) {
                streamed += $0
            }
            #expect(result.tokenIds == item.newIds, "\(item.text ?? "chat")")
            #expect(result.text == item.continuation, "\(item.text ?? "chat")")
            #expect(streamed == result.text, "pieces add up to the text")
            if item.stoppedByEOS {
                #expect(result.stopReason == .endOfSequence(tokenId: item.newIds.last ?? -1))
            } else {
                #expect(result.stopReason == .maximumLength)
            }
            #expect(result.promptTokenIds == item.promptIds)
            #expect(result.cacheBytes > 0)
        }
    }

    @Test func stopStringsCutTheOutputBeforeThem() throws {
        let reference = try Self.reference()
        let generator = try TextGenerator(modelDirectory: Self.directory, threads: 1)
        var checked = 0
        for item in reference.cases {
            guard let stop = item.stopString, let before = item.textBeforeStop else { continue }
            var streamed = ""
            let result = try generator.generate(item.prompt, options: GenerationOptions(maxNewTokens: reference.maxNewTokens,
                                                                                        stopStrings: [stop])) { streamed += $0 }
            #expect(result.text == before, "\(stop)")
            #expect(streamed == before)
            #expect(result.stopReason == .stopString(stop))
            checked += 1
        }
        #expect(checked >= 2)
    }

    @Test func asyncStreamGivesTheSameText() async throws {
        let reference = try Self.reference()
        let generator = try TextGenerator(modelDirectory: Self.directory, threads: 1)
        let item = try #require(reference.cases.first)
        var text = ""
        for try await piece in generator.stream(item.prompt, options: GenerationOptions(maxNewTokens: reference.maxNewTokens)) {
            text += piece
        }
        #expect(text == item.continuation)
    }

    @Test func samplingIsReproducibleFromItsSeed() throws {
        let generator = try TextGenerator(modelDirectory: Self.directory, threads: 1)
        func sample(_ seed: UInt64) throws -> [Int] {
            try generator.generate(.text("The quick brown fox"), options: GenerationOptions(
                maxNewTokens: 16, temperature: 1.5, topK: 50, topP: 0.95, seed: seed)).tokenIds
        }
        let first = try sample(1)
        #expect(try sample(1) == first)
        // Sixteen draws at temperature 1.5 from a random model: another seed gives another sequence.
        #expect(try (2...4).map(sample).contains { $0 != first })
        let greedy = try generator.generate(.text("The quick brown fox"), options: GenerationOptions(maxNewTokens: 16, temperature: 0))
        #expect(greedy.tokenIds == (try Self.reference().cases[0].newIds.prefix(16)).map { $0 })
    }

    @Test func aBrokenChatTemplateIsReportedOnChatPromptsOnly() throws {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("apus-broken-template-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: Self.directory, to: copy)
        defer { try? FileManager.default.removeItem(at: copy) }
        try Data("{% frobnicate %}".utf8).write(to: copy.appendingPathComponent("chat_template.jinja"))
        let generator = try TextGenerator(modelDirectory: copy, threads: 1)
        #expect(generator.chatTemplate == nil)
        #expect(generator.chatTemplateProblem != nil)
        #expect(throws: ChatTemplateError.self) { try generator.promptTokens(.chat([.user("hi")])) }
        #expect(try generator.generate(.text("The quick brown fox"), options: GenerationOptions(maxNewTokens: 4)).tokenIds.count == 4)

        // Without any template, a chat prompt says so.
        try FileManager.default.removeItem(at: copy.appendingPathComponent("chat_template.jinja"))
        let plain = try TextGenerator(modelDirectory: copy, threads: 1)
        #expect(plain.chatTemplate == nil && plain.chatTemplateProblem == nil)
        #expect(throws: PipelineError.self) { try plain.promptTokens(.chat([.user("hi")])) }
    }

    @Test func misuseIsAnErrorNotACrash() throws {
        let generator = try TextGenerator(modelDirectory: Self.directory, threads: 1)
        #expect(throws: PipelineError.self) { try generator.generate(.text("")) }
        #expect(throws: (any Error).self) { try generator.generate(.tokens([100_000])) }
        let tooLong = [Int](repeating: 5, count: 256)
        #expect(throws: PipelineError.self) { try generator.generate(.tokens(tooLong)) }
        #expect(throws: (any Error).self) { try generator.generate(.text("hi"), options: GenerationOptions(temperature: 1, topP: 2)) }
    }
}
