/// One token of a template: a run of literal text, a tag delimiter, or a piece of an expression.
struct TemplateToken: Equatable {
    enum Kind: Equatable {
        case text(String)
        case variableBegin, variableEnd, blockBegin, blockEnd
        case name(String)
        case string(String)
        case integer(Int)
        case float(Double)
        /// An operator or punctuation: `+`, `//`, `==`, `(`, `|`, `,`…
        case symbol(String)
        case endOfInput
    }

    let kind: Kind
    /// Offset of the token's first scalar in the normalised source.
    let offset: Int
}

/// Splits a template into tokens as jinja2's lexer (jinja2/lexer.py) does with the environment transformers
/// builds for chat templates (`trim_blocks=True, lstrip_blocks=True`, transformers/utils/chat_template_utils.py):
///
/// - line breaks (`\r\n`, `\r`) become `\n`, and one trailing newline of the template is dropped
///   (`keep_trailing_newline=False`);
/// - `{%-`, `{{-`, `{#-` strip all whitespace before the tag; `-%}`, `-}}`, `-#}` all whitespace after it;
/// - trim_blocks: the first newline after a block or comment tag is removed (`+%}` keeps it);
/// - lstrip_blocks: spaces and tabs from the start of a line up to a block or comment tag are removed (`{%+`
///   keeps them), not before `{{`;
/// - comments produce no token; `{% raw %}…{% endraw %}` produces its content as text.
struct TemplateLexer {
    /// The normalised source, as Unicode scalars (Python strings index by code point).
    let source: [Unicode.Scalar]
    /// Offsets at which each line starts, for locations.
    private let lineStarts: [Int]

    init(_ template: String) {
        var scalars: [Unicode.Scalar] = []
        scalars.reserveCapacity(template.unicodeScalars.count)
        var previousWasCarriageReturn = false
        for scalar in template.unicodeScalars {
            if scalar == "\r" {
                scalars.append("\n")
                previousWasCarriageReturn = true
                continue
            }
            if scalar == "\n" && previousWasCarriageReturn {
                previousWasCarriageReturn = false
                continue
            }
            previousWasCarriageReturn = false
            scalars.append(scalar)
        }
        if scalars.last == "\n" { scalars.removeLast() }
        source = scalars
        var starts = [0]
        for (index, scalar) in scalars.enumerated() where scalar == "\n" { starts.append(index + 1) }
        lineStarts = starts
    }

