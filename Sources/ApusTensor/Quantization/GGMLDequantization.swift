/// Turns ggml tensor data (plain or block-quantised) into fp32, element for element as gguf-py's
/// `gguf.quants.dequantize` does — the function transformers' GGUF loader calls — so a GGUF loads to the same
/// numbers as its transformers conversion.
///
/// The block layouts are those of `ggml-common.h` in llama.cpp (`block_q4_0`, `block_q4_K`, …); each
/// `dequantize…` below follows the matching `dequantize_blocks` of gguf-py's `quants.py`, including the order of
/// float operations (`(d · scale) · q − dmin · min`), which decides the last bit. Multi-byte fields are
/// little-endian, as GGUF files are. Portable Swift, one block at a time; a SIMD path can be compared with it.
///
///     var out = [Float](repeating: 0, count: 32)
///     out.withUnsafeMutableBufferPointer { GGMLDequantization.dequantize(.q8_0, blockBytes, into: $0) }
public enum GGMLDequantization {
    /// Dequantises `destination.count` elements of `type` stored in `source` (whole blocks, exactly
    /// `destination.count / type.blockSize · type.typeSize` bytes). Callers check `type.isDequantizable` and the
    /// sizes first: anything else is a programmer error.
    public static func dequantize(_ type: GGMLType, _ source: UnsafeRawBufferPointer, into destination: UnsafeMutableBufferPointer<Float>) {
        precondition(type.isDequantizable, "GGMLDequantization cannot read \(type)")
        precondition(destination.count % type.blockSize == 0, "\(destination.count) elements are not whole \(type) blocks")
        let blocks = destination.count / type.blockSize
        precondition(source.count == blocks * type.typeSize, "\(type): \(source.count) bytes for \(blocks) blocks")
        guard blocks > 0, let input = source.baseAddress, let output = destination.baseAddress else { return }
        let step = type.typeSize, width = type.blockSize
        let block: (UnsafeRawPointer, UnsafeMutablePointer<Float>) -> Void
        switch type {
        case .f32: block = { $1.pointee = Float(bitPattern: UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self))) }
        case .f16: block = { $1.pointee = half($0, 0) }
        case .bf16: block = { $1.pointee = Float(bfloat16Bits: UInt16(littleEndian: $0.loadUnaligned(as: UInt16.self))) }
        case .q4_0: block = dequantizeQ4_0
        case .q4_1: block = dequantizeQ4_1
        case .q5_0: block = dequantizeQ5_0
        case .q5_1: block = dequantizeQ5_1
        case .q8_0: block = dequantizeQ8_0
        case .q2_K: block = dequantizeQ2_K
        case .q3_K: block = dequantizeQ3_K
        case .q4_K: block = dequantizeQ4_K
        case .q5_K: block = dequantizeQ5_K
        case .q6_K: block = dequantizeQ6_K
        case .q8_K: block = dequantizeQ8_K
        default: preconditionFailure("unreachable: \(type) is not dequantizable")
        }
        for index in 0..<blocks {
            block(input + index * step, output + index * width)
        }
    }

    // MARK: Fields

    /// The binary16 at `offset`, exactly.
    @inline(__always)
    private static func half(_ block: UnsafeRawPointer, _ offset: Int) -> Float {
        Float(float16Bits: UInt16(littleEndian: block.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }

    /// The byte at `offset`.
    @inline(__always)
    private static func byte(_ block: UnsafeRawPointer, _ offset: Int) -> UInt8 {
        block.load(fromByteOffset: offset, as: UInt8.self)
    }

    // MARK: 32-element blocks

    /// `block_q4_0`: fp16 `d`, 16 bytes of nibbles (low nibbles are elements 0–15, high ones 16–31); x = d·(q − 8).
    static func dequantizeQ4_0(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        for j in 0..<16 {
            let q = byte(block, 2 + j)
            out[j] = d * Float(Int(q & 0x0F) - 8)
            out[j + 16] = d * Float(Int(q >> 4) - 8)
        }
    }

    /// `block_q4_1`: fp16 `d` and `m`, 16 bytes of nibbles; x = d·q + m.
    static func dequantizeQ4_1(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0), m = half(block, 2)
        for j in 0..<16 {
            let q = byte(block, 4 + j)
            out[j] = d * Float(q & 0x0F) + m
            out[j + 16] = d * Float(q >> 4) + m
        }
    }

    /// `block_q5_0`: fp16 `d`, 32 fifth bits (`qh`, bit i for element i), 16 bytes of nibbles; x = d·(q − 16).
    static func dequantizeQ5_0(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let high = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
        for j in 0..<16 {
            let q = byte(block, 6 + j)
            let low = Int(q & 0x0F) | Int((high >> UInt32(j)) & 1) << 4
            let upper = Int(q >> 4) | Int((high >> UInt32(j + 16)) & 1) << 4
            out[j] = d * Float(low - 16)
            out[j + 16] = d * Float(upper - 16)
        }
    }

    /// `block_q5_1`: fp16 `d` and `m`, 32 fifth bits, 16 bytes of nibbles; x = d·q + m.
    static func dequantizeQ5_1(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0), m = half(block, 2)
        let high = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        for j in 0..<16 {
            let q = byte(block, 8 + j)
            let low = UInt32(q & 0x0F) | ((high >> UInt32(j)) & 1) << 4
            let upper = UInt32(q >> 4) | ((high >> UInt32(j + 16)) & 1) << 4
            out[j] = d * Float(low) + m
            out[j + 16] = d * Float(upper) + m
        }
    }

    /// `block_q8_0`: fp16 `d`, 32 signed bytes; x = q·d.
    static func dequantizeQ8_0(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        for j in 0..<32 {
            out[j] = Float(Int8(bitPattern: byte(block, 2 + j))) * d
        }
    }

    // MARK: 256-element "K" super-blocks

    /// `block_q2_K`: 16 bytes of 4-bit scale/min pairs, 64 bytes of 2-bit quants, fp16 `d`, fp16 `dmin`.
    /// Element e = 128c + 32s + l is bits 2s of byte 32c + l; group e/16 has x = (d·scale)·q − dmin·min.
    static func dequantizeQ2_K(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 80), dmin = half(block, 82)
        for group in 0..<16 {
            let packed = byte(block, group)
            let scale = d * Float(packed & 0x0F), minimum = dmin * Float(packed >> 4)
            for i in 0..<16 {
                let e = group * 16 + i
                let chunk = e / 128, shift = (e % 128) / 32, l = e % 32
                let q = (byte(block, 16 + chunk * 32 + l) >> UInt8(2 * shift)) & 3
                out[e] = scale * Float(q) - minimum
            }
        }
    }

    /// `block_q3_K`: 32 bytes of high-bit masks, 64 bytes of 2-bit quants, 12 bytes of 6-bit scales, fp16 `d`.
    /// Scale k: low 4 bits from byte k % 8 (nibble k / 8), high 2 bits from byte 8 + k % 4 (bits 2·(k / 4));
    /// a set high bit means no offset: q = low2 − (high bit clear ? 4 : 0); x = (d·(scale − 32))·q.
    static func dequantizeQ3_K(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 108)
        for group in 0..<16 {
            let low = (byte(block, 96 + group % 8) >> UInt8(4 * (group / 8))) & 0x0F
            let high = (byte(block, 104 + group % 4) >> UInt8(2 * (group / 4))) & 0x03
            let scale = d * Float(Int(low | high << 4) - 32)
            for i in 0..<16 {
                let e = group * 16 + i
                let chunk = e / 128, shift = (e % 128) / 32, l = e % 32
                let q = Int((byte(block, 32 + chunk * 32 + l) >> UInt8(2 * shift)) & 3)
                let mask = (byte(block, e % 32) >> UInt8(e / 32)) & 1
                out[e] = scale * Float(q - (mask == 0 ? 4 : 0))
            }
        }
    }

    /// The eight 6-bit (scale, min) pairs packed in the 12 bytes at `offset` of a Q4_K or Q5_K block
    /// (`get_scale_min_k4` in ggml-quants.c).
    @inline(__always)
    private static func scaleAndMin(_ block: UnsafeRawPointer, _ offset: Int, _ k: Int) -> (scale: UInt8, min: UInt8) {
        if k < 4 {
            return (byte(block, offset + k) & 0x3F, byte(block, offset + 4 + k) & 0x3F)
        }
        let packed = byte(block, offset + 8 + k - 4)
        return ((packed & 0x0F) | ((byte(block, offset + k - 4) >> 2) & 0x30),
                (packed >> 4) | ((byte(block, offset + k) >> 2) & 0x30))
    }

    /// `block_q4_K`: fp16 `d`, fp16 `dmin`, 12 bytes of scales/mins, 128 bytes of nibbles. Sub-block k (32
    /// elements) reads the low (k even) or high (k odd) nibbles of bytes 32·(k/2)…; x = (d·scale)·q − dmin·min.
    static func dequantizeQ4_K(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0), dmin = half(block, 2)
        for k in 0..<8 {
            let (sc, mn) = scaleAndMin(block, 4, k)
            let scale = d * Float(sc), minimum = dmin * Float(mn)
            let shift = UInt8(4 * (k % 2)), base = 16 + 32 * (k / 2)
            for l in 0..<32 {
                let q = (byte(block, base + l) >> shift) & 0x0F
                out[k * 32 + l] = scale * Float(q) - minimum
            }
        }
    }

    /// `block_q5_K`: as Q4_K plus 32 bytes of fifth bits (bit k of byte l for element 32k + l) before the nibbles.
    static func dequantizeQ5_K(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0), dmin = half(block, 2)
        for k in 0..<8 {
            let (sc, mn) = scaleAndMin(block, 4, k)
            let scale = d * Float(sc), minimum = dmin * Float(mn)
            let shift = UInt8(4 * (k % 2)), base = 48 + 32 * (k / 2)
            for l in 0..<32 {
                let q = (byte(block, base + l) >> shift) & 0x0F | ((byte(block, 16 + l) >> UInt8(k)) & 1) << 4
                out[k * 32 + l] = scale * Float(q) - minimum
            }
        }
    }

    /// `block_q6_K`: 128 bytes of low nibbles, 64 bytes of 2-bit highs, 16 signed scales, fp16 `d`.
    /// Element e = 128c + r: low nibble from byte 64c + r % 64 (shift 4·(r / 64)), high bits from byte 32c + r % 32
    /// (shift 2·(r / 32)); x = (d·scale[e/16])·(q − 32).
    static func dequantizeQ6_K(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 208)
        for group in 0..<16 {
            let scale = d * Float(Int8(bitPattern: byte(block, 192 + group)))
            for i in 0..<16 {
                let e = group * 16 + i
                let chunk = e / 128, r = e % 128
                let low = (byte(block, 64 * chunk + r % 64) >> UInt8(4 * (r / 64))) & 0x0F
                let high = (byte(block, 128 + 32 * chunk + r % 32) >> UInt8(2 * (r / 32))) & 0x03
                out[e] = scale * Float(Int(low | high << 4) - 32)
            }
        }
    }

    /// `block_q8_K`: fp32 `d`, 256 signed bytes, 16 int16 block sums (unused here); x = d·q
    /// (`dequantize_row_q8_K` in ggml-quants.c).
    static func dequantizeQ8_K(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = Float(bitPattern: UInt32(littleEndian: block.loadUnaligned(as: UInt32.self)))
        for j in 0..<256 {
            out[j] = d * Float(Int8(bitPattern: byte(block, 4 + j)))
        }
    }
}
