// Attribute and item access, and the Python methods templates call on strings, dicts and lists, as jinja2's
// ImmutableSandboxedEnvironment allows them (jinja2/sandbox.py): methods that mutate a list or dict are refused.

extension Value {
    /// `value.name`: jinja2 tries the Python attribute first (so `message.items` is the method), then the item.
    func attribute(_ name: String) throws(TemplateFailure) -> Value {
        switch self {
        case .undefined(let message):
            throw .rendering(message)
        case .dictionary(let dictionary):
            if let method = try dictionaryMethod(dictionary, name) { return method }
            return dictionary[name] ?? .undefined("'dict object' has no attribute '\(name)'")
        case .namespace(let namespace):
            return namespace.attributes[name] ?? .undefined("'Namespace object' has no attribute '\(name)'")
        case .string(let text):
            if let method = try stringMethod(text, name) { return method }
        case .list(let values), .tuple(let values):
            if let method = try listMethod(values, name) { return method }
        default:
            break
        }
        return .undefined("'\(typeName) object' has no attribute '\(name)'")
    }

    /// `value[key]`: jinja2 tries the item first, then the attribute.
    func item(_ key: Value) throws(TemplateFailure) -> Value {
        switch (self, key) {
        case (.undefined(let message), _):
            throw .rendering(message)
        case (.dictionary(let dictionary), .string(let name)):
            if let value = dictionary[name] { return value }
            return try attribute(name)
        case (.list(let values), _), (.tuple(let values), _):
            guard let index = key.integerValue else {
                if case .string(let name) = key { return try attribute(name) }
                throw .rendering("list indices must be integers, not \(key.typeName)")
            }
            let resolved = index < 0 ? index + values.count : index
            return values.indices.contains(resolved) ? values[resolved] : .undefined("list object has no element \(index)")
        case (.string(let text), _):
            guard let index = key.integerValue else {
                if case .string(let name) = key { return try attribute(name) }
                throw .rendering("string indices must be integers, not \(key.typeName)")
            }
            let scalars = Array(text.unicodeScalars)
            let resolved = index < 0 ? index + scalars.count : index
            return scalars.indices.contains(resolved) ? .string(String(scalars[resolved])) : .undefined("str object has no element \(index)")
        case (_, .string(let name)):
            return try attribute(name)
        default:
            return .undefined("'\(typeName) object' has no element \(key.pythonRepresentation)")
        }
    }
}

private func method(_ name: String, _ body: @escaping (CallArguments) throws(TemplateFailure) -> Value) -> Value {
    .callable(TemplateCallable(name: name, call: body))
}

private func unsafe(_ name: String, of type: String) -> TemplateFailure {
    .rendering("access to attribute '\(name)' of '\(type)' object is unsafe (chat templates cannot modify their inputs)")
}

private func dictionaryMethod(_ dictionary: TemplateDictionary, _ name: String) throws(TemplateFailure) -> Value? {
    switch name {
    case "items":
        return method(name) { _ in .list(dictionary.items.map { .tuple([.string($0.key), $0.value]) }) }
    case "keys":
        return method(name) { _ in .list(dictionary.keys.map(Value.string)) }
    case "values":
        return method(name) { _ in .list(dictionary.values) }
    case "get":
        return method(name) { arguments throws(TemplateFailure) in
            try arguments.check("get", accepts: ["key", "default"])
            guard case .string(let key)? = arguments.value(0, "key") else { return arguments.value(1, "default") ?? .none }
            return dictionary[key] ?? arguments.value(1, "default") ?? .none
        }
    case "copy":
        return method(name) { _ in .dictionary(dictionary) }
    case "pop", "popitem", "setdefault", "update", "clear":
        throw unsafe(name, of: "dict")
    default:
        return nil
    }
}

private func listMethod(_ values: [Value], _ name: String) throws(TemplateFailure) -> Value? {
    switch name {
    case "index":
        return method(name) { arguments throws(TemplateFailure) in
            let item = arguments.value(0, "value") ?? .none
            guard let index = values.firstIndex(where: { pythonEqual($0, item) }) else {
                throw .rendering("\(item.pythonRepresentation) is not in list")
            }
            return .integer(index)
        }
    case "count":
        return method(name) { arguments in
            let item = arguments.value(0, "value") ?? .none
            return .integer(values.filter { pythonEqual($0, item) }.count)
        }
    case "copy":
        return method(name) { _ in .list(values) }
    case "append", "extend", "insert", "pop", "remove", "reverse", "sort", "clear":
        throw unsafe(name, of: "list")
    default:
        return nil
    }
}

