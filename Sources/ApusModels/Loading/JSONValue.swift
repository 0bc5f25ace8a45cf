/// A JSON document parsed strictly, for the files Apus checks before trusting them (safetensors headers,
/// `model.safetensors.index.json`).
///
/// Why not `JSONSerialization`: it silently keeps one of two members with the same key (a safetensors header
/// must not name a tensor twice), turns numbers into `NSNumber`s (offsets above 2⁵³ lose precision, and on
/// Linux `true` and `1` are hard to tell apart), and recurses without limit on input a 100 MB header could
/// hold. Here objects keep their members in order, duplicates included, numbers keep their literal text, and
/// nesting stops at 128 levels as in serde_json, which the reference safetensors implementation uses.
enum JSONValue: Equatable, Sendable {
    case object([Member])
    case array([JSONValue])
    case string(String)
    /// The number's literal text, exactly as written (`"12"`, `"-1.5e3"`).
    case number(String)
    case bool(Bool)
    case null

    /// One `"key": value` pair of an object.
    struct Member: Equatable, Sendable {
        let key: String
        let value: JSONValue
    }

    /// Why a document could not be parsed; offsets count bytes from the start of the input.
    enum ParseError: Error, Equatable {
        case invalidUTF8(offset: Int)
        case syntax(offset: Int, problem: String)
    }

    /// Deepest nesting of objects and arrays accepted (serde_json's default recursion limit).
    static let maximumDepth = 128

    /// Parses `bytes`, which must be UTF-8 holding exactly one JSON value (whitespace around it is allowed).
    static func parse(_ bytes: UnsafeRawBufferPointer) throws(ParseError) -> JSONValue {
        if let offset = firstInvalidUTF8Offset(bytes) { throw .invalidUTF8(offset: offset) }
        var parser = JSONParser(bytes: bytes)
        return try parser.parseDocument()
    }

    /// What kind of value this is, for messages: "an object", "a string"….
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

    /// The value as an `Int` when it is an integer literal (no fraction, no exponent) that fits in one.
    var integer: Int? {
        guard case .number(let literal) = self else { return nil }
        return Int(literal)
    }

    /// A short rendering for messages: numbers and literals as written, strings quoted, containers elided.
    var shortText: String {
        switch self {
        case .object: return "{…}"
        case .array: return "[…]"
        case .string(let text): return "\"\(text)\""
        case .number(let literal): return literal
        case .bool(let value): return value ? "true" : "false"
        case .null: return "null"
        }
    }

    /// Byte offset of the first byte that does not continue valid UTF-8, or nil when all of `bytes` is valid.
    static func firstInvalidUTF8Offset(_ bytes: UnsafeRawBufferPointer) -> Int? {
        var iterator = bytes.makeIterator()
        var decoder = Unicode.UTF8()
        var offset = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): offset += Unicode.UTF8.width(scalar)
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }
}

/// A recursive-descent parser over RFC 8259 JSON (https://www.rfc-editor.org/rfc/rfc8259).
private struct JSONParser {
    let bytes: UnsafeRawBufferPointer
    var position = 0
    var depth = 0

    init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    private var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    private func failure(_ problem: String, at offset: Int? = nil) -> JSONValue.ParseError {
        .syntax(offset: offset ?? position, problem: problem)
    }

    /// What is at the current position, for messages.
    private var found: String {
        guard let byte = current else { return "the end of the input" }
        if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x\(String(byte, radix: 16, uppercase: true))"
    }

    mutating func parseDocument() throws(JSONValue.ParseError) -> JSONValue {
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        guard position == bytes.count else { throw failure("unexpected \(found) after the JSON value") }
        return value
    }

