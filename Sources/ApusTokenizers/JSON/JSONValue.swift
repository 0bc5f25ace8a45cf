/// A tokenizer.json document, parsed so that every string keeps its exact Unicode scalars.
///
/// Why not `JSONSerialization` or `JSONDecoder`: both hand objects over as Swift dictionaries keyed by `String`,
/// and `String` equality is canonical equivalence, so two vocabulary entries such as "é" (U+00E9) and "e\u{301}"
/// would collapse into one key; on Linux `JSONSerialization` also drops a string's leading U+FEFF. Hugging Face
/// `tokenizers` (serde_json) keeps all of them as distinct byte strings, and so does this parser: objects keep
/// their members in order, numbers keep their literal text, and nesting stops at serde_json's limit of 128.
enum JSONValue {
    case object([Member])
    case array([JSONValue])
    case string(String)
    /// The number's literal text as written (`"101"`, `"-1.5e3"`).
    case number(String)
    case bool(Bool)
    case null

    /// One `"key": value` pair of an object.
    struct Member {
        let key: String
        let value: JSONValue
    }

    /// Deepest nesting of arrays and objects accepted (serde_json's recursion limit).
    static let maximumDepth = 128

    /// What kind of value this is, for error messages ("an object", "a string"…).
    var kind: String {
        switch self {
        case .object: return "an object"
        case .array: return "an array"
        case .string: return "a string"
        case .number: return "a number"
        case .bool: return "a boolean"
        case .null: return "null"
        }
    }

    /// Parses one JSON document from UTF-8 `bytes`; a leading byte-order mark is skipped.
    /// Errors say where (line and column, counted in bytes from 1) and what was expected.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONSyntaxError) -> JSONValue {
        var parser = JSONParser(bytes: bytes)
        return try parser.parseDocument()
    }
}

/// Why a document is not JSON, with the position of the problem.
struct JSONSyntaxError: Error, Equatable {
    /// 1-based line of the problem.
    let line: Int
    /// 1-based byte column within the line.
    let column: Int
    /// What went wrong ("expected ':' after an object key").
    let problem: String

    var description: String { "line \(line), column \(column): \(problem)" }
}