private func stringArgument(_ arguments: CallArguments, _ position: Int, _ name: String, in function: String) throws(TemplateFailure) -> String? {
    switch arguments.value(position, name) {
    case nil, .none?: return nil
    case .string(let text)?: return text
    case let other?: throw .rendering("\(function)() argument must be str or None, not \(other.typeName)")
    }
}

private func stringMethod(_ text: String, _ name: String) throws(TemplateFailure) -> Value? {
    switch name {
    case "strip", "lstrip", "rstrip":
        return method(name) { arguments throws(TemplateFailure) in
            let characters = try stringArgument(arguments, 0, "chars", in: name)
            return .string(pythonStrip(text, characters: characters, leading: name != "rstrip", trailing: name != "lstrip"))
        }
    case "split", "rsplit":
        return method(name) { arguments throws(TemplateFailure) in
            let separator = try stringArgument(arguments, 0, "sep", in: name)
            let limit = arguments.value(1, "maxsplit")?.integerValue ?? -1
            return .list(try pythonSplit(text, separator: separator, maxSplit: limit, fromEnd: name == "rsplit").map(Value.string))
        }
    case "splitlines":
        return method(name) { _ in .list(pythonSplitLines(text).map(Value.string)) }
    case "startswith", "endswith":
        return method(name) { arguments throws(TemplateFailure) in
            let candidates: [Value]
            switch arguments.value(0, name == "startswith" ? "prefix" : "suffix") {
            case .list(let values)?, .tuple(let values)?: candidates = values
            case let value?: candidates = [value]
            case nil: throw .rendering("\(name)() takes at least 1 argument")
            }
            for candidate in candidates {
                guard case .string(let affix) = candidate else {
                    throw .rendering("\(name) first arg must be str or a tuple of str, not \(candidate.typeName)")
                }
                let matches = name == "startswith" ? text.unicodeScalars.starts(with: affix.unicodeScalars)
                    : text.unicodeScalars.reversed().starts(with: affix.unicodeScalars.reversed())
                if matches { return .boolean(true) }
            }
            return .boolean(false)
        }
    case "upper": return method(name) { _ in .string(text.uppercased()) }
    case "lower": return method(name) { _ in .string(text.lowercased()) }
    case "title": return method(name) { _ in .string(pythonTitle(text)) }
    case "capitalize": return method(name) { _ in .string(pythonCapitalize(text)) }
    case "replace":
        return method(name) { arguments throws(TemplateFailure) in
            guard let old = try stringArgument(arguments, 0, "old", in: name), let new = try stringArgument(arguments, 1, "new", in: name) else {
                throw .rendering("replace() takes two strings")
            }
            return .string(pythonReplace(text, old, new, count: arguments.value(2, "count")?.integerValue ?? -1))
        }
    case "find", "rfind", "index", "rindex", "count":
        return method(name) { arguments throws(TemplateFailure) in
            guard let needle = try stringArgument(arguments, 0, "sub", in: name) else { throw .rendering("\(name)() takes a string") }
            let haystack = Array(text.unicodeScalars), pattern = Array(needle.unicodeScalars)
            var positions: [Int] = []
            if pattern.count <= haystack.count {
                var start = 0
                while start + pattern.count <= haystack.count {
                    if haystack[start..<(start + pattern.count)].elementsEqual(pattern) {
                        positions.append(start)
                        if name == "count" { start += max(pattern.count, 1); continue }
                    }
                    start += 1
                }
            }
            if name == "count" { return .integer(positions.count) }
            let found = name.hasPrefix("r") ? positions.last : positions.first
            if let found { return .integer(found) }
            if name.hasSuffix("index") { throw .rendering("substring not found") }
            return .integer(-1)
        }
    case "join":
        return method(name) { arguments throws(TemplateFailure) in
            let items = try (arguments.value(0, "iterable") ?? .list([])).iterated()
            var parts: [String] = []
            for item in items {
                guard case .string(let part) = item else { throw .rendering("sequence item: expected str instance, \(item.typeName) found") }
                parts.append(part)
            }
            return .string(parts.joined(separator: text))
        }
    case "format":
        return method(name) { arguments throws(TemplateFailure) in .string(try pythonFormat(text, arguments)) }
    case "isdigit", "isalpha", "isalnum", "isspace", "isupper", "islower":
        return method(name) { _ in
            let scalars = text.unicodeScalars
            switch name {
            case "isdigit": return .boolean(!scalars.isEmpty && scalars.allSatisfy { $0.properties.numericType == .decimal || $0.properties.numericType == .digit })
            case "isalpha": return .boolean(!scalars.isEmpty && scalars.allSatisfy { $0.properties.isAlphabetic })
            case "isalnum": return .boolean(!scalars.isEmpty && scalars.allSatisfy { $0.properties.isAlphabetic || $0.properties.numericType != nil })
            case "isspace": return .boolean(!scalars.isEmpty && scalars.allSatisfy(\.isPythonWhitespace))
            case "isupper": return .boolean(scalars.contains { $0.properties.isCased } && !scalars.contains { $0.properties.isLowercase })
            default: return .boolean(scalars.contains { $0.properties.isCased } && !scalars.contains { $0.properties.isUppercase })
            }
        }
    default:
        return nil
    }
}

