import Foundation
import Testing
@testable import ApusTokenizers

/// Finding the template of a model directory as transformers does: chat_template.jinja first, else
/// tokenizer_config.json's `chat_template` (a string or a list of named templates), with its special tokens.
@Suite struct ChatTemplateLoadingTests {
    /// A fresh directory holding `files` (name → content).
    func directory(_ files: [String: String]) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("apus-chat-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for (name, content) in files { try Data(content.utf8).write(to: url.appendingPathComponent(name)) }
        return url
    }

    @Test func readsAStringTemplateAndSpecialTokensInBothForms() throws {
        let url = try directory(["tokenizer_config.json": #"""
            {"bos_token": {"__type": "AddedToken", "content": "<s>", "lstrip": false}, "eos_token": "</s>", "pad_token": null,
             "chat_template": "{{ bos_token }}{% for m in messages %}{{ m.content }}{{ eos_token }}{% endfor %}"}
            """#])
        defer { try? FileManager.default.removeItem(at: url) }
        let template = try ChatTemplate.load(modelDirectory: url)
        #expect(template.specialTokens == ["bos_token": "<s>", "eos_token": "</s>"])
        #expect(try template.render(messages: [.user("a"), .assistant("b")]) == "<s>a</s>b</s>")
    }

    @Test func picksANamedTemplateFromTheListForm() throws {
        let url = try directory(["tokenizer_config.json": #"""
            {"chat_template": [{"name": "default", "template": "plain"}, {"name": "tool_use", "template": "tools"},
                               {"name": "rag", "template": "documents"}]}
            """#])
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(try ChatTemplate.load(modelDirectory: url).render(messages: []) == "plain")
        #expect(try ChatTemplate.load(modelDirectory: url, forTools: true).render(messages: []) == "tools")
        #expect(try ChatTemplate.load(modelDirectory: url, name: "rag").render(messages: []) == "documents")
        #expect(throws: ChatTemplateError.templateNotFound(source: url.appendingPathComponent("tokenizer_config.json").path,
                                                            name: "other", available: ["default", "tool_use", "rag"])) {
            try ChatTemplate.load(modelDirectory: url, name: "other")
        }
    }

    @Test func chatTemplateJinjaTakesPrecedence() throws {
        let url = try directory(["tokenizer_config.json": #"{"chat_template": "from config", "eos_token": "<e>"}"#,
                                 "chat_template.jinja": "from jinja {{ eos_token }}\n"])
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(try ChatTemplate.load(modelDirectory: url).render(messages: []) == "from jinja <e>")
    }

    @Test func additionalTemplateFilesAreNamedTemplates() throws {
        let url = try directory(["tokenizer_config.json": #"{"chat_template": "ignored once files exist"}"#,
                                 "chat_template.jinja": "default file"])
        defer { try? FileManager.default.removeItem(at: url) }
        let additional = url.appendingPathComponent("additional_chat_templates")
        try FileManager.default.createDirectory(at: additional, withIntermediateDirectories: true)
        try Data("tool file".utf8).write(to: additional.appendingPathComponent("tool_use.jinja"))
        #expect(try ChatTemplate.load(modelDirectory: url).render(messages: []) == "default file")
        #expect(try ChatTemplate.load(modelDirectory: url, forTools: true).render(messages: []) == "tool file")
        #expect(try ChatTemplate.load(modelDirectory: url, name: "tool_use").render(messages: []) == "tool file")
        #expect(throws: ChatTemplateError.templateNotFound(source: url.path, name: "rag", available: ["default", "tool_use"])) {
            try ChatTemplate.load(modelDirectory: url, name: "rag")
        }
    }

    @Test func specialTokensMapFillsTheGaps() throws {
        let url = try directory(["tokenizer_config.json": #"{"chat_template": "{{ bos_token }}|{{ eos_token }}", "eos_token": "</s>"}"#,
                                 "special_tokens_map.json": #"{"bos_token": {"content": "<s>"}, "eos_token": "ignored"}"#])
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(try ChatTemplate.load(modelDirectory: url).render(messages: []) == "<s>|</s>")
    }

    @Test func missingOrMalformedTemplatesAreNamedErrors() throws {
        let empty = try directory(["tokenizer_config.json": #"{"eos_token": "</s>"}"#])
        defer { try? FileManager.default.removeItem(at: empty) }
        #expect(throws: ChatTemplateError.templateNotFound(source: empty.appendingPathComponent("tokenizer_config.json").path, name: nil, available: [])) {
            try ChatTemplate.load(modelDirectory: empty)
        }
        #expect(throws: ChatTemplateError.invalidField(file: "tokenizer_config.json", field: "chat_template", expected: "a string or a list of named templates, found a number")) {
            try ChatTemplate.templateSource(tokenizerConfiguration: Data(#"{"chat_template": 3}"#.utf8))
        }
        #expect(throws: ChatTemplateError.invalidField(file: "tokenizer_config.json", field: "chat_template[0]", expected: "an object with string 'name' and 'template'")) {
            try ChatTemplate.templateSource(tokenizerConfiguration: Data(#"{"chat_template": [{"name": "default"}]}"#.utf8))
        }
        #expect(throws: ChatTemplateError.self) {
            try ChatTemplate.templateSource(tokenizerConfiguration: Data("{not json".utf8))
        }
    }
}