/// A recursive-descent parser over UTF-8 bytes (RFC 8259), strict like serde_json: no trailing commas, no
/// comments, no control characters inside strings, no lone surrogate escapes, invalid UTF-8 rejected.
private struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0
    var depth = 0

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { position = 3 }
    }

    mutating func parseDocument() throws(JSONSyntaxError) -> JSONValue {
        let value = try parseValue()
        skipWhitespace()
        guard position == bytes.count else { throw error("unexpected content after the JSON value") }
        return value
    }

    private func error(_ problem: String) -> JSONSyntaxError {
        var line = 1
        var lineStart = 0
        for index in 0..<min(position, bytes.count) where bytes[index] == UInt8(ascii: "\n") {
            line += 1
            lineStart = index + 1
        }
        return JSONSyntaxError(line: line, column: position - lineStart + 1, problem: problem)
    }

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    private mutating func parseValue() throws(JSONSyntaxError) -> JSONValue {
        skipWhitespace()
        guard position < bytes.count else { throw error("unexpected end of input, expected a value") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw error("unexpected character, expected a value")
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONSyntaxError) {
        let count = literal.utf8CodeUnitCount
        guard position + count <= bytes.count,
              (0..<count).allSatisfy({ bytes[position + $0] == literal.utf8Start[$0] }) else {
            throw error("invalid literal, expected \(literal)")
        }
        position += count
    }

    private mutating func enterContainer() throws(JSONSyntaxError) {
        depth += 1
        guard depth <= JSONValue.maximumDepth else { throw error("nested deeper than \(JSONValue.maximumDepth) levels") }
    }

    private mutating func parseObject() throws(JSONSyntaxError) -> JSONValue {
        try enterContainer()
        position += 1 // {
        var members: [JSONValue.Member] = []
        skipWhitespace()
        if position < bytes.count && bytes[position] == UInt8(ascii: "}") {
            position += 1
            depth -= 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw error("expected a string key") }
            let key = try parseString()
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw error("expected ':' after an object key") }
            position += 1
            members.append(JSONValue.Member(key: key, value: try parseValue()))
            skipWhitespace()
            guard position < bytes.count else { throw error("unexpected end of input inside an object") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "}") { position += 1; break }
            throw error("expected ',' or '}' in an object")
        }
        depth -= 1
        return .object(members)
    }

    private mutating func parseArray() throws(JSONSyntaxError) -> JSONValue {
        try enterContainer()
        position += 1 // [
        var elements: [JSONValue] = []
        skipWhitespace()
        if position < bytes.count && bytes[position] == UInt8(ascii: "]") {
            position += 1
            depth -= 1
            return .array(elements)
        }
        while true {
            elements.append(try parseValue())
            skipWhitespace()
            guard position < bytes.count else { throw error("unexpected end of input inside an array") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "]") { position += 1; break }
            throw error("expected ',' or ']' in an array")
        }
        depth -= 1
        return .array(elements)
    }

    private mutating func parseNumber() throws(JSONSyntaxError) -> String {
        let start = position
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        func isDigit(_ index: Int) -> Bool {
            index < bytes.count && (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index])
        }
        guard isDigit(position) else { throw error("expected a digit") }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
        } else {
            while isDigit(position) { position += 1 }
        }
        if position < bytes.count && bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard isDigit(position) else { throw error("expected a digit after '.'") }
            while isDigit(position) { position += 1 }
        }
        if position < bytes.count && (bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E")) {
            position += 1
            if position < bytes.count && (bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-")) {
                position += 1
            }
            guard isDigit(position) else { throw error("expected a digit in the exponent") }
            while isDigit(position) { position += 1 }
        }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
    }

    /// A string literal starting at the opening quote. Unescaped runs are copied as bytes, so the result holds
    /// exactly the scalars written.
    private mutating func parseString() throws(JSONSyntaxError) -> String {
        position += 1 // opening quote
        var utf8: [UInt8] = []
        var runStart = position
        while true {
            guard position < bytes.count else { throw error("unterminated string") }
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                if utf8.isEmpty {
                    let run = UnsafeBufferPointer(rebasing: bytes[runStart..<position])
                    position += 1
                    return try validatedString(run, start: runStart)
                }
                utf8.append(contentsOf: bytes[runStart..<position])
                position += 1
                return try utf8.withUnsafeBufferPointer { buffer throws(JSONSyntaxError) in try validatedString(buffer, start: runStart) }
            }
            if byte < 0x20 { throw error("control character U+00\(byte < 0x10 ? "0" : "")\(String(byte, radix: 16, uppercase: true)) inside a string must be escaped") }
            if byte != UInt8(ascii: "\\") {
                position += 1
                continue
            }
            utf8.append(contentsOf: bytes[runStart..<position])
            position += 1
            guard position < bytes.count else { throw error("unterminated escape") }
            let escaped = bytes[position]
            position += 1
            switch escaped {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escaped)
            case UInt8(ascii: "b"): utf8.append(0x08)
            case UInt8(ascii: "f"): utf8.append(0x0C)
            case UInt8(ascii: "n"): utf8.append(0x0A)
            case UInt8(ascii: "r"): utf8.append(0x0D)
            case UInt8(ascii: "t"): utf8.append(0x09)
            case UInt8(ascii: "u"):
                let scalar = try parseUnicodeEscape()
                Unicode.UTF8.encode(scalar) { utf8.append($0) }
            default:
                position -= 1
                throw error("invalid escape '\\\(Unicode.Scalar(escaped))'")
            }
            runStart = position
        }
    }

    /// The scalar of `\uXXXX` (the `\u` already consumed), joining a UTF-16 surrogate pair.
    private mutating func parseUnicodeEscape() throws(JSONSyntaxError) -> Unicode.Scalar {
        let high = try parseHexQuad()
        if (0xDC00...0xDFFF).contains(high) { throw error("lone low surrogate in \\u escape") }
        guard (0xD800...0xDBFF).contains(high) else {
            guard let scalar = Unicode.Scalar(high) else { throw error("invalid \\u escape") }
            return scalar
        }
        guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else {
            throw error("lone high surrogate in \\u escape")
        }
        position += 2
        let low = try parseHexQuad()
        guard (0xDC00...0xDFFF).contains(low),
              let scalar = Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)) else {
            throw error("invalid surrogate pair in \\u escape")
        }
        return scalar
    }

    private mutating func parseHexQuad() throws(JSONSyntaxError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw error("unterminated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error("expected four hex digits after \\u")
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }

    /// `utf8` as a String, rejecting invalid UTF-8 rather than repairing it (serde_json rejects it too).
    private func validatedString(_ utf8: UnsafeBufferPointer<UInt8>, start: Int) throws(JSONSyntaxError) -> String {
        if !utf8.allSatisfy({ $0 < 0x80 }) {
            var decoder = Unicode.UTF8.ForwardParser()
            var iterator = utf8.makeIterator()
            decoding: while true {
                switch decoder.parseScalar(from: &iterator) {
                case .valid: continue
                case .emptyInput: break decoding
                case .error:
                    var located = self
                    located.position = start
                    throw located.error("invalid UTF-8 inside a string")
                }
            }
        }
        return String(decoding: utf8, as: UTF8.self)
    }
}
