import Foundation
import Testing
@testable import ApusTokenizers

/// One small template per Jinja feature, against the jinja2 environment transformers builds for chat templates
/// (scripts/make_chat_template_fixtures.py, snippets.json).
@Suite struct ChatTemplateSnippetTests {
    @Test func everySnippetMatchesJinja() throws {
        let snippets = try ChatTemplateFixtures.document("snippets.json").arrayValue
        #expect(snippets.count > 60)
        for snippet in snippets {
            let name = try #require(snippet["name"]?.stringValue)
            let source = try #require(snippet["template"]?.stringValue)
            var context: [String: TemplateValue] = [:]
            for member in snippet["context"]?.objectMembers ?? [] { context[member.key] = member.value.templateValue }
            let now = ChatTemplateRenderTests.fixtureNow
            do {
                let rendered = try ChatTemplate(source: source, now: { now }).render(messages: [], extraContext: context)
                if let expected = snippet["expected"]?.stringValue {
                    #expect(rendered == expected, "\(name)")
                } else {
                    Issue.record("\(name): rendered \(rendered.debugDescription), but jinja2 raised \(String(describing: snippet.pythonError))")
                }
            } catch {
                if let python = snippet.pythonError {
                    #expect(error.corresponds(to: python), "\(name): \(error) vs Python \(python.type): \(python.message)")
                } else {
                    Issue.record("\(name): \(error)")
                }
            }
        }
    }
}
