/// Why a tokenizer.json could not be used; each case names the file and the field.
public enum TokenizerError: Error, CustomStringConvertible, Equatable {
    /// The file is not valid JSON, or not an object.
    case invalidJSON(file: String, reason: String)
    /// A required field is absent or has the wrong type.
    case invalidField(file: String, field: String, expected: String)
    /// A component `type` Apus does not implement yet.
    case unsupportedComponent(file: String, component: String, type: String, supported: [String])
    /// A token the configuration refers to is not in the vocabulary.
    case unknownToken(file: String, field: String, token: String)

    public var description: String {
        switch self {
        case .invalidJSON(let file, let reason):
            return "\(file): not a valid tokenizer.json: \(reason)"
        case .invalidField(let file, let field, let expected):
            return "\(file): field '\(field)': expected \(expected)"
        case .unsupportedComponent(let file, let component, let type, let supported):
            return "\(file): \(component) type '\(type)' is not supported; supported: \(supported.joined(separator: ", "))"
        case .unknownToken(let file, let field, let token):
            return "\(file): '\(field)' names token '\(token)', which is not in the vocabulary"
        }
    }
}

/// Typed access to one JSON object of tokenizer.json, producing errors that name the field's path.
struct JSONFields {
    let object: [String: Any]
    let path: String
    let file: String

    init(_ value: Any?, path: String, file: String) throws {
        guard let object = value as? [String: Any] else {
            throw TokenizerError.invalidField(file: file, field: path, expected: "an object")
        }
        self.object = object
        self.path = path
        self.file = file
    }

    func field(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    func has(_ key: String) -> Bool { object[key] != nil && !(object[key] is NSNull) }

    func string(_ key: String) throws -> String {
        guard let value = object[key] as? String else { throw TokenizerError.invalidField(file: file, field: field(key), expected: "a string") }
        return value
    }

    func optionalString(_ key: String) throws -> String? {
        guard has(key) else { return nil }
        return try string(key)
    }

    func bool(_ key: String, default defaultValue: Bool) throws -> Bool {
        guard has(key) else { return defaultValue }
        guard let number = object[key] as? NSNumber, String(cString: number.objCType) == "c" else { throw TokenizerError.invalidField(file: file, field: field(key), expected: "true or false") }
        return number.boolValue
    }

    func optionalBool(_ key: String) throws -> Bool? {
        guard has(key) else { return nil }
        return try bool(key, default: false)
    }

    func int(_ key: String) throws -> Int {
        guard let number = jsonInteger(object[key]) else {
            throw TokenizerError.invalidField(file: file, field: field(key), expected: "an integer")
        }
        return number
    }

    func int(_ key: String, default defaultValue: Int) throws -> Int {
        has(key) ? try int(key) : defaultValue
    }

    func array(_ key: String) throws -> [Any] {
        guard let value = object[key] as? [Any] else { throw TokenizerError.invalidField(file: file, field: field(key), expected: "an array") }
        return value
    }

    func nested(_ key: String) throws -> JSONFields { try JSONFields(object[key], path: field(key), file: file) }
}

import Foundation

/// An integral JSON number as Int; nil for booleans, fractions and non-numbers. (JSONSerialization hands
/// out NSNumber, where `is Bool` is also true for 0 and 1, so booleans are told apart by their type code.)
func jsonInteger(_ value: Any?) -> Int? {
    guard let number = value as? NSNumber else { return nil }
    if String(cString: number.objCType) == "c" { return nil }
    let double = number.doubleValue
    guard double.rounded() == double, abs(double) < 9e15 else { return nil }
    return number.intValue
}
