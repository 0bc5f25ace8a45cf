/// Data handed to a chat template: the JSON-like values transformers passes to `apply_chat_template`
/// (messages, tools, documents, extra keyword arguments).
///
/// ```swift
/// let tool: TemplateValue = ["type": "function", "function": ["name": "get_weather", "parameters": [:]]]
/// ```
/// Objects keep their members in the order given, as Python dicts do, which `tojson` and `items()` show.
public enum TemplateValue: Sendable, Equatable {
    case none
    case boolean(Bool)
    case integer(Int)
    case float(Double)
    case string(String)
    case array([TemplateValue])
    case object([Member])

    /// One `key: value` pair of an object.
    public struct Member: Sendable, Equatable {
        /// The member's name.
        public var key: String
        /// The member's value.
        public var value: TemplateValue

        /// A member `key: value`.
        public init(_ key: String, _ value: TemplateValue) {
            self.key = key
            self.value = value
        }
    }

    /// The value of `key` in an object (the last occurrence), nil otherwise.
    public subscript(key: String) -> TemplateValue? {
        guard case .object(let members) = self else { return nil }
        return members.last { $0.key == key }?.value
    }
}

/// Literals build template values: `"text"`, `3`, `0.5`, `true`, `[…]`, `["key": …]` (order kept), `nil` (none).
extension TemplateValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .integer(value) }
    public init(floatLiteral value: Double) { self = .float(value) }
    public init(booleanLiteral value: Bool) { self = .boolean(value) }
    public init(arrayLiteral elements: TemplateValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, TemplateValue)...) { self = .object(elements.map { Member($0.0, $0.1) }) }
    public init(nilLiteral: ()) { self = .none }
}

/// One message of a conversation: `role`, `content` (a string, a list of content parts, or none for an
/// assistant turn that only calls tools) and any further fields a template reads (`tool_calls`, `name`,
/// `tool_call_id`, `reasoning_content`…), in order after role and content.
public struct ChatMessage: Sendable, Equatable {
    /// `system`, `user`, `assistant`, `tool`…
    public var role: String
    /// A string, a list of content parts (`[{"type": "text", "text": …}]`), or none.
    public var content: TemplateValue
    /// Further keys of the message dict, after role and content.
    public var fields: [TemplateValue.Member]

    /// A message with `role`, `content` and optional further `fields`.
    public init(role: String, content: TemplateValue, fields: [TemplateValue.Member] = []) {
        self.role = role
        self.content = content
        self.fields = fields
    }

    /// A system message.
    public static func system(_ content: String) -> ChatMessage { ChatMessage(role: "system", content: .string(content)) }
    /// A user message.
    public static func user(_ content: String) -> ChatMessage { ChatMessage(role: "user", content: .string(content)) }
    /// An assistant message.
    public static func assistant(_ content: String) -> ChatMessage { ChatMessage(role: "assistant", content: .string(content)) }

    /// The message as the dict the template sees.
    var templateValue: TemplateValue {
        .object([TemplateValue.Member("role", .string(role)), TemplateValue.Member("content", content)] + fields)
    }
}
