/// Python's `json.dumps(value, ensure_ascii=, indent=, separators=, sort_keys=)`, which transformers installs as
/// the templates' `tojson` filter (transformers/utils/chat_template_utils.py) in place of jinja2's HTML-escaping
/// one: `ensure_ascii=False` by default, so non-ASCII text is written as is.
struct PythonJSONEncoder {
    var ensureASCII = false
    /// The indent of one level; nil writes everything on one line.
    var indent: String?
    var itemSeparator: String
    var keySeparator: String
    var sortKeys = false

    /// Python's defaults: `", "` between items on one line, `","` when indenting; `": "` after keys.
    init(ensureASCII: Bool = false, indent: String? = nil, separators: (String, String)? = nil, sortKeys: Bool = false) {
        self.ensureASCII = ensureASCII
        self.indent = indent
        self.itemSeparator = separators?.0 ?? (indent == nil ? ", " : ",")
        self.keySeparator = separators?.1 ?? ": "
        self.sortKeys = sortKeys
    }

    func encode(_ value: Value) throws(TemplateFailure) -> String {
        var output = ""
        try write(value, depth: 0, into: &output)
        return output
    }

    private func newline(_ depth: Int, into output: inout String) {
        guard let indent else { return }
        output += "\n"
        for _ in 0..<depth { output += indent }
    }

    private func write(_ value: Value, depth: Int, into output: inout String) throws(TemplateFailure) {
        switch value {
        case .none: output += "null"
        case .boolean(let flag): output += flag ? "true" : "false"
        case .integer(let number): output += String(number)
        case .float(let number):
            if number.isNaN { output += "NaN" } else if number.isInfinite { output += number < 0 ? "-Infinity" : "Infinity" } else {
                output += pythonFloatRepresentation(number)
            }
        case .string(let text): writeString(text, into: &output)
        case .list(let values), .tuple(let values):
            guard !values.isEmpty else { output += "[]"; return }
            output += "["
            for (index, element) in values.enumerated() {
                if index > 0 { output += itemSeparator }
                newline(depth + 1, into: &output)
                try write(element, depth: depth + 1, into: &output)
            }
            newline(depth, into: &output)
            output += "]"
        case .dictionary(let dictionary):
            guard dictionary.count > 0 else { output += "{}"; return }
            var items = dictionary.items
            if sortKeys { items.sort { $0.key.unicodeScalars.lexicographicallyPrecedes($1.key.unicodeScalars) } }
            output += "{"
            for (index, item) in items.enumerated() {
                if index > 0 { output += itemSeparator }
                newline(depth + 1, into: &output)
                writeString(item.key, into: &output)
                output += keySeparator
                try write(item.value, depth: depth + 1, into: &output)
            }
            newline(depth, into: &output)
            output += "}"
        case .undefined, .namespace, .callable:
            throw .rendering("Object of type \(value.typeName) is not JSON serializable")
        }
    }

    private func writeString(_ text: String, into output: inout String) {
        output += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "\u{08}": output += "\\b"
            case "\u{0C}": output += "\\f"
            default:
                if scalar.value < 0x20 || (ensureASCII && scalar.value > 0x7E) {
                    if scalar.value > 0xFFFF {
                        // Python writes characters outside the BMP as a UTF-16 surrogate pair.
                        let offset = scalar.value - 0x10000
                        output += unicodeEscape(0xD800 + (offset >> 10)) + unicodeEscape(0xDC00 + (offset & 0x3FF))
                    } else {
                        output += unicodeEscape(scalar.value)
                    }
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
        output += "\""
    }

    private func unicodeEscape(_ value: UInt32) -> String {
        let hex = String(value, radix: 16)
        return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
    }
}
