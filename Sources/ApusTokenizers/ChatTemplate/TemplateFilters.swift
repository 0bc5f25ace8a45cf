import Foundation

/// The filters (`value | name(arguments)`) a chat template can use: jinja2's built-in ones (jinja2/filters.py)
/// that chat templates need, with transformers' `tojson`.
enum TemplateFilters {
    /// Applies filter `name` to `value` (a user-facing failure names the filter and what it expected).
    static func apply(_ name: String, to value: Value, _ arguments: CallArguments) throws(TemplateFailure) -> Value {
        switch name {
        case "safe":
            // Autoescaping is off for chat templates, so marking text safe changes nothing.
            return value
        case "string":
            return .string(value.pythonString)
        case "trim":
            try arguments.check(name, accepts: ["chars"])
            let characters: String?
            if case .string(let chars)? = arguments.value(0, "chars") { characters = chars } else { characters = nil }
            return .string(pythonStrip(value.pythonString, characters: characters, leading: true, trailing: true))
        case "upper": return .string(value.pythonString.uppercased())
        case "lower": return .string(value.pythonString.lowercased())
        case "capitalize": return .string(pythonCapitalize(value.pythonString))
        case "title": return .string(jinjaTitle(value.pythonString))
        case "length", "count": return .integer(try value.length())
        case "first":
            let items = try value.iterated()
            return items.first ?? .undefined("No first item, sequence was empty.")
        case "last":
            let items = try value.iterated()
            return items.last ?? .undefined("No last item, sequence was empty.")
        case "join":
            try arguments.check(name, accepts: ["d", "attribute"])
            let separator = arguments.value(0, "d")?.pythonString ?? ""
            var items = try value.iterated()
            if let attribute = arguments.value(1, "attribute") { items = try items.map { item throws(TemplateFailure) in try attributeChain(item, attribute) } }
            return .string(items.map(\.pythonString).joined(separator: separator))
        case "default", "d":
            try arguments.check(name, accepts: ["default_value", "boolean"])
            let fallback = arguments.value(0, "default_value") ?? .string("")
            let boolean = arguments.value(1, "boolean")?.isTruthy ?? false
            if value.isUndefined || (boolean && !value.isTruthy) { return fallback }
            return value
        case "tojson":
            try arguments.check(name, accepts: ["ensure_ascii", "indent", "separators", "sort_keys"])
            var indent: String?
            switch arguments.value(1, "indent") {
            case .integer(let width)?: indent = String(repeating: " ", count: max(width, 0))
            case .string(let text)?: indent = text
            case nil, .none?: indent = nil
            case let other?: throw .rendering("tojson: indent must be an int or a string, not \(other.typeName)")
            }
            var separators: (String, String)?
            if let pair = arguments.value(2, "separators")?.sequenceElements {
                guard pair.count == 2, case .string(let item) = pair[0], case .string(let key) = pair[1] else {
                    throw .rendering("tojson: separators must be two strings")
                }
                separators = (item, key)
            }
            let encoder = PythonJSONEncoder(ensureASCII: arguments.value(0, "ensure_ascii")?.isTruthy ?? false, indent: indent,
                                            separators: separators, sortKeys: arguments.value(3, "sort_keys")?.isTruthy ?? false)
            return .string(try encoder.encode(value))
        case "int":
            try arguments.check(name, accepts: ["default", "base"])
            let fallback = arguments.value(0, "default") ?? .integer(0)
            switch value {
            case .integer, .boolean: return .integer(value.integerValue ?? 0)
            case .float(let number):
                guard number.isFinite, abs(number) < 9.2e18 else { return fallback }
                return .integer(Int(number))
            case .string(let text):
                let base = arguments.value(1, "base")?.integerValue ?? 10
                let trimmed = pythonStrip(text, characters: nil, leading: true, trailing: true).replacingOccurrences(of: "_", with: "")
                if let number = Int(trimmed, radix: base) { return .integer(number) }
                if let number = Double(trimmed), number.isFinite, abs(number) < 9.2e18 { return .integer(Int(number)) }
                return fallback
            default: return fallback
            }
        case "float":
            try arguments.check(name, accepts: ["default"])
            let fallback = arguments.value(0, "default") ?? .float(0)
            switch value {
            case .integer, .boolean, .float: return .float(value.numericValue ?? 0)
            case .string(let text):
                return Double(pythonStrip(text, characters: nil, leading: true, trailing: true)).map(Value.float) ?? fallback
            default: return fallback
            }
        case "list": return .list(try value.iterated())
        case "replace":
            try arguments.check(name, accepts: ["old", "new", "count"])
            guard let old = arguments.value(0, "old"), let new = arguments.value(1, "new") else { throw .rendering("replace needs old and new") }
            return .string(pythonReplace(value.pythonString, old.pythonString, new.pythonString, count: arguments.value(2, "count")?.integerValue ?? -1))
        case "items":
            switch value {
            case .undefined: return .list([])
            case .dictionary(let dictionary): return .list(dictionary.items.map { .tuple([.string($0.key), $0.value]) })
            default: throw .rendering("Can only get item pairs from a mapping.")
            }
        case "selectattr", "rejectattr":
            let keep = name == "selectattr"
            guard let attribute = arguments.positional.first else { throw .rendering("\(name) needs an attribute name") }
            var selected: [Value] = []
            for item in try value.iterated() {
                let field = try attributeChain(item, attribute)
                let passes: Bool
                if arguments.positional.count > 1 {
                    let testName = arguments.positional[1].pythonString
                    passes = try TemplateTests.apply(testName, to: field, CallArguments(positional: Array(arguments.positional.dropFirst(2)), keywords: arguments.keywords))
                } else {
                    passes = field.isTruthy
                }
                if passes == keep { selected.append(item) }
            }
            return .list(selected)
        case "select", "reject":
            let keep = name == "select"
            var selected: [Value] = []
            for item in try value.iterated() {
                let passes: Bool
                if let test = arguments.positional.first {
                    passes = try TemplateTests.apply(test.pythonString, to: item, CallArguments(positional: Array(arguments.positional.dropFirst()), keywords: arguments.keywords))
                } else {
                    passes = item.isTruthy
                }
                if passes == keep { selected.append(item) }
            }
            return .list(selected)
        case "map":
            let items = try value.iterated()
            if let attribute = arguments.value(-1, "attribute") {
                let fallback = arguments.value(-1, "default")
                return .list(try items.map { item throws(TemplateFailure) in
                    let field = try attributeChain(item, attribute)
                    if field.isUndefined, let fallback { return fallback }
                    return field
                })
            }
            guard let filter = arguments.positional.first else { throw .rendering("map needs a filter name or attribute=") }
            let rest = CallArguments(positional: Array(arguments.positional.dropFirst()), keywords: arguments.keywords)
            return .list(try items.map { item throws(TemplateFailure) in try apply(filter.pythonString, to: item, rest) })
        case "unique":
            var seen: [Value] = []
            for item in try value.iterated() where !seen.contains(where: { pythonEqual(caseFolded($0), caseFolded(item)) }) {
                seen.append(item)
            }
            return .list(seen)
        case "reverse":
            if case .string(let text) = value { return .string(String(text.unicodeScalars.reversed().map(Character.init))) }
            return .list(try value.iterated().reversed())
        case "sort":
            try arguments.check(name, accepts: ["reverse", "case_sensitive", "attribute"])
            let reverse = arguments.value(0, "reverse")?.isTruthy ?? false
            let caseSensitive = arguments.value(1, "case_sensitive")?.isTruthy ?? false
            let attribute = arguments.value(2, "attribute")
            var keyed: [(key: Value, item: Value)] = []
            for item in try value.iterated() {
                var key = try attribute.map { attribute throws(TemplateFailure) in try attributeChain(item, attribute) } ?? item
                if !caseSensitive { key = caseFolded(key) }
                keyed.append((key, item))
            }
            var failure: TemplateFailure?
            // A stable insertion sort keeps Python's sort stability and lets a comparison error surface.
            var sorted: [(key: Value, item: Value)] = []
            for entry in keyed {
                var position = sorted.count
                while position > 0 {
                    do {
                        let before = reverse ? try pythonLess(sorted[position - 1].key, entry.key) : try pythonLess(entry.key, sorted[position - 1].key)
                        if !before { break }
                    } catch {
                        failure = error
                        break
                    }
                    position -= 1
                }
                sorted.insert(entry, at: position)
            }
            if let failure { throw failure }
            return .list(sorted.map(\.item))
        case "dictsort":
            try arguments.check(name, accepts: ["case_sensitive", "by", "reverse"])
            guard case .dictionary(let dictionary) = value else { throw .rendering("dictsort: expected a mapping, not \(value.typeName)") }
            let caseSensitive = arguments.value(0, "case_sensitive")?.isTruthy ?? false
            let byValue: Bool
            switch arguments.value(1, "by")?.pythonString ?? "key" {
            case "key": byValue = false
            case "value": byValue = true
            default: throw .rendering("You can only sort by either \"key\" or \"value\"")
            }
            let reverse = arguments.value(2, "reverse")?.isTruthy ?? false
            let pairs = dictionary.items.map { Value.tuple([.string($0.key), $0.value]) }
            return try apply("sort", to: .list(pairs), CallArguments(keywords: [
                ("reverse", .boolean(reverse)), ("case_sensitive", .boolean(caseSensitive)), ("attribute", .integer(byValue ? 1 : 0)),
            ]))
        case "sum":
            try arguments.check(name, accepts: ["attribute", "start"])
            var total = arguments.value(1, "start") ?? .integer(0)
            for item in try value.iterated() {
                let term = try arguments.value(0, "attribute").map { attribute throws(TemplateFailure) in try attributeChain(item, attribute) } ?? item
                total = try pythonArithmetic(.add, total, term)
            }
            return total
        case "min", "max":
            let items = try value.iterated()
            guard var best = items.first else { return .undefined("No aggregated item, sequence was empty.") }
            for item in items.dropFirst() {
                let less = try pythonLess(caseFolded(item), caseFolded(best))
                let greater = try pythonLess(caseFolded(best), caseFolded(item))
                if name == "min" ? less : greater { best = item }
            }
            return best
        case "indent":
            try arguments.check(name, accepts: ["width", "first", "blank"])
            let indentation: String
            switch arguments.value(0, "width") {
            case .string(let text)?: indentation = text
            case let width?: indentation = String(repeating: " ", count: max(width.integerValue ?? 4, 0))
            case nil: indentation = "    "
            }
            return .string(jinjaIndent(value.pythonString, indentation: indentation,
                                       first: arguments.value(1, "first")?.isTruthy ?? false,
                                       blank: arguments.value(2, "blank")?.isTruthy ?? false))
        case "round":
            try arguments.check(name, accepts: ["precision", "method"])
            let precision = arguments.value(0, "precision")?.integerValue ?? 0
            let method = arguments.value(1, "method")?.pythonString ?? "common"
            guard let number = value.numericValue else { throw .rendering("round: expected a number, not \(value.typeName)") }
            switch method {
            case "common":
                // Python's round(x, n) rounds the exact binary value half-to-even at n decimals, as C's printf does.
                guard number.isFinite, (0...300).contains(precision) else { return .float(number) }
                return .float(Double(String(format: "%.\(precision)f", number)) ?? number)
            case "ceil", "floor":
                let scale = pow(10.0, Double(precision))
                return .float((number * scale).rounded(method == "ceil" ? .up : .down) / scale)
            default:
                throw .rendering("method must be 'common', 'ceil' or 'floor'")
            }
        case "abs":
            switch value {
            case .integer(let number): return .integer(abs(number))
            case .boolean(let flag): return .integer(flag ? 1 : 0)
            case .float(let number): return .float(abs(number))
            default: throw .rendering("bad operand type for abs(): '\(value.typeName)'")
            }
        case "attr":
            guard let attribute = arguments.positional.first else { throw .rendering("attr needs a name") }
            return try value.attribute(attribute.pythonString)
        case "escape", "e":
            var escaped = ""
            for character in value.pythonString.unicodeScalars {
                switch character {
                case "&": escaped += "&amp;"
                case "<": escaped += "&lt;"
                case ">": escaped += "&gt;"
                case "\"": escaped += "&#34;"
                case "'": escaped += "&#39;"
                default: escaped.unicodeScalars.append(character)
                }
            }
            return .string(escaped)
        case "wordcount":
            return .integer(try pythonSplit(value.pythonString, separator: nil, maxSplit: -1, fromEnd: false).count)
        default:
            throw .unsupported("the '\(name)' filter")
        }
    }

