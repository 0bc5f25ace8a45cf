/// Element types a checkpoint can store, spelled as safetensors spells them in a header's `"dtype"` field.
///
/// The reference implementation knows more (F64, I16, U16, U32, U64, C64, the F8/F6/F4 formats — see
/// `Dtype` in https://github.com/huggingface/safetensors/blob/main/safetensors/src/tensor.rs); Apus reads the
/// ones transformer checkpoints use. A new case needs its `byteSize` and a branch in `SafetensorsFile`'s readers.
public enum DType: String, Sendable, CaseIterable, CustomStringConvertible {
    /// IEEE 754 binary32.
    case float32 = "F32"
    /// IEEE 754 binary16 (half precision).
    case float16 = "F16"
    /// bfloat16: the upper 16 bits of a binary32.
    case bfloat16 = "BF16"
    /// Signed 64-bit integer.
    case int64 = "I64"
    /// Signed 32-bit integer.
    case int32 = "I32"
    /// Signed 8-bit integer.
    case int8 = "I8"
    /// Unsigned 8-bit integer.
    case uint8 = "U8"
    /// One byte per element, 0 or 1.
    case bool = "BOOL"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .int64: return 8
        case .float32, .int32: return 4
        case .float16, .bfloat16: return 2
        case .int8, .uint8, .bool: return 1
        }
    }

    /// Whether an fp32 `Tensor` can be made from this type by an exact conversion.
    public var isFloatingPoint: Bool { self == .float32 || self == .float16 || self == .bfloat16 }

    /// The safetensors spelling, e.g. `BF16`.
    public var description: String { rawValue }

    /// Every supported spelling, for error messages: `"F32, F16, BF16, I64, I32, I8, U8, BOOL"`.
    public static var supportedNames: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

extension Float {
    /// The exact value of IEEE 754 binary16 `bits` (normals, subnormals, ±0, ±inf, NaN).
    ///
    /// Written with integer operations so it works where Swift's `Float16` is unavailable (macOS on x86-64).
    /// A signalling NaN comes out quiet with its payload kept, as the F16C instruction `vcvtph2ps` and
    /// PyTorch's `c10::detail::fp16_ieee_to_fp32_value` produce it.
    ///
    ///     Float(float16Bits: 0x3C00) // 1.0
    ///     Float(float16Bits: 0x0001) // 2⁻²⁴, the smallest subnormal
    @inlinable
    public init(float16Bits bits: UInt16) {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1F
        let mantissa = UInt32(bits) & 0x3FF
        switch exponent {
        case 0x1F where mantissa == 0: // ±inf
            self.init(bitPattern: sign | 0x7F80_0000)
        case 0x1F: // NaN: payload kept, quiet bit set
            self.init(bitPattern: sign | 0x7FC0_0000 | (mantissa << 13))
        case 0: // ±0 or subnormal: mantissa · 2⁻²⁴, exact in fp32 (it has 8 more exponent bits)
            let magnitude = Float(mantissa) * 0x1p-24
            self = sign == 0 ? magnitude : -magnitude
        default: // normal: rebias the exponent from 15 to 127
            self.init(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
        }
    }

    /// The exact value of bfloat16 `bits`, which are the upper half of an fp32 (so NaNs keep their payload
    /// unchanged, as PyTorch's `c10::BFloat16` → `float` does).
    ///
    ///     Float(bfloat16Bits: 0x3F80) // 1.0
    @inlinable
    public init(bfloat16Bits bits: UInt16) {
        self.init(bitPattern: UInt32(bits) << 16)
    }
}
