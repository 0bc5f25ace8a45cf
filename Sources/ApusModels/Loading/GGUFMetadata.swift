/// One metadata value of a GGUF file, with the type the file gave it (GGUF's `gguf_metadata_value_type`,
/// https://github.com/ggml-org/ggml/blob/master/docs/gguf.md).
public enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8)
    case int8(Int8)
    case uint16(UInt16)
    case int16(Int16)
    case uint32(UInt32)
    case int32(Int32)
    case uint64(UInt64)
    case int64(Int64)
    case float32(Float)
    case float64(Double)
    case bool(Bool)
    case string(String)
    /// An array of one element type (given even when the array is empty).
    case array(GGUFValueType, [GGUFValue])

    /// The value as an `Int` when it is an integer of any width that fits in one.
    public var integer: Int? {
        switch self {
        case .uint8(let value): return Int(value)
        case .int8(let value): return Int(value)
        case .uint16(let value): return Int(value)
        case .int16(let value): return Int(value)
        case .uint32(let value): return Int(value)
        case .int32(let value): return Int(value)
        case .uint64(let value): return Int(exactly: value)
        case .int64(let value): return Int(exactly: value)
        default: return nil
        }
    }

    /// The value as a `Double` when it is a float (either width) or an integer.
    public var number: Double? {
        switch self {
        case .float32(let value): return Double(value)
        case .float64(let value): return value
        default: return integer.map(Double.init)
        }
    }

    /// The type, for messages: `uint32`, `array of string`….
    public var typeName: String {
        switch self {
        case .uint8: return "uint8"
        case .int8: return "int8"
        case .uint16: return "uint16"
        case .int16: return "int16"
        case .uint32: return "uint32"
        case .int32: return "int32"
        case .uint64: return "uint64"
        case .int64: return "int64"
        case .float32: return "float32"
        case .float64: return "float64"
        case .bool: return "bool"
        case .string: return "a string"
        case .array(let type, let values): return "an array of \(values.count) \(type)"
        }
    }
}

/// GGUF's value type numbers.
public enum GGUFValueType: UInt32, Sendable, CustomStringConvertible {
    case uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5, float32 = 6, bool = 7, string = 8,
         array = 9, uint64 = 10, int64 = 11, float64 = 12

    /// Bytes one value of this type takes at least (a string: its 8-byte length; an array: type and count).
    var minimumSize: Int {
        switch self {
        case .uint8, .int8, .bool: return 1
        case .uint16, .int16: return 2
        case .uint32, .int32, .float32: return 4
        case .uint64, .int64, .float64, .string: return 8
        case .array: return 12
        }
    }

    /// The spelling of gguf.md, e.g. `uint32`.
    public var description: String {
        switch self {
        case .uint8: return "uint8"
        case .int8: return "int8"
        case .uint16: return "uint16"
        case .int16: return "int16"
        case .uint32: return "uint32"
        case .int32: return "int32"
        case .float32: return "float32"
        case .bool: return "bool"
        case .string: return "string"
        case .array: return "array"
        case .uint64: return "uint64"
        case .int64: return "int64"
        case .float64: return "float64"
        }
    }
}

/// Typed reads of a GGUF file's metadata: nil when the key is absent, `GGUFError.metadataType` when it holds
/// another type.
///
///     let layers = try file.int("llama.block_count")           // 30
///     let tokens = try file.stringArray("tokenizer.ggml.tokens")
extension GGUFFile {
    /// The value of `key`, of whatever type, or nil.
    public func value(_ key: String) -> GGUFValue? { metadata[key] }

    /// String `key`.
    public func string(_ key: String) throws(GGUFError) -> String? {
        guard let value = metadata[key] else { return nil }
        guard case .string(let text) = value else { throw mismatch(key, "a string", value) }
        return text
    }

    /// Integer `key` of any integer type (uint8 … int64) that fits in `Int`.
    public func int(_ key: String) throws(GGUFError) -> Int? {
        guard let value = metadata[key] else { return nil }
        guard let integer = value.integer else { throw mismatch(key, "an integer", value) }
        return integer
    }

    /// Number `key`: a float32 or float64 (an integer is accepted too, as writers differ).
    public func float(_ key: String) throws(GGUFError) -> Double? {
        guard let value = metadata[key] else { return nil }
        guard let number = value.number else { throw mismatch(key, "a number", value) }
        return number
    }

    /// Boolean `key`.
    public func bool(_ key: String) throws(GGUFError) -> Bool? {
        guard let value = metadata[key] else { return nil }
        guard case .bool(let flag) = value else { throw mismatch(key, "a bool", value) }
        return flag
    }

    /// Array-of-strings `key`.
    public func stringArray(_ key: String) throws(GGUFError) -> [String]? {
        guard let value = metadata[key] else { return nil }
        guard case .array(.string, let elements) = value else { throw mismatch(key, "an array of string", value) }
        return elements.map { if case .string(let text) = $0 { text } else { "" } }
    }

    /// Array-of-integers `key` (any integer element type).
    public func intArray(_ key: String) throws(GGUFError) -> [Int]? {
        guard let value = metadata[key] else { return nil }
        guard case .array(_, let elements) = value else { throw mismatch(key, "an array of integers", value) }
        var integers: [Int] = []
        integers.reserveCapacity(elements.count)
        for element in elements {
            guard let integer = element.integer else { throw mismatch(key, "an array of integers", value) }
            integers.append(integer)
        }
        return integers
    }

    /// Array-of-numbers `key` (float32, float64 or integer elements), as `Float`.
    public func floatArray(_ key: String) throws(GGUFError) -> [Float]? {
        guard let value = metadata[key] else { return nil }
        guard case .array(_, let elements) = value else { throw mismatch(key, "an array of numbers", value) }
        var numbers: [Float] = []
        numbers.reserveCapacity(elements.count)
        for element in elements {
            if case .float32(let number) = element {
                numbers.append(number)
            } else if let number = element.number {
                numbers.append(Float(number))
            } else {
                throw mismatch(key, "an array of numbers", value)
            }
        }
        return numbers
    }

    private func mismatch(_ key: String, _ expected: String, _ value: GGUFValue) -> GGUFError {
        .metadataType(file: url.path, key: key, expected: expected, actual: value.typeName)
    }
}
