import Foundation

// Python's semantics for the values a template handles: truth, str()/repr(), ==, <, arithmetic, `in`, len(),
// iteration, indexing and slicing (strings index by Unicode code point, as Python's do).

extension Value {
    /// Python's `bool(value)`.
    var isTruthy: Bool {
        switch self {
        case .undefined, .none: return false
        case .boolean(let value): return value
        case .integer(let value): return value != 0
        case .float(let value): return value != 0
        case .string(let value): return !value.isEmpty
        case .list(let values), .tuple(let values): return !values.isEmpty
        case .dictionary(let dictionary): return dictionary.count > 0
        case .namespace, .callable: return true
        }
    }

    /// Python's `str(value)` (jinja2 prints an undefined as "").
    var pythonString: String {
        switch self {
        case .undefined: return ""
        case .string(let value): return value
        default: return pythonRepresentation
        }
    }

    /// Python's `repr(value)`.
    var pythonRepresentation: String {
        switch self {
        case .undefined: return ""
        case .none: return "None"
        case .boolean(let value): return value ? "True" : "False"
        case .integer(let value): return String(value)
        case .float(let value): return pythonFloatRepresentation(value)
        case .string(let value): return pythonStringRepresentation(value)
        case .list(let values): return "[" + values.map(\.pythonRepresentation).joined(separator: ", ") + "]"
        case .tuple(let values):
            return "(" + values.map(\.pythonRepresentation).joined(separator: ", ") + (values.count == 1 ? ",)" : ")")
        case .dictionary(let dictionary):
            return "{" + dictionary.items.map { pythonStringRepresentation($0.key) + ": " + $0.value.pythonRepresentation }
                .joined(separator: ", ") + "}"
        case .namespace(let namespace):
            return "<Namespace " + Value.dictionary(namespace.attributes).pythonRepresentation + ">"
        case .callable(let callable): return "<function \(callable.name)>"
        }
    }

    /// The number as a Double, for mixed int/float arithmetic (Python's bool is an int).
    var numericValue: Double? {
        switch self {
        case .boolean(let value): return value ? 1 : 0
        case .integer(let value): return Double(value)
        case .float(let value): return value
        default: return nil
        }
    }

    /// The integer of an int or bool.
    var integerValue: Int? {
        switch self {
        case .boolean(let value): return value ? 1 : 0
        case .integer(let value): return value
        default: return nil
        }
    }

    /// Python's `len(value)`.
    func length() throws(TemplateFailure) -> Int {
        switch self {
        case .undefined: return 0
        case .string(let value): return value.unicodeScalars.count
        case .list(let values), .tuple(let values): return values.count
        case .dictionary(let dictionary): return dictionary.count
        default: throw .rendering("object of type '\(typeName)' has no len()")
        }
    }

    /// The items `for x in value` visits: a list's elements, a dict's keys, a string's characters.
    func iterated() throws(TemplateFailure) -> [Value] {
        switch self {
        case .undefined: return []
        case .list(let values), .tuple(let values): return values
        case .dictionary(let dictionary): return dictionary.keys.map(Value.string)
        case .string(let value): return value.unicodeScalars.map { .string(String($0)) }
        default: throw .rendering("'\(typeName)' object is not iterable")
        }
    }

    /// Fails with the undefined value's message; other values pass through.
    func defined() throws(TemplateFailure) -> Value {
        if case .undefined(let message) = self { throw .rendering(message) }
        return self
    }
}

/// Python's `repr(float)`: the shortest digits that round-trip, in exponent form below 1e-4 and from 1e16.
func pythonFloatRepresentation(_ value: Double) -> String {
    if value.isNaN { return "nan" }
    if value.isInfinite { return value < 0 ? "-inf" : "inf" }
    // Swift's description gives the same shortest round-trip digits and switches to exponent form at the same
    // magnitudes as Python (checked: 1e16 → "1e+16", 1e-05, 1000000000000000.0).
    return value.description
}

