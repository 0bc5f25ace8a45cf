/// A value while a template renders, with Python's and jinja2's semantics (see TemplateOperations.swift).
enum Value {
    /// jinja2's default `Undefined`: prints as "", is false, iterates as empty; using it as a value (arithmetic,
    /// an attribute of it, calling it) fails with `message` (`'x' is undefined`).
    case undefined(String)
    case none
    case boolean(Bool)
    case integer(Int)
    case float(Double)
    case string(String)
    case list([Value])
    /// A Python tuple: like a list, but printed `(1, 2)` and never equal to a list (`dict.items()` pairs,
    /// `(a, b)` literals).
    case tuple([Value])
    case dictionary(TemplateDictionary)
    /// A `namespace()`: the one mutable object a template can make.
    case namespace(TemplateNamespace)
    /// A function, macro or bound method.
    case callable(TemplateCallable)

    init(_ value: TemplateValue) {
        switch value {
        case .none: self = .none
        case .boolean(let value): self = .boolean(value)
        case .integer(let value): self = .integer(value)
        case .float(let value): self = .float(value)
        case .string(let value): self = .string(value)
        case .array(let values): self = .list(values.map(Value.init))
        case .object(let members):
            var dictionary = TemplateDictionary()
            for member in members { dictionary[member.key] = Value(member.value) }
            self = .dictionary(dictionary)
        }
    }

    /// Python's type name, for messages (`'dict object' has no attribute 'x'`).
    var typeName: String {
        switch self {
        case .undefined: return "Undefined"
        case .none: return "NoneType"
        case .boolean: return "bool"
        case .integer: return "int"
        case .float: return "float"
        case .string: return "str"
        case .list: return "list"
        case .tuple: return "tuple"
        case .dictionary: return "dict"
        case .namespace: return "Namespace"
        case .callable: return "function"
        }
    }

    /// The elements of a list or tuple.
    var sequenceElements: [Value]? {
        switch self {
        case .list(let values), .tuple(let values): return values
        default: return nil
        }
    }

    var isUndefined: Bool {
        if case .undefined = self { return true }
        return false
    }
}

/// A Python dict with string keys, keeping insertion order.
struct TemplateDictionary {
    private(set) var keys: [String] = []
    private var storage: [String: Value] = [:]

    var count: Int { keys.count }

    subscript(key: String) -> Value? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    /// Members in insertion order.
    var items: [(key: String, value: Value)] { keys.map { ($0, storage[$0] ?? .none) } }
    var values: [Value] { keys.map { storage[$0] ?? .none } }
}

/// jinja2's `Namespace`, shared by reference so that `{% set ns.x = … %}` inside a loop is seen after it.
final class TemplateNamespace {
    var attributes: TemplateDictionary

    init(_ attributes: TemplateDictionary) {
        self.attributes = attributes
    }
}

/// Something a template can call: a global function, a macro or a bound method.
struct TemplateCallable {
    let name: String
    let call: (CallArguments) throws(TemplateFailure) -> Value
}

/// Evaluated arguments of a call.
struct CallArguments {
    var positional: [Value] = []
    var keywords: [(name: String, value: Value)] = []

    /// The argument at `position`, or the keyword `name`; nil when neither was given.
    func value(_ position: Int, _ name: String) -> Value? {
        if let keyword = keywords.last(where: { $0.name == name }) { return keyword.value }
        return position >= 0 && position < positional.count ? positional[position] : nil
    }

    /// Fails when more positional arguments, or other keywords, are given than `function` accepts.
    func check(_ function: String, accepts names: [String]) throws(TemplateFailure) {
        if positional.count > names.count {
            throw .rendering("\(function)() takes at most \(names.count) argument(s), \(positional.count) given")
        }
        for keyword in keywords where !names.contains(keyword.name) {
            throw .rendering("\(function)() got an unexpected keyword argument '\(keyword.name)'")
        }
    }
}

/// An error while rendering, before it is given the location of the expression at fault.
enum TemplateFailure: Error {
    case rendering(String)
    case raised(String)
    case unsupported(String)
    /// Already located (raised by a nested expression).
    case located(ChatTemplateError)

    func at(_ location: SourceLocation) -> ChatTemplateError {
        switch self {
        case .rendering(let message): return .rendering(message: message, line: location.line, column: location.column)
        case .raised(let message): return .raised(message: message, line: location.line, column: location.column)
        case .unsupported(let construct): return .unsupported(construct: construct, line: location.line, column: location.column)
        case .located(let error): return error
        }
    }
}
