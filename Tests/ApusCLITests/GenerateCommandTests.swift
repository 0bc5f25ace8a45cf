import Foundation
import Testing

/// Runs `apus generate` and `apus chat` on the tiny chat model (scripts/make_tiny_generation_fixtures.py) like a
/// user would: the streamed continuation equals transformers' greedy text, JSONL batches, and errors.
@Suite(.serialized)
struct GenerateCommandTests {
    typealias CLI = EmbedCommandTests

    static let model = CLI.repositoryRoot.appendingPathComponent("Tests/Fixtures/tiny-generation").path

    struct Reference: Decodable {
        struct Case: Decodable {
            let text: String?
            let continuation: String
        }
        let maxNewTokens: Int
        let cases: [Case]
        enum CodingKeys: String, CodingKey { case maxNewTokens = "max_new_tokens", cases }
    }

    static func reference() throws -> Reference {
        try JSONDecoder().decode(Reference.self, from: Data(contentsOf: URL(fileURLWithPath: model + "/reference.json")))
    }

    struct Line: Decodable {
        let index: Int
        let text: String
        let generatedTokens: Int
        let stopReason: String
        enum CodingKeys: String, CodingKey { case index, text, generatedTokens = "generated_tokens", stopReason = "stop_reason" }
    }

    @Test func streamsTheGreedyContinuation() throws {
        let apus = try CLI.apusBinary()
        let reference = try Self.reference()
        let completions = reference.cases.filter { $0.text != nil }
        #expect(!completions.isEmpty)
        for item in completions {
            let result = try CLI.run(apus, ["generate", "--model", Self.model, "--max-new-tokens", "\(reference.maxNewTokens)",
                                            "--stats", item.text ?? ""])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout == item.continuation, "\(item.text ?? "")")
            #expect(result.stderr.contains("tok/s"), "--stats goes to stderr")
        }
    }

    @Test func jsonLinesBatchInInputOrder() throws {
        let apus = try CLI.apusBinary()
        let reference = try Self.reference()
        let completions = reference.cases.filter { $0.text != nil }
        let directory = try CLI.temporaryDirectory()
        let input = directory.appendingPathComponent("prompts.jsonl")
        // CRLF line ends and a blank line: neither becomes a prompt of its own.
        let lines = completions.map { "{\"prompt\": \(ClassifyCommandTests.quoted($0.text ?? ""))}" }
        try Data((lines.joined(separator: "\r\n\r\n") + "\r\n").utf8).write(to: input)
        let result = try CLI.run(apus, ["generate", "--model", Self.model, "--max-new-tokens", "\(reference.maxNewTokens)",
                                        "--input", input.path])
        #expect(result.status == 0, "\(result.stderr)")
        let output = try result.stdout.split(separator: "\n").map { try JSONDecoder().decode(Line.self, from: Data($0.utf8)) }
        #expect(output.map(\.index) == Array(completions.indices))
        #expect(output.map(\.text) == completions.map(\.continuation))
        #expect(output.allSatisfy { ["eos", "length"].contains($0.stopReason) && $0.generatedTokens > 0 })
    }

    @Test func chatKeepsHistoryAndErrorsAreMessages() throws {
        let apus = try CLI.apusBinary()
        let chat = try CLI.run(apus, ["chat", "--model", Self.model, "--max-new-tokens", "4"], stdin: "Hello\n/reset\nAgain\n")
        #expect(chat.status == 0, "\(chat.stderr)")
        #expect(chat.stdout.split(separator: "\n", omittingEmptySubsequences: false).count == 3, "one reply line per message")

        let noPrompt = try CLI.run(apus, ["generate", "--model", Self.model])
        #expect(noPrompt.status != 0)
        let encoder = CLI.repositoryRoot.appendingPathComponent("Tests/Fixtures/tiny-bert-gelu").path
        let notADecoder = try CLI.run(apus, ["generate", "--model", encoder, "hi"])
        #expect(notADecoder.status != 0)
        #expect(notADecoder.stderr.contains("bert"), "\(notADecoder.stderr)")
    }
}