/// Python's `repr(str)`: single quotes unless the text has a single quote and no double quote; escapes for the
/// backslash, the quote, `\n \r \t` and non-printable characters.
func pythonStringRepresentation(_ text: String) -> String {
    let quote: Unicode.Scalar = text.unicodeScalars.contains("'") && !text.unicodeScalars.contains("\"") ? "\"" : "'"
    var result = String.UnicodeScalarView()
    result.append(quote)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\\": result.append(contentsOf: "\\\\".unicodeScalars)
        case "\n": result.append(contentsOf: "\\n".unicodeScalars)
        case "\r": result.append(contentsOf: "\\r".unicodeScalars)
        case "\t": result.append(contentsOf: "\\t".unicodeScalars)
        case quote: result.append("\\"); result.append(quote)
        default:
            if scalar.isPythonPrintable {
                result.append(scalar)
            } else {
                let hex = String(scalar.value, radix: 16)
                let escape = scalar.value < 0x100 ? "\\x" + String(repeating: "0", count: 2 - hex.count) + hex
                    : scalar.value < 0x10000 ? "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                    : "\\U" + String(repeating: "0", count: 8 - hex.count) + hex
                result.append(contentsOf: escape.unicodeScalars)
            }
        }
    }
    result.append(quote)
    return String(result)
}

extension Unicode.Scalar {
    /// Python's `str.isprintable()` for one character: not in Cc, Cf, Cs, Co, Cn, Zl, Zp, or Zs other than space.
    var isPythonPrintable: Bool {
        if self == " " { return true }
        switch properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator, .spaceSeparator:
            return false
        default:
            return true
        }
    }
}

/// Python's `a == b`.
func pythonEqual(_ a: Value, _ b: Value) -> Bool {
    switch (a, b) {
    case (.undefined, .undefined), (.none, .none): return true
    case (.string(let x), .string(let y)): return x.unicodeScalars.elementsEqual(y.unicodeScalars)
    case (.list(let x), .list(let y)), (.tuple(let x), .tuple(let y)): return x.count == y.count && zip(x, y).allSatisfy { pythonEqual($0.0, $0.1) }
    case (.dictionary(let x), .dictionary(let y)):
        return x.count == y.count && x.items.allSatisfy { item in y[item.key].map { pythonEqual(item.value, $0) } ?? false }
    case (.namespace(let x), .namespace(let y)): return x === y
    default:
        if let x = a.integerValue, let y = b.integerValue { return x == y }
        if let x = a.numericValue, let y = b.numericValue { return x == y }
        return false
    }
}

/// Python's `a < b` for numbers, strings (by code point) and lists.
func pythonLess(_ a: Value, _ b: Value, operator symbol: String = "<") throws(TemplateFailure) -> Bool {
    switch (a, b) {
    case (.string(let x), .string(let y)):
        return x.unicodeScalars.lexicographicallyPrecedes(y.unicodeScalars)
    case (.list(let x), .list(let y)), (.tuple(let x), .tuple(let y)):
        for (left, right) in zip(x, y) where !pythonEqual(left, right) { return try pythonLess(left, right) }
        return x.count < y.count
    default:
        if case .undefined(let message) = a { throw .rendering(message) }
        if case .undefined(let message) = b { throw .rendering(message) }
        if let x = a.integerValue, let y = b.integerValue { return x < y }
        if let x = a.numericValue, let y = b.numericValue { return x < y }
        throw .rendering("'\(symbol)' not supported between instances of '\(a.typeName)' and '\(b.typeName)'")
    }
}

/// Python's `item in container`.
func pythonContains(_ container: Value, _ item: Value) throws(TemplateFailure) -> Bool {
    switch container {
    case .undefined: return false
    case .string(let text):
        guard case .string(let needle) = item else {
            throw .rendering("'in <string>' requires string as left operand, not \(item.typeName)")
        }
        return needle.isEmpty || text.unicodeScalars.firstRange(of: needle.unicodeScalars) != nil
    case .list(let values), .tuple(let values): return values.contains { pythonEqual($0, item) }
    case .dictionary(let dictionary):
        guard case .string(let key) = item else { return false }
        return dictionary[key] != nil
    default:
        throw .rendering("argument of type '\(container.typeName)' is not iterable")
    }
}