    /// `item.a.b` for `attribute="a.b"` (jinja2's `make_attrgetter`; integer parts index).
    static func attributeChain(_ item: Value, _ attribute: Value) throws(TemplateFailure) -> Value {
        if let index = attribute.integerValue { return try item.item(.integer(index)) }
        var current = item
        for part in attribute.pythonString.split(separator: ".", omittingEmptySubsequences: false) {
            current = try current.item(Int(part).map(Value.integer) ?? .string(String(part)))
        }
        return current
    }

    /// Strings lowercased, as jinja2's case-insensitive `sort`, `unique`, `min`, `max` compare them.
    private static func caseFolded(_ value: Value) -> Value {
        if case .string(let text) = value { return .string(text.lowercased()) }
        return value
    }

    /// jinja2's `title` filter: each word (split after `-`, whitespace and opening brackets) capitalised.
    private static func jinjaTitle(_ text: String) -> String {
        let separators: Set<Unicode.Scalar> = ["-", "(", "{", "[", "<"]
        var result = ""
        var word = String.UnicodeScalarView()
        func flush() {
            guard let first = word.first else { return }
            var rest = String.UnicodeScalarView()
            rest.append(contentsOf: word.dropFirst())
            result += String(first).uppercased() + String(rest).lowercased()
            word = String.UnicodeScalarView()
        }
        for scalar in text.unicodeScalars {
            if scalar.isPythonWhitespace || separators.contains(scalar) {
                flush()
                result.unicodeScalars.append(scalar)
            } else {
                word.append(scalar)
            }
        }
        flush()
        return result
    }

