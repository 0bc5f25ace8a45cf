import Foundation

/// A JSON value to write out — the config.json and tokenizer.json documents Apus rebuilds from a GGUF file's
/// metadata. Objects keep their members in the order given.
///
///     JSONDocument.object([("a", .int(1)), ("b", .array([.bool(true), .null]))]).text  // {"a": 1, "b": [true, null]}
public indirect enum JSONDocument: Sendable, Equatable {
    case int(Int)
    case double(Double)
    case bool(Bool)
    case string(String)
    case array([JSONDocument])
    case object([(key: String, value: JSONDocument)])
    case null

    /// The document as JSON text (no insignificant whitespace beyond one space after `:` and `,`).
    public var text: String {
        var out = ""
        write(to: &out)
        return out
    }

    /// The document as UTF-8 JSON.
    public var data: Data { Data(text.utf8) }

    private func write(to out: inout String) {
        switch self {
        case .int(let number): out += String(number)
        case .double(let number):
            // Integral values keep a ".0" as Python's json writes floats; others use Swift's shortest round-trip
            // text (what Python's repr prints, e.g. 9.999999747378752e-06).
            if !number.isFinite {
                out += "null"
            } else if number == number.rounded(), abs(number) < 1e16 {
                out += String(Int64(number)) + ".0"
            } else {
                out += "\(number)"
            }
        case .bool(let flag): out += flag ? "true" : "false"
        case .string(let text): Self.quote(text, into: &out)
        case .array(let elements):
            out += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { out += ", " }
                element.write(to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (index, member) in members.enumerated() {
                if index > 0 { out += ", " }
                Self.quote(member.key, into: &out)
                out += ": "
                member.value.write(to: &out)
            }
            out += "}"
        case .null: out += "null"
        }
    }

    private static func quote(_ text: String, into out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    public static func == (lhs: JSONDocument, rhs: JSONDocument) -> Bool {
        switch (lhs, rhs) {
        case (.int(let a), .int(let b)): return a == b
        case (.double(let a), .double(let b)): return a == b
        case (.bool(let a), .bool(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)): return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        case (.null, .null): return true
        default: return false
        }
    }
}