/// Python's binary arithmetic (`+ - * / // % **`) and jinja2's `~`.
func pythonArithmetic(_ op: BinaryOperator, _ a: Value, _ b: Value) throws(TemplateFailure) -> Value {
    if op == .concatenate { return .string(a.pythonString + b.pythonString) }
    let a = try a.defined(), b = try b.defined()
    func unsupported() -> TemplateFailure {
        .rendering("unsupported operand type(s) for \(op.rawValue): '\(a.typeName)' and '\(b.typeName)'")
    }
    switch (op, a, b) {
    case (.add, .string(let x), .string(let y)): return .string(x + y)
    case (.add, .list(let x), .list(let y)): return .list(x + y)
    case (.add, .tuple(let x), .tuple(let y)): return .tuple(x + y)
    case (.multiply, .string(let text), _), (.multiply, _, .string(let text)):
        guard let count = (a.integerValue ?? b.integerValue) else { throw unsupported() }
        return .string(String(repeating: text, count: max(count, 0)))
    case (.multiply, .list(let values), _), (.multiply, _, .list(let values)):
        guard let count = (a.integerValue ?? b.integerValue) else { throw unsupported() }
        return .list(Array(repeating: values, count: max(count, 0)).flatMap { $0 })
    case (.modulo, .string, _):
        throw .unsupported("printf-style string formatting ('…' % value)")
    default: break
    }
    if let x = a.integerValue, let y = b.integerValue {
        func checked(_ result: (partialValue: Int, overflow: Bool)) throws(TemplateFailure) -> Value {
            guard !result.overflow else { throw .rendering("integer overflow in \(x) \(op.rawValue) \(y)") }
            return .integer(result.partialValue)
        }
        switch op {
        case .add: return try checked(x.addingReportingOverflow(y))
        case .subtract: return try checked(x.subtractingReportingOverflow(y))
        case .multiply: return try checked(x.multipliedReportingOverflow(by: y))
        case .divide:
            guard y != 0 else { throw .rendering("division by zero") }
            return .float(Double(x) / Double(y))
        case .floorDivide, .modulo:
            guard y != 0 else { throw .rendering("integer division or modulo by zero") }
            var quotient = x / y
            var remainder = x % y
            if remainder != 0 && (remainder < 0) != (y < 0) {
                quotient -= 1
                remainder += y
            }
            return .integer(op == .floorDivide ? quotient : remainder)
        case .power:
            if y < 0 { return .float(pow(Double(x), Double(y))) }
            var result = 1
            for _ in 0..<y {
                let (product, overflow) = result.multipliedReportingOverflow(by: x)
                guard !overflow else { throw .rendering("integer overflow in \(x) ** \(y)") }
                result = product
            }
            return .integer(result)
        case .concatenate: break
        }
    }
    guard let x = a.numericValue, let y = b.numericValue else { throw unsupported() }
    switch op {
    case .add: return .float(x + y)
    case .subtract: return .float(x - y)
    case .multiply: return .float(x * y)
    case .divide:
        guard y != 0 else { throw .rendering("float division by zero") }
        return .float(x / y)
    case .floorDivide:
        guard y != 0 else { throw .rendering("float floor division by zero") }
        return .float((x / y).rounded(.down))
    case .modulo:
        guard y != 0 else { throw .rendering("float modulo") }
        let remainder = fmod(x, y)
        return .float(remainder != 0 && (remainder < 0) != (y < 0) ? remainder + y : remainder)
    case .power: return .float(pow(x, y))
    case .concatenate: return .string(a.pythonString + b.pythonString)
    }
}

/// Python's slice `value[start:stop:step]` of a list or string.
func pythonSlice(_ value: Value, start: Int?, stop: Int?, step: Int?) throws(TemplateFailure) -> Value {
    let step = step ?? 1
    guard step != 0 else { throw .rendering("slice step cannot be zero") }
    func indices(count: Int) -> [Int] {
        func clamp(_ index: Int?, defaultValue: Int, lower: Int, upper: Int) -> Int {
            guard var index else { return defaultValue }
            if index < 0 { index += count }
            return min(max(index, lower), upper)
        }
        if step > 0 {
            let from = clamp(start, defaultValue: 0, lower: 0, upper: count)
            let to = clamp(stop, defaultValue: count, lower: 0, upper: count)
            return Array(stride(from: from, to: to, by: step))
        }
        let from = clamp(start, defaultValue: count - 1, lower: -1, upper: count - 1)
        let to = clamp(stop, defaultValue: -1, lower: -1, upper: count - 1)
        return Array(stride(from: from, to: to, by: step))
    }
    switch value {
    case .list(let values):
        return .list(indices(count: values.count).map { values[$0] })
    case .tuple(let values):
        return .tuple(indices(count: values.count).map { values[$0] })
    case .string(let text):
        let scalars = Array(text.unicodeScalars)
        var result = String.UnicodeScalarView()
        for index in indices(count: scalars.count) { result.append(scalars[index]) }
        return .string(String(result))
    case .undefined(let message):
        throw .rendering(message)
    default:
        throw .rendering("'\(value.typeName)' object is not subscriptable")
    }
}
