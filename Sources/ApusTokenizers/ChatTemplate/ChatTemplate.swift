import Foundation

/// A Hugging Face chat template: the Jinja program in `tokenizer_config.json` (or `chat_template.jinja`) that
/// turns a conversation into the prompt text a chat model was trained on, rendered as transformers'
/// `apply_chat_template(…, tokenize=False)` renders it (transformers/utils/chat_template_utils.py).
///
/// ```swift
/// let template = try ChatTemplate.load(modelDirectory: directory)
/// let prompt = try template.render(messages: [.system("Be brief."), .user("Hi!")], addGenerationPrompt: true)
/// ```
///
/// The interpreter implements the Jinja subset chat templates use: the grammar in TemplateParser.swift, the
/// filters and tests in TemplateFilters.swift, the string/dict/list methods in TemplateMethods.swift; anything else
/// is a `ChatTemplateError.unsupported` naming the construct and its line and column. Rendering has no side
/// effects and no access to the file system.
public struct ChatTemplate: Sendable {
    /// The template's source text.
    public let source: String
    /// Special tokens the template sees as variables (`bos_token`, `eos_token`…), from tokenizer_config.json.
    public var specialTokens: [String: String]
    /// The clock behind the templates' `strftime_now` (Llama 3.2's "Today Date"); the system clock by default.
    public var now: @Sendable () -> Date

    private let nodes: ParsedTemplate

    /// Parses `source`; a syntax error or unsupported statement is thrown with its line and column.
    public init(source: String, specialTokens: [String: String] = [:], now: @escaping @Sendable () -> Date = { Date() }) throws(ChatTemplateError) {
        self.source = source
        self.specialTokens = specialTokens
        self.now = now
        let lexer = TemplateLexer(source)
        var parser = TemplateParser(tokens: try lexer.tokenize(), lexer: lexer)
        nodes = ParsedTemplate(nodes: try parser.parseTemplate())
    }

    /// Renders a conversation as `apply_chat_template(messages, tools=, documents=, add_generation_prompt=,
    /// **extraContext, tokenize=False)` does: the template sees `messages`, `tools` and `documents` (none when not
    /// given), `add_generation_prompt`, the special tokens, and `extraContext` (which overrides them).
    public func render(messages: [ChatMessage], addGenerationPrompt: Bool = false, tools: [TemplateValue]? = nil,
                       documents: [TemplateValue]? = nil, extraContext: [String: TemplateValue] = [:]) throws(ChatTemplateError) -> String {
        var context: [String: Value] = [:]
        for (name, token) in specialTokens { context[name] = .string(token) }
        for (name, value) in extraContext { context[name] = Value(value) }
        context["messages"] = .list(messages.map { Value(aliasingReasoning($0.templateValue)) })
        context["tools"] = tools.map { .list($0.map(Value.init)) } ?? Value.none
        context["documents"] = documents.map { .list($0.map(Value.init)) } ?? Value.none
        context["add_generation_prompt"] = .boolean(addGenerationPrompt)
        let globals = TemplateScope(parent: nil, variables: ChatTemplate.globals(now: now))
        let scope = TemplateScope(parent: TemplateScope(parent: globals, variables: context))
        var output = ""
        _ = try TemplateInterpreter(now: now).execute(nodes.nodes, in: scope, into: &output)
        return output
    }

    /// transformers' `_alias_reasoning_fields`: a message's reasoning given as `reasoning_content`, `thinking` or
    /// `reasoning` is also visible under `thinking` (first) and `reasoning_content` (last).
    private func aliasingReasoning(_ message: TemplateValue) -> TemplateValue {
        guard case .object(let members) = message else { return message }
        let reasoning = ["reasoning_content", "thinking", "reasoning"].lazy.compactMap { key -> TemplateValue? in
            guard let value = message[key], value != .none else { return nil }
            return value
        }.first
        guard let reasoning else { return message }
        var aliased: [TemplateValue.Member] = [TemplateValue.Member("thinking", reasoning)]
        for member in members {
            if let index = aliased.firstIndex(where: { $0.key == member.key }) { aliased[index] = member } else { aliased.append(member) }
        }
        if let index = aliased.firstIndex(where: { $0.key == "reasoning_content" }) {
            aliased[index].value = reasoning
        } else {
            aliased.append(TemplateValue.Member("reasoning_content", reasoning))
        }
        return .object(aliased)
    }