/// Python's `str.strip/lstrip/rstrip(chars)`: whitespace when `characters` is nil.
func pythonStrip(_ text: String, characters: String?, leading: Bool, trailing: Bool) -> String {
    let scalars = Array(text.unicodeScalars)
    let set = characters.map { Set($0.unicodeScalars) }
    func strips(_ scalar: Unicode.Scalar) -> Bool { set.map { $0.contains(scalar) } ?? scalar.isPythonWhitespace }
    var start = 0, end = scalars.count
    if leading { while start < end, strips(scalars[start]) { start += 1 } }
    if trailing { while end > start, strips(scalars[end - 1]) { end -= 1 } }
    var result = String.UnicodeScalarView()
    result.append(contentsOf: scalars[start..<end])
    return String(result)
}

/// Python's `str.split(sep, maxsplit)` / `rsplit`.
func pythonSplit(_ text: String, separator: String?, maxSplit: Int, fromEnd: Bool) throws(TemplateFailure) -> [String] {
    let scalars = Array(text.unicodeScalars)
    func string(_ range: Range<Int>) -> String {
        var result = String.UnicodeScalarView()
        result.append(contentsOf: scalars[range])
        return String(result)
    }
    guard let separator else {
        // Runs of whitespace separate; leading and trailing whitespace gives no empty pieces.
        var words: [Range<Int>] = []
        var index = 0
        while index < scalars.count {
            while index < scalars.count, scalars[index].isPythonWhitespace { index += 1 }
            guard index < scalars.count else { break }
            let start = index
            while index < scalars.count, !scalars[index].isPythonWhitespace { index += 1 }
            words.append(start..<index)
        }
        guard maxSplit >= 0, words.count > maxSplit + 1 else { return words.map(string) }
        if fromEnd {
            let kept = words.suffix(maxSplit)
            var headEnd = kept.first?.lowerBound ?? scalars.count
            while headEnd > 0, scalars[headEnd - 1].isPythonWhitespace { headEnd -= 1 }
            let headStart = words[0].lowerBound
            return [string(headStart..<headEnd)] + kept.map(string)
        }
        let kept = words.prefix(maxSplit)
        var tailStart = kept.last?.upperBound ?? 0
        while tailStart < scalars.count, scalars[tailStart].isPythonWhitespace { tailStart += 1 }
        var tailEnd = scalars.count
        while tailEnd > tailStart, scalars[tailEnd - 1].isPythonWhitespace { tailEnd -= 1 }
        return kept.map(string) + [string(tailStart..<tailEnd)]
    }
    let pattern = Array(separator.unicodeScalars)
    guard !pattern.isEmpty else { throw .rendering("empty separator") }
    var matches: [Int] = []
    var index = 0
    while index + pattern.count <= scalars.count {
        if scalars[index..<(index + pattern.count)].elementsEqual(pattern) {
            matches.append(index)
            index += pattern.count
        } else {
            index += 1
        }
    }
    if maxSplit >= 0 && matches.count > maxSplit {
        matches = fromEnd ? Array(matches.suffix(maxSplit)) : Array(matches.prefix(maxSplit))
    }
    var pieces: [String] = []
    var start = 0
    for match in matches {
        pieces.append(string(start..<match))
        start = match + pattern.count
    }
    pieces.append(string(start..<scalars.count))
    return pieces
}

