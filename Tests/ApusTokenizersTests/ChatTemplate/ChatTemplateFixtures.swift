import Foundation
@testable import ApusTokenizers

/// The fixtures of scripts/make_chat_template_fixtures.py, read with ApusTokenizers' own JSON parser so that
/// objects keep their key order (which `tojson` and `items()` show).
enum ChatTemplateFixtures {
    /// Tests/Fixtures/chat-templates/`name`, parsed.
    static func document(_ name: String) throws -> JSONValue {
        let data = try Data(contentsOf: Fixtures.url("chat-templates/\(name)"))
        return try data.withUnsafeBytes { raw in try JSONValue.parse(raw.bindMemory(to: UInt8.self)) }
    }

    /// The source of templates/`name`.jinja.
    static func templateSource(_ name: String) throws -> String {
        try String(contentsOf: Fixtures.url("chat-templates/templates/\(name).jinja"), encoding: .utf8)
    }

    /// How Python rejected a case: the exception class and message.
    struct PythonError {
        let type: String
        let message: String
    }
}

extension JSONValue {
    /// The value as template data (a number with a fraction or exponent is a float, as json.loads makes it).
    var templateValue: TemplateValue {
        switch self {
        case .null: return .none
        case .bool(let flag): return .boolean(flag)
        case .number(let text): return Int(text).map(TemplateValue.integer) ?? .float(Double(text) ?? .nan)
        case .string(let text): return .string(text)
        case .array(let values): return .array(values.map(\.templateValue))
        case .object(let members): return .object(members.map { TemplateValue.Member($0.key, $0.value.templateValue) })
        }
    }

    subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last { $0.key == key }?.value
    }

    var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    var arrayValue: [JSONValue] {
        if case .array(let values) = self { return values }
        return []
    }

    var objectMembers: [JSONValue.Member] {
        if case .object(let members) = self { return members }
        return []
    }

    var pythonError: ChatTemplateFixtures.PythonError? {
        guard let error = self["error"], let type = error["type"]?.stringValue, let message = error["message"]?.stringValue else { return nil }
        return ChatTemplateFixtures.PythonError(type: type, message: message)
    }
}

extension ChatTemplateError {
    /// Whether this error is the Swift counterpart of Python's: `raise_exception` → `.raised` with the same
    /// message; jinja2's TemplateSyntaxError → `.syntax`; any other exception → `.rendering` or `.unsupported`.
    func corresponds(to python: ChatTemplateFixtures.PythonError) -> Bool {
        switch (self, python.type) {
        case (.raised(let message, _, _), "TemplateError"): return message == python.message
        case (.syntax, "TemplateSyntaxError"): return true
        case (.rendering, let type), (.unsupported, let type): return type != "TemplateSyntaxError" && type != "TemplateError"
        default: return false
        }
    }
}