    /// The functions every template can call: jinja2's `range`, `dict`, `namespace`, and transformers'
    /// `raise_exception` and `strftime_now`.
    private static func globals(now: @escaping @Sendable () -> Date) -> [String: Value] {
        func function(_ name: String, _ body: @escaping (CallArguments) throws(TemplateFailure) -> Value) -> Value {
            .callable(TemplateCallable(name: name, call: body))
        }
        func keywordsDictionary(_ arguments: CallArguments, _ name: String) throws(TemplateFailure) -> TemplateDictionary {
            var dictionary = TemplateDictionary()
            for positional in arguments.positional {
                guard case .dictionary(let initial) = positional else { throw .rendering("\(name)() takes a dict or keyword arguments") }
                for item in initial.items { dictionary[item.key] = item.value }
            }
            for keyword in arguments.keywords { dictionary[keyword.name] = keyword.value }
            return dictionary
        }
        return [
            "raise_exception": function("raise_exception") { arguments throws(TemplateFailure) in
                throw .raised(arguments.value(0, "message")?.pythonString ?? "")
            },
            "strftime_now": function("strftime_now") { arguments throws(TemplateFailure) in
                guard case .string(let format)? = arguments.value(0, "format") else { throw .rendering("strftime_now() takes a format string") }
                return .string(formatLocalTime(now(), format))
            },
            "namespace": function("namespace") { arguments throws(TemplateFailure) in
                let attributes = try keywordsDictionary(arguments, "namespace")
                if let hidden = attributes.keys.first(where: { $0.hasPrefix("_") }) {
                    throw .rendering("chat templates cannot store underscore-prefixed attributes on a namespace, but got '\(hidden)'")
                }
                return .namespace(TemplateNamespace(attributes))
            },
            "dict": function("dict") { arguments throws(TemplateFailure) in .dictionary(try keywordsDictionary(arguments, "dict")) },
            "range": function("range") { arguments throws(TemplateFailure) in
                let bounds = arguments.positional.map(\.integerValue)
                guard !bounds.isEmpty, bounds.count <= 3, let values = Optional(bounds.compactMap { $0 }), values.count == bounds.count else {
                    throw .rendering("range() takes one to three integers")
                }
                let (start, stop, step) = values.count == 1 ? (0, values[0], 1) : (values[0], values[1], values.count == 3 ? values[2] : 1)
                guard step != 0 else { throw .rendering("range() arg 3 must not be zero") }
                let count = step > 0 ? max(0, (stop - start + step - 1) / step) : max(0, (start - stop - step - 1) / -step)
                // jinja2's sandbox refuses ranges longer than MAX_RANGE.
                guard count <= 100_000 else { throw .rendering("range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).") }
                return .list(stride(from: start, to: stop, by: step).map(Value.integer))
            },
        ]
    }
}

/// The parsed statements, boxed so that `ChatTemplate` stays cheap to copy and `Sendable` (the tree is immutable).
private final class ParsedTemplate: @unchecked Sendable {
    let nodes: [TemplateNode]
    init(nodes: [TemplateNode]) { self.nodes = nodes }
}

/// `date` in the local time zone through C's `strftime`, which Python's `datetime.strftime` also calls.
func formatLocalTime(_ date: Date, _ format: String) -> String {
    var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
    var parts = tm()
    localtime_r(&seconds, &parts)
    var capacity = 256
    while capacity <= 1 << 16 {
        var buffer = [CChar](repeating: 0, count: capacity)
        let written = strftime(&buffer, capacity, format, &parts)
        if written > 0 || format.isEmpty {
            return String(decoding: buffer.prefix(written).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        capacity *= 4
    }
    return ""
}