    private mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { position += 1 }
    }

    private mutating func parseValue() throws(JSONValue.ParseError) -> JSONValue {
        guard let byte = current else { throw failure("expected a value, found the end of the input") }
        switch byte {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw failure("expected a value, found \(found)")
        }
    }

    private mutating func enterContainer() throws(JSONValue.ParseError) {
        depth += 1
        guard depth <= JSONValue.maximumDepth else {
            throw failure("objects and arrays nested deeper than \(JSONValue.maximumDepth) levels")
        }
        position += 1 // the opening bracket
    }

    private mutating func parseObject() throws(JSONValue.ParseError) -> JSONValue {
        try enterContainer()
        defer { depth -= 1 }
        var members: [JSONValue.Member] = []
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw failure("expected a string key, found \(found)") }
            let key = try parseString()
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw failure("expected ':' after key \"\(key)\", found \(found)") }
            position += 1
            skipWhitespace()
            members.append(JSONValue.Member(key: key, value: try parseValue()))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"): position += 1; return .object(members)
            default: throw failure("expected ',' or '}' in an object, found \(found)")
            }
        }
    }

    private mutating func parseArray() throws(JSONValue.ParseError) -> JSONValue {
        try enterContainer()
        defer { depth -= 1 }
        var elements: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            position += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue())
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "]"): position += 1; return .array(elements)
            default: throw failure("expected ',' or ']' in an array, found \(found)")
            }
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONValue.ParseError) {
        let start = position
        let text = UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        guard position + text.count <= bytes.count,
              text.indices.allSatisfy({ bytes[position + $0] == text[$0] })
        else { throw failure("expected a value, found \(found)", at: start) }
        position += text.count
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, kept as text.
    private mutating func parseNumber() throws(JSONValue.ParseError) -> JSONValue {
        let start = position
        func isDigit(_ byte: UInt8?) -> Bool { byte.map { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } ?? false }
        if current == UInt8(ascii: "-") { position += 1 }
        guard isDigit(current) else { throw failure("expected a digit, found \(found)") }
        if current == UInt8(ascii: "0") {
            position += 1
        } else {
            while isDigit(current) { position += 1 }
        }
        if current == UInt8(ascii: ".") {
            position += 1
            guard isDigit(current) else { throw failure("expected a digit after '.', found \(found)") }
            while isDigit(current) { position += 1 }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            position += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
            guard isDigit(current) else { throw failure("expected a digit in the exponent, found \(found)") }
            while isDigit(current) { position += 1 }
        }
        return .number(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self))
    }

    private mutating func parseString() throws(JSONValue.ParseError) -> String {
        let opening = position
        position += 1
        // Most strings have no escapes: decode them straight from the input.
        let start = position
        while let byte = current, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
            guard byte >= 0x20 else { throw failure("unescaped control character 0x\(String(byte, radix: 16)) in a string") }
            position += 1
        }
        if current == UInt8(ascii: "\"") {
            position += 1
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<(position - 1)]), as: UTF8.self)
        }
        var text = Array(bytes[start..<position])
        while let byte = current {
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                return String(decoding: text, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try parseEscape(into: &text)
            case 0..<0x20:
                throw failure("unescaped control character 0x\(String(byte, radix: 16)) in a string")
            default:
                text.append(byte)
                position += 1
            }
        }
        throw failure("unterminated string", at: opening)
    }

    private mutating func parseEscape(into text: inout [UInt8]) throws(JSONValue.ParseError) {
        let escapeStart = position
        position += 1 // the backslash
        guard let code = current else { throw failure("unterminated string", at: escapeStart) }
        position += 1
        switch code {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(code)
        case UInt8(ascii: "b"): text.append(0x08)
        case UInt8(ascii: "f"): text.append(0x0C)
        case UInt8(ascii: "n"): text.append(0x0A)
        case UInt8(ascii: "r"): text.append(0x0D)
        case UInt8(ascii: "t"): text.append(0x09)
        case UInt8(ascii: "u"):
            var value = try parseHexQuad()
            if (0xD800...0xDBFF).contains(value) {
                // A UTF-16 surrogate pair written as two escapes: \uD83D\uDE00.
                guard current == UInt8(ascii: "\\"), position + 1 < bytes.count, bytes[position + 1] == UInt8(ascii: "u") else {
                    throw failure("high surrogate without a following low surrogate", at: escapeStart)
                }
                position += 2
                let low = try parseHexQuad()
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw failure("high surrogate without a following low surrogate", at: escapeStart)
                }
                value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let scalar = Unicode.Scalar(value) else { throw failure("lone low surrogate", at: escapeStart) }
            Unicode.UTF8.encode(scalar) { text.append($0) }
        default:
            throw failure("invalid escape '\\\(Character(Unicode.Scalar(code)))'", at: escapeStart)
        }
    }

    private mutating func parseHexQuad() throws(JSONValue.ParseError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = current, let digit = Self.hexDigitValue(byte) else {
                throw failure("expected four hexadecimal digits after \\u, found \(found)")
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    private static func hexDigitValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(byte - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }
}
