/// One JSON object of a tokenizer.json with typed accessors whose errors name the file, the field's path and
/// what was expected there (`model.max_input_chars_per_word: expected an integer, found a string`).
///
/// Keys are compared by their exact UTF-8 bytes; when a key appears twice the last occurrence wins (as
/// serde_json does for maps).
struct JSONObject {
    let members: [JSONValue.Member]
    /// Where this object sits in the file (`""` for the top level).
    let path: String
    /// The file's name for messages.
    let file: String

    /// `value` as an object at `path`, or an error saying an object was expected.
    init(_ value: JSONValue, path: String, file: String) throws(TokenizerError) {
        guard case .object(let members) = value else {
            throw TokenizerError.invalidField(file: file, field: path.isEmpty ? "(top level)" : path, expected: "an object, found \(value.kind)")
        }
        self.members = members
        self.path = path
        self.file = file
    }

    /// The path of member `key`, for messages.
    func path(of key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The value of `key`, if present (null included).
    subscript(key: String) -> JSONValue? {
        members.last { $0.key.utf8.elementsEqual(key.utf8) }?.value
    }

    /// Whether `key` is present with a non-null value.
    func has(_ key: String) -> Bool {
        switch self[key] {
        case .none, .null?: return false
        default: return true
        }
    }

    /// An error for `key` holding something other than `expected`.
    func mismatch(_ key: String, expected: String) -> TokenizerError {
        let found = self[key].map { "found \($0.kind)" } ?? "it is missing"
        return .invalidField(file: file, field: path(of: key), expected: "\(expected), \(found)")
    }

    /// The string at `key`.
    func string(_ key: String) throws(TokenizerError) -> String {
        guard case .string(let value)? = self[key] else { throw mismatch(key, expected: "a string") }
        return value
    }

    /// The string at `key`, or nil when absent or null.
    func optionalString(_ key: String) throws(TokenizerError) -> String? {
        has(key) ? try string(key) : nil
    }

    /// The boolean at `key`.
    func bool(_ key: String) throws(TokenizerError) -> Bool {
        guard case .bool(let value)? = self[key] else { throw mismatch(key, expected: "true or false") }
        return value
    }

    /// The boolean at `key`, or `defaultValue` when absent or null.
    func bool(_ key: String, default defaultValue: Bool) throws(TokenizerError) -> Bool {
        has(key) ? try bool(key) : defaultValue
    }

    /// The boolean at `key`, or nil when absent or null (tokenizers' `Option<bool>`).
    func optionalBool(_ key: String) throws(TokenizerError) -> Bool? {
        has(key) ? try bool(key) : nil
    }

    /// The non-negative integer at `key` (ids, lengths: Rust `u32`/`usize` fields).
    func count(_ key: String) throws(TokenizerError) -> Int {
        guard let value = self[key], let integer = value.nonNegativeInteger else {
            throw mismatch(key, expected: "a non-negative integer")
        }
        return integer
    }

    /// The non-negative integer at `key`, or `defaultValue` when absent or null.
    func count(_ key: String, default defaultValue: Int) throws(TokenizerError) -> Int {
        has(key) ? try count(key) : defaultValue
    }

    /// The array at `key`.
    func array(_ key: String) throws(TokenizerError) -> [JSONValue] {
        guard case .array(let value)? = self[key] else { throw mismatch(key, expected: "an array") }
        return value
    }

    /// The object at `key`.
    func object(_ key: String) throws(TokenizerError) -> JSONObject {
        guard let value = self[key] else { throw mismatch(key, expected: "an object") }
        return try JSONObject(value, path: path(of: key), file: file)
    }

    /// Element `index` of the array at `key` as an object.
    func object(in key: String, at index: Int, _ value: JSONValue) throws(TokenizerError) -> JSONObject {
        try JSONObject(value, path: "\(path(of: key))[\(index)]", file: file)
    }
}

extension JSONValue {
    /// The value as an `Int` when it is a non-negative integer literal (no sign, fraction or exponent) that fits.
    var nonNegativeInteger: Int? {
        guard case .number(let literal) = self, let value = Int(literal), value >= 0 else { return nil }
        return value
    }
}
