import Foundation
import Testing
@testable import ApusTokenizers

/// Real chat templates (Llama 3/3.1/3.2, Qwen 2.5/3, SmolLM2, Mistral v0.1/v0.3, Gemma 3, ChatML, Zephyr, GPT-2)
/// rendered against transformers' `render_jinja_template` (scripts/make_chat_template_fixtures.py): exact text,
/// or the same kind of error where the template rejects the conversation.
@Suite struct ChatTemplateRenderTests {
    /// 2024-07-26 12:00 UTC, the instant the fixture script gives strftime_now.
    static let fixtureNow = Date(timeIntervalSince1970: 1_721_995_200)

    @Test func everyTemplateAndConversationMatchesTransformers() throws {
        let document = try ChatTemplateFixtures.document("renders.json")
        let conversations = try #require(document["conversations"])
        let specialTokens = try #require(document["special_tokens"])
        var templates: [String: ChatTemplate] = [:]
        let cases = try #require(document["cases"]).arrayValue
        #expect(cases.count > 150)
        var checked = 0
        for testCase in cases {
            let name = try #require(testCase["template"]?.stringValue)
            let conversationName = try #require(testCase["conversation"]?.stringValue)
            let label = "\(name) / \(conversationName) / generation prompt \(testCase["add_generation_prompt"].map { "\($0)" } ?? "?")"
            if templates[name] == nil {
                var tokens: [String: String] = [:]
                for member in specialTokens[name]?.objectMembers ?? [] { tokens[member.key] = member.value.stringValue }
                let now = Self.fixtureNow
                templates[name] = try ChatTemplate(source: try ChatTemplateFixtures.templateSource(name), specialTokens: tokens, now: { now })
            }
            let template = try #require(templates[name])
            let conversation = try #require(conversations[conversationName])
            let messages = try conversation["messages"].map { try $0.arrayValue.map(Self.message) } ?? []
            let tools = conversation["tools"].map { $0.arrayValue.map(\.templateValue) }
            var extra: [String: TemplateValue] = [:]
            for member in testCase["extra"]?.objectMembers ?? [] { extra[member.key] = member.value.templateValue }
            let addGenerationPrompt = testCase["add_generation_prompt"].map { if case .bool(true) = $0 { true } else { false } } ?? false

            do {
                let rendered = try template.render(messages: messages, addGenerationPrompt: addGenerationPrompt, tools: tools, extraContext: extra)
                if let expected = testCase["expected"]?.stringValue {
                    #expect(rendered == expected, "\(label)")
                } else {
                    Issue.record("\(label): rendered, but transformers raised \(String(describing: testCase.pythonError))")
                }
            } catch {
                if let python = testCase.pythonError {
                    #expect(error.corresponds(to: python), "\(label): \(error) vs Python \(python.type): \(python.message)")
                } else {
                    Issue.record("\(label): \(error)")
                }
            }
            checked += 1
        }
        #expect(checked == cases.count)
    }

    /// A fixture message: role and content, then its other fields in order.
    static func message(_ json: JSONValue) throws -> ChatMessage {
        let role = try #require(json["role"]?.stringValue)
        let content = json["content"]?.templateValue ?? .none
        let fields = json.objectMembers.filter { $0.key != "role" && $0.key != "content" }
            .map { TemplateValue.Member($0.key, $0.value.templateValue) }
        return ChatMessage(role: role, content: content, fields: fields)
    }

    @Test func smolLM2TemplateRendersTheDefaultSystemPrompt() throws {
        let template = try ChatTemplate(source: try ChatTemplateFixtures.templateSource("smollm2"))
        let prompt = try template.render(messages: [.user("Hi")], addGenerationPrompt: true)
        #expect(prompt == "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
            + "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
    }
}