    /// The line and column of `offset`.
    func location(of offset: Int) -> SourceLocation {
        var low = 0, high = lineStarts.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if lineStarts[middle] <= offset { low = middle } else { high = middle - 1 }
        }
        return SourceLocation(line: low + 1, column: offset - lineStarts[low] + 1)
    }

    private func syntaxError(_ message: String, at offset: Int) -> ChatTemplateError {
        let location = location(of: offset)
        return .syntax(message: message, line: location.line, column: location.column)
    }

    /// All tokens, ending with `.endOfInput`.
    func tokenize() throws(ChatTemplateError) -> [TemplateToken] {
        var tokens: [TemplateToken] = []
        var position = 0
        var lineStarting = true
        let count = source.count

        func at(_ index: Int) -> Unicode.Scalar? { index < count ? source[index] : nil }
        func matches(_ literal: String, at index: Int) -> Bool {
            var cursor = index
            for scalar in literal.unicodeScalars {
                guard cursor < count, source[cursor] == scalar else { return false }
                cursor += 1
            }
            return true
        }
        func skipWhitespace(from index: Int) -> Int {
            var cursor = index
            while cursor < count, source[cursor].isPythonWhitespace { cursor += 1 }
            return cursor
        }
        func emitText(_ start: Int, _ end: Int) {
            guard start < end else { return }
            var text = String.UnicodeScalarView()
            text.append(contentsOf: source[start..<end])
            tokens.append(TemplateToken(kind: .text(String(text)), offset: start))
        }

        while position < count {
            // The next tag opening.
            var tagStart = position
            while tagStart + 1 < count {
                if source[tagStart] == "{", source[tagStart + 1] == "{" || source[tagStart + 1] == "%" || source[tagStart + 1] == "#" { break }
                tagStart += 1
            }
            guard tagStart + 1 < count else {
                emitText(position, count)
                break
            }
            let kind = source[tagStart + 1]
            let sign = at(tagStart + 2).flatMap { $0 == "-" || $0 == "+" ? $0 : nil }
            var textEnd = tagStart
            if sign == "-" {
                while textEnd > position, source[textEnd - 1].isPythonWhitespace { textEnd -= 1 }
            } else if sign != "+" && kind != "{" {
                var lineStart = textEnd
                while lineStart > position, source[lineStart - 1] != "\n" { lineStart -= 1 }
                // jinja2 strips only when the tag starts a line: after a newline in the text, or at a text that
                // itself starts a line (the template's start, or right after a tag that ended with a newline).
                let atLineStart = lineStart > position || lineStarting
                if atLineStart && (lineStart..<textEnd).allSatisfy({ source[$0].isPythonWhitespace }) {
                    textEnd = lineStart
                }
            }
            emitText(position, textEnd)
            var cursor = tagStart + 2 + (sign == nil ? 0 : 1)

            if kind == "#" {
                // The comment ends at the first `#}` (`-#}` strips what follows; trim_blocks removes one newline).
                var end = cursor
                while end + 1 < count, !(source[end] == "#" && source[end + 1] == "}") { end += 1 }
                guard end + 1 < count else { throw syntaxError("missing end of comment tag", at: tagStart) }
                cursor = end + 2
                if end > tagStart + 2 && source[end - 1] == "-" {
                    cursor = skipWhitespace(from: cursor)
                } else if !(end > tagStart + 2 && source[end - 1] == "+"), at(cursor) == "\n" {
                    cursor += 1
                }
                lineStarting = source[cursor - 1] == "\n"
                position = cursor
                continue
            }

            if kind == "%", let rawEnd = try rawBlock(tagStart: tagStart, contentStart: cursor, tokens: &tokens) {
                position = rawEnd
                lineStarting = source[rawEnd - 1] == "\n"
                continue
            }

            let isBlock = kind == "%"
            tokens.append(TemplateToken(kind: isBlock ? .blockBegin : .variableBegin, offset: tagStart))
            var brackets: [Unicode.Scalar] = []
            while true {
                cursor = skipWhitespace(from: cursor)
                guard cursor < count else {
                    throw syntaxError(isBlock ? "unexpected end of template, expected '%}'" : "unexpected end of template, expected '}}'", at: tagStart)
                }
                if brackets.isEmpty {
                    if isBlock {
                        if matches("-%}", at: cursor) {
                            tokens.append(TemplateToken(kind: .blockEnd, offset: cursor))
                            cursor = skipWhitespace(from: cursor + 3)
                            break
                        }
                        if matches("+%}", at: cursor) {
                            tokens.append(TemplateToken(kind: .blockEnd, offset: cursor))
                            cursor += 3
                            break
                        }
                        if matches("%}", at: cursor) {
                            tokens.append(TemplateToken(kind: .blockEnd, offset: cursor))
                            cursor += 2
                            if at(cursor) == "\n" { cursor += 1 }
                            break
                        }
                    } else {
                        if matches("-}}", at: cursor) {
                            tokens.append(TemplateToken(kind: .variableEnd, offset: cursor))
                            cursor = skipWhitespace(from: cursor + 3)
                            break
                        }
                        if matches("}}", at: cursor) {
                            tokens.append(TemplateToken(kind: .variableEnd, offset: cursor))
                            cursor += 2
                            break
                        }
                    }
                }
                let token = try expressionToken(at: &cursor)
                if case .symbol(let symbol) = token.kind {
                    switch symbol {
                    case "(": brackets.append(")")
                    case "[": brackets.append("]")
                    case "{": brackets.append("}")
                    case ")", "]", "}":
                        guard let expected = brackets.popLast() else {
                            throw syntaxError("unexpected '\(symbol)'", at: token.offset)
                        }
                        guard String(expected) == symbol else {
                            throw syntaxError("unexpected '\(symbol)', expected '\(expected)'", at: token.offset)
                        }
                    default: break
                    }
                }
                tokens.append(token)
            }
            lineStarting = source[cursor - 1] == "\n"
            position = cursor
        }
        tokens.append(TemplateToken(kind: .endOfInput, offset: count))
        return tokens
    }

    /// If the block tag at `tagStart` is `{% raw %}`, appends its content as text and returns the offset after
    /// the matching `{% endraw %}`; nil for any other tag.
    private func rawBlock(tagStart: Int, contentStart: Int, tokens: inout [TemplateToken]) throws(ChatTemplateError) -> Int? {
        func word(at index: Int) -> (String, Int) {
            var cursor = index
            while cursor < source.count, source[cursor].isPythonWhitespace { cursor += 1 }
            var word = ""
            while cursor < source.count, source[cursor].properties.isAlphabetic || source[cursor] == "_" {
                word.unicodeScalars.append(source[cursor])
                cursor += 1
            }
            return (word, cursor)
        }
        func closing(at index: Int) -> (end: Int, strip: Bool)? {
            var cursor = index
            while cursor < source.count, source[cursor].isPythonWhitespace { cursor += 1 }
            if cursor + 2 < source.count, source[cursor] == "-", source[cursor + 1] == "%", source[cursor + 2] == "}" { return (cursor + 3, true) }
            if cursor + 1 < source.count, source[cursor] == "%", source[cursor + 1] == "}" { return (cursor + 2, false) }
            return nil
        }
        let (name, afterName) = word(at: contentStart)
        guard name == "raw", let open = closing(at: afterName) else { return nil }
        var contentBegin = open.end
        if open.strip { while contentBegin < source.count, source[contentBegin].isPythonWhitespace { contentBegin += 1 } }
        var search = contentBegin
        while search + 1 < source.count {
            if source[search] == "{", source[search + 1] == "%" {
                var inner = search + 2
                let strips = inner < source.count && source[inner] == "-"
                if inner < source.count, source[inner] == "-" || source[inner] == "+" { inner += 1 }
                let (endName, afterEndName) = word(at: inner)
                if endName == "endraw", let close = closing(at: afterEndName) {
                    var contentEnd = search
                    if strips { while contentEnd > contentBegin, source[contentEnd - 1].isPythonWhitespace { contentEnd -= 1 } }
                    if contentBegin < contentEnd {
                        var text = String.UnicodeScalarView()
                        text.append(contentsOf: source[contentBegin..<contentEnd])
                        tokens.append(TemplateToken(kind: .text(String(text)), offset: contentBegin))
                    }
                    var end = close.end
                    if close.strip {
                        while end < source.count, source[end].isPythonWhitespace { end += 1 }
                    } else if end < source.count, source[end] == "\n" {
                        end += 1
                    }
                    return end
                }
            }
            search += 1
        }
        throw syntaxError("missing '{% endraw %}' for this raw block", at: tagStart)
    }

    /// Operators, longest first (jinja2/lexer.py `operators`).
    private static let symbols: [String] = [
        "//", "**", "==", "!=", ">=", "<=",
        "+", "-", "/", "*", "%", "~", "[", "]", "(", ")", "{", "}", ">", "<", "=", ".", ":", "|", ",", ";",
    ]

    /// One name, number, string or operator starting at `cursor` (which is not whitespace).
    private func expressionToken(at cursor: inout Int) throws(ChatTemplateError) -> TemplateToken {
        let start = cursor
        let first = source[start]
        if first == "_" || first.properties.isXIDStart {
            var name = String.UnicodeScalarView()
            while cursor < source.count, source[cursor] == "_" || source[cursor].properties.isXIDContinue {
                name.append(source[cursor])
                cursor += 1
            }
            return TemplateToken(kind: .name(String(name)), offset: start)
        }
        if first.isASCIIDigit {
            return try number(at: &cursor)
        }
        if first == "'" || first == "\"" {
            return TemplateToken(kind: .string(try stringLiteral(at: &cursor)), offset: start)
        }
        for symbol in Self.symbols {
            var matched = true
            var index = cursor
            for scalar in symbol.unicodeScalars {
                guard index < source.count, source[index] == scalar else { matched = false; break }
                index += 1
            }
            if matched {
                cursor = index
                return TemplateToken(kind: .symbol(symbol), offset: start)
            }
        }
        throw syntaxError("unexpected character '\(first)'", at: start)
    }

    /// An integer or float literal (digits may be separated by `_`); no float right after a `.` (`x.0.1`).
    private func number(at cursor: inout Int) throws(ChatTemplateError) -> TemplateToken {
        let start = cursor
        func digits() -> String {
            var text = ""
            while cursor < source.count {
                if source[cursor].isASCIIDigit {
                    text.unicodeScalars.append(source[cursor])
                } else if source[cursor] == "_", cursor + 1 < source.count, source[cursor + 1].isASCIIDigit, !text.isEmpty {
                    // separator, skipped
                } else {
                    break
                }
                cursor += 1
            }
            return text
        }
        var text = digits()
        var isFloat = false
        let afterDot = start > 0 && source[start - 1] == "."
        if !afterDot, cursor + 1 < source.count, source[cursor] == ".", source[cursor + 1].isASCIIDigit {
            cursor += 1
            text += "." + digits()
            isFloat = true
        }
        if !afterDot, cursor < source.count, source[cursor] == "e" || source[cursor] == "E" {
            var probe = cursor + 1
            var exponent = "e"
            if probe < source.count, source[probe] == "+" || source[probe] == "-" {
                exponent.unicodeScalars.append(source[probe])
                probe += 1
            }
            if probe < source.count, source[probe].isASCIIDigit {
                cursor = probe
                text += exponent + digits()
                isFloat = true
            }
        }
        if isFloat {
            guard let value = Double(text) else { throw syntaxError("invalid number '\(text)'", at: start) }
            return TemplateToken(kind: .float(value), offset: start)
        }
        guard let value = Int(text) else { throw syntaxError("integer '\(text)' is too large", at: start) }
        return TemplateToken(kind: .integer(value), offset: start)
    }

    /// A quoted string, unescaped as Python's `unicode-escape` codec does (which is what jinja2 applies).
    private func stringLiteral(at cursor: inout Int) throws(ChatTemplateError) -> String {
        let start = cursor
        let quote = source[cursor]
        cursor += 1
        var result = String.UnicodeScalarView()
        func hexValue(_ length: Int) -> UInt32? {
            guard cursor + length <= source.count else { return nil }
            var value: UInt32 = 0
            for index in cursor..<(cursor + length) {
                guard let digit = source[index].hexDigitValue else { return nil }
                value = value * 16 + UInt32(digit)
            }
            return value
        }
        while true {
            guard cursor < source.count else { throw syntaxError("unterminated string", at: start) }
            let scalar = source[cursor]
            cursor += 1
            if scalar == quote { break }
            guard scalar == "\\" else {
                result.append(scalar)
                continue
            }
            guard cursor < source.count else { throw syntaxError("unterminated string", at: start) }
            let escaped = source[cursor]
            cursor += 1
            switch escaped {
            case "n": result.append("\n")
            case "t": result.append("\t")
            case "r": result.append("\r")
            case "\\": result.append("\\")
            case "'": result.append("'")
            case "\"": result.append("\"")
            case "a": result.append("\u{07}")
            case "b": result.append("\u{08}")
            case "f": result.append("\u{0C}")
            case "v": result.append("\u{0B}")
            case "\n": break
            case "x", "u", "U":
                let length = escaped == "x" ? 2 : escaped == "u" ? 4 : 8
                guard let value = hexValue(length), let decoded = Unicode.Scalar(value) else {
                    throw syntaxError("invalid \\\(escaped) escape in string", at: cursor - 2)
                }
                result.append(decoded)
                cursor += length
            case "0"..."7":
                var value = UInt32(escaped.value - 48)
                var digits = 1
                while digits < 3, cursor < source.count, ("0"..."7").contains(source[cursor]) {
                    value = value * 8 + (source[cursor].value - 48)
                    cursor += 1
                    digits += 1
                }
                guard let decoded = Unicode.Scalar(value) else { throw syntaxError("invalid octal escape", at: cursor) }
                result.append(decoded)
            default:
                result.append("\\")
                result.append(escaped)
            }
        }
        return String(result)
    }
}

extension Unicode.Scalar {
    /// Python's `str.isspace()`: the Unicode White_Space property plus the separators U+001C–U+001F.
    var isPythonWhitespace: Bool {
        properties.isWhitespace || (0x1C...0x1F).contains(value)
    }

    var isASCIIDigit: Bool { ("0"..."9").contains(self) }

    var hexDigitValue: Int? {
        switch self {
        case "0"..."9": return Int(value - 48)
        case "a"..."f": return Int(value - 97 + 10)
        case "A"..."F": return Int(value - 65 + 10)
        default: return nil
        }
    }
}
