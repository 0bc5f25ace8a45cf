/// Element types a checkpoint can store, spelled as safetensors spells them.
public enum DType: String, Sendable, CaseIterable {
    case float32 = "F32"
    case float16 = "F16"
    case bfloat16 = "BF16"
    case int64 = "I64"
    case int32 = "I32"
    case int8 = "I8"
    case uint8 = "U8"
    case bool = "BOOL"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .float32, .int32: return 4
        case .float16, .bfloat16: return 2
        case .int64: return 8
        case .int8, .uint8, .bool: return 1
        }
    }

    /// Whether `Tensor` (fp32) can be made from this type by an exact conversion.
    public var isFloatingPoint: Bool { self == .float32 || self == .float16 || self == .bfloat16 }
}

/// Converts IEEE half-precision bits to Float exactly (normals, subnormals, ±0, ±inf, NaN).
@inline(__always)
public func floatFromHalfBits(_ bits: UInt16) -> Float {
    let sign = UInt32(bits & 0x8000) << 16
    let exponent = Int((bits >> 10) & 0x1F)
    let mantissa = UInt32(bits & 0x3FF)
    if exponent == 0x1F { // inf / NaN: keep the payload
        return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
    }
    if exponent == 0 { // zero or subnormal: mantissa · 2⁻²⁴
        let magnitude = Float(mantissa) * 0x1p-24
        return sign == 0 ? magnitude : -magnitude
    }
    return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
}

/// Converts bfloat16 bits (the top half of an fp32) to Float exactly.
@inline(__always)
public func floatFromBFloat16Bits(_ bits: UInt16) -> Float {
    Float(bitPattern: UInt32(bits) << 16)
}
