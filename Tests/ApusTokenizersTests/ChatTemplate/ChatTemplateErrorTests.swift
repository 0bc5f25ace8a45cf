import Foundation
import Testing
@testable import ApusTokenizers

/// Errors name what went wrong and where (line and column in Unicode scalars).
@Suite struct ChatTemplateErrorTests {
    @Test func unsupportedStatementsNameTheConstructAndPosition() {
        #expect(throws: ChatTemplateError.unsupported(construct: "the '{% include %}' statement", line: 2, column: 3)) {
            _ = try ChatTemplate(source: "line one\n  {% include 'x.jinja' %}")
        }
        #expect(throws: ChatTemplateError.unsupported(construct: "a recursive for loop", line: 1, column: 19)) {
            _ = try ChatTemplate(source: "{% for x in items recursive %}{% endfor %}")
        }
    }

    @Test func unsupportedFiltersAndTestsFailWhenRendered() throws {
        let filter = try ChatTemplate(source: "a\n{{ 'x' | wordwrap(3) }}")
        #expect(throws: ChatTemplateError.unsupported(construct: "the 'wordwrap' filter", line: 2, column: 8)) {
            _ = try filter.render(messages: [])
        }
        let test = try ChatTemplate(source: "{{ 1 is prime }}")
        #expect(throws: ChatTemplateError.unsupported(construct: "the 'prime' test", line: 1, column: 6)) {
            _ = try test.render(messages: [])
        }
    }

    @Test func syntaxErrorsPointAtTheProblem() {
        #expect(throws: ChatTemplateError.syntax(message: "unexpected end of template, expected '}}'", line: 1, column: 4)) {
            _ = try ChatTemplate(source: "ab {{ x ")
        }
        #expect(throws: ChatTemplateError.syntax(message: "unexpected ')'", line: 1, column: 6)) {
            _ = try ChatTemplate(source: "{{ 1 ) }}")
        }
        #expect(throws: ChatTemplateError.syntax(message: "unexpected end of template, expected one of: '{% else %}', '{% endfor %}'", line: 1, column: 23)) {
            _ = try ChatTemplate(source: "{% for x in y %}no end")
        }
        #expect(throws: ChatTemplateError.syntax(message: "missing end of comment tag", line: 1, column: 3)) {
            _ = try ChatTemplate(source: "a {# open")
        }
    }

    @Test func raiseExceptionCarriesTheTemplatesMessage() throws {
        let template = try ChatTemplate(source: "{% if messages[0].role != 'user' %}\n{{ raise_exception('first message must be from the user') }}{% endif %}")
        #expect(throws: ChatTemplateError.raised(message: "first message must be from the user", line: 2, column: 4)) {
            _ = try template.render(messages: [.assistant("hi")])
        }
        #expect(try template.render(messages: [.user("hi")]) == "")
    }

    @Test func undefinedValuesFailOnlyWhereUsed() throws {
        let template = try ChatTemplate(source: "[{{ missing }}]{{ missing.name }}")
        #expect(throws: ChatTemplateError.rendering(message: "'missing' is undefined", line: 1, column: 19)) {
            _ = try template.render(messages: [])
        }
    }

    @Test func descriptionsAreReadable() {
        #expect(ChatTemplateError.unsupported(construct: "the 'wordwrap' filter", line: 3, column: 7).description
            == "chat template uses the 'wordwrap' filter at line 3, column 7, which Apus does not support")
        #expect(ChatTemplateError.raised(message: "no", line: 1, column: 2).description
            == "chat template raised an exception at line 1, column 2: no")
    }

    @Test func publicValuesBuildFromLiterals() throws {
        let tool: TemplateValue = ["type": "function", "function": ["name": "f", "parameters": [:], "strict": true, "n": 1, "x": 0.5, "none": nil]]
        let template = try ChatTemplate(source: "{{ tools[0]|tojson }}")
        #expect(try template.render(messages: [], tools: [tool])
            == #"{"type": "function", "function": {"name": "f", "parameters": {}, "strict": true, "n": 1, "x": 0.5, "none": null}}"#)
        #expect(tool["function"]?["name"] == "f")
    }
}