/// Python's `str.splitlines()` (without keepends).
func pythonSplitLines(_ text: String) -> [String] {
    let breaks: Set<UInt32> = [0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029]
    var lines: [String] = []
    var current = String.UnicodeScalarView()
    var previousWasCarriageReturn = false
    for scalar in text.unicodeScalars {
        if scalar == "\n" && previousWasCarriageReturn {
            previousWasCarriageReturn = false
            continue
        }
        previousWasCarriageReturn = scalar == "\r"
        if breaks.contains(scalar.value) {
            lines.append(String(current))
            current = String.UnicodeScalarView()
        } else {
            current.append(scalar)
        }
    }
    if !current.isEmpty { lines.append(String(current)) }
    return lines
}

/// Python's `str.replace(old, new, count)`.
func pythonReplace(_ text: String, _ old: String, _ new: String, count: Int) -> String {
    let scalars = Array(text.unicodeScalars), pattern = Array(old.unicodeScalars)
    var result = String.UnicodeScalarView()
    var replaced = 0
    if pattern.isEmpty {
        // Python inserts `new` before every character and at the end.
        for scalar in scalars {
            if count < 0 || replaced < count { result.append(contentsOf: new.unicodeScalars); replaced += 1 }
            result.append(scalar)
        }
        if count < 0 || replaced < count { result.append(contentsOf: new.unicodeScalars) }
        return String(result)
    }
    var index = 0
    while index < scalars.count {
        if (count < 0 || replaced < count), index + pattern.count <= scalars.count,
           scalars[index..<(index + pattern.count)].elementsEqual(pattern) {
            result.append(contentsOf: new.unicodeScalars)
            index += pattern.count
            replaced += 1
        } else {
            result.append(scalars[index])
            index += 1
        }
    }
    return String(result)
}

/// Python's `str.title()`: a cased character after an uncased one is title-cased, others lowercased.
func pythonTitle(_ text: String) -> String {
    var result = ""
    var previousIsCased = false
    for scalar in text.unicodeScalars {
        let properties = scalar.properties
        if properties.isCased {
            result += previousIsCased ? properties.lowercaseMapping : properties.titlecaseMapping
            previousIsCased = true
        } else {
            result.unicodeScalars.append(scalar)
            previousIsCased = false
        }
    }
    return result
}

/// Python's `str.capitalize()`: the first character title-cased, the rest lowercased.
func pythonCapitalize(_ text: String) -> String {
    guard let first = text.unicodeScalars.first else { return "" }
    var rest = String.UnicodeScalarView()
    rest.append(contentsOf: text.unicodeScalars.dropFirst())
    return first.properties.titlecaseMapping + String(rest).lowercased()
}

/// Python's `str.format` for `{}`, `{0}` and `{name}` fields without format specs; `{{`/`}}` are braces.
func pythonFormat(_ format: String, _ arguments: CallArguments) throws(TemplateFailure) -> String {
    var result = ""
    var automatic = 0
    let scalars = Array(format.unicodeScalars)
    var index = 0
    while index < scalars.count {
        let scalar = scalars[index]
        if scalar == "{" {
            if index + 1 < scalars.count, scalars[index + 1] == "{" { result += "{"; index += 2; continue }
            guard let close = scalars[index...].firstIndex(of: "}") else { throw .rendering("Single '{' encountered in format string") }
            var field = String.UnicodeScalarView()
            field.append(contentsOf: scalars[(index + 1)..<close])
            let name = String(field)
            if name.contains(":") || name.contains("!") { throw .unsupported("a format spec in str.format ('{\(name)}')") }
            let value: Value?
            if name.isEmpty {
                value = automatic < arguments.positional.count ? arguments.positional[automatic] : nil
                automatic += 1
            } else if let position = Int(name) {
                value = position < arguments.positional.count ? arguments.positional[position] : nil
            } else {
                value = arguments.keywords.last { $0.name == name }?.value
            }
            guard let value else { throw .rendering("format field '{\(name)}' has no argument") }
            result += value.pythonString
            index = close + 1
        } else if scalar == "}" {
            guard index + 1 < scalars.count, scalars[index + 1] == "}" else { throw .rendering("Single '}' encountered in format string") }
            result += "}"
            index += 2
        } else {
            result.unicodeScalars.append(scalar)
            index += 1
        }
    }
    return result
}