    /// jinja2's `indent`: every line but the first (unless `first`) and blank lines (unless `blank`) indented.
    private static func jinjaIndent(_ text: String, indentation: String, first: Bool, blank: Bool) -> String {
        let lines = pythonSplitLines(text + "\n")
        var result: String
        if blank {
            result = lines.joined(separator: "\n" + indentation)
        } else {
            result = lines.first ?? ""
            let rest = lines.dropFirst()
            if !rest.isEmpty {
                result += "\n" + rest.map { $0.isEmpty ? $0 : indentation + $0 }.joined(separator: "\n")
            }
        }
        return first ? indentation + result : result
    }
}

/// The tests (`value is name(arguments)`) of jinja2/tests.py.
enum TemplateTests {
    static func apply(_ name: String, to value: Value, _ arguments: CallArguments) throws(TemplateFailure) -> Bool {
        let other = arguments.positional.first
        func argument() throws(TemplateFailure) -> Value {
            guard let other else { throw .rendering("the '\(name)' test needs an argument") }
            return other
        }
        switch name {
        case "defined": return !value.isUndefined
        case "undefined": return value.isUndefined
        case "none": if case .none = value { return true } else { return false }
        case "boolean": if case .boolean = value { return true } else { return false }
        case "true": if case .boolean(true) = value { return true } else { return false }
        case "false": if case .boolean(false) = value { return true } else { return false }
        case "integer": if case .integer = value { return true } else { return false }
        case "float": if case .float = value { return true } else { return false }
        case "number": return value.numericValue != nil
        case "string": if case .string = value { return true } else { return false }
        case "mapping": if case .dictionary = value { return true } else { return false }
        case "iterable":
            switch value {
            case .undefined, .string, .list, .tuple, .dictionary: return true
            default: return false
            }
        case "sequence":
            switch value {
            case .string, .list, .tuple, .dictionary: return true
            default: return false
            }
        case "callable": if case .callable = value { return true } else { return false }
        case "escaped": return false
        case "even", "odd":
            guard let number = value.integerValue else { throw .rendering("the '\(name)' test needs an integer, not \(value.typeName)") }
            return (number % 2 == 0) == (name == "even")
        case "divisibleby":
            guard let number = value.integerValue, let divisor = try argument().integerValue, divisor != 0 else {
                throw .rendering("divisibleby needs integers and a non-zero divisor")
            }
            return number % divisor == 0
        case "lower": return value.pythonString == value.pythonString.lowercased()
        case "upper": return value.pythonString == value.pythonString.uppercased()
        case "eq", "equalto", "==": return pythonEqual(value, try argument())
        case "ne", "!=": return !pythonEqual(value, try argument())
        case "lt", "lessthan", "<": return try pythonLess(value, try argument())
        case "le", "<=": return try !pythonLess(try argument(), value)
        case "gt", "greaterthan", ">": return try pythonLess(try argument(), value)
        case "ge", ">=": return try !pythonLess(value, try argument())
        case "in": return try pythonContains(try argument(), value)
        case "sameas":
            let target = try argument()
            switch (value, target) {
            case (.none, .none), (.undefined, .undefined): return true
            case (.boolean(let x), .boolean(let y)): return x == y
            case (.namespace(let x), .namespace(let y)): return x === y
            // Python interns short strings and small ints, so equal literals are the same object there.
            case (.string, .string), (.integer, .integer): return pythonEqual(value, target)
            default: return false
            }
        default:
            throw .unsupported("the '\(name)' test")
        }
    }
}
