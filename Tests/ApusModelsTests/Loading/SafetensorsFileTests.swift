import ApusTensor
import Foundation
import Testing
@testable import ApusModels

/// Well-formed safetensors files: every dtype read back exactly, scalars and zero-size tensors, metadata,
/// borrowing versus copying, and the errors of asking for the wrong thing.
struct SafetensorsFileTests {
    typealias Writer = SafetensorsWriter

    // F16 patterns and their exact values: 1, -2, ±0, smallest and largest subnormal, smallest and largest normal, ±inf, 1/3 rounded.
    static let float16Cases: [(bits: UInt16, value: Float)] = [
        (0x3C00, 1), (0xC000, -2), (0x0000, 0), (0x8000, -0.0), (0x0001, 0x1p-24), (0x03FF, 1023 * 0x1p-24),
        (0x0400, 0x1p-14), (0x7BFF, 65504), (0x7C00, .infinity), (0xFC00, -.infinity), (0x3555, 0x1.554p-2),
    ]
    // BF16 patterns: 1, -0.5, the smallest subnormal (2⁻¹³³), the largest finite, ±inf.
    static let bfloat16Cases: [(bits: UInt16, value: Float)] = [
        (0x3F80, 1), (0xBF00, -0.5), (0x0001, 0x1p-133), (0x7F7F, Float(bitPattern: 0x7F7F_0000)),
        (0x7F80, .infinity), (0xFF80, -.infinity),
    ]

    @Test func everyDTypeRoundTrips() throws {
        let scratch = try ScratchDirectory()
        let float16NaN: UInt16 = 0x7C01, bfloat16NaN: UInt16 = 0xFFC1
        let url = try scratch.write(Writer.file([
            .init(name: "f32", dtype: .float32, shape: [2, 3], bytes: Writer.float32Bytes([1.5, -2.25, 0, -0.0, .infinity, 0x1p-149])),
            .init(name: "f16", dtype: .float16, shape: [Self.float16Cases.count + 1],
                  bytes: Writer.littleEndianBytes(Self.float16Cases.map(\.bits) + [float16NaN])),
            .init(name: "bf16", dtype: .bfloat16, shape: [Self.bfloat16Cases.count + 1],
                  bytes: Writer.littleEndianBytes(Self.bfloat16Cases.map(\.bits) + [bfloat16NaN])),
            .init(name: "i64", dtype: .int64, shape: [3], bytes: Writer.littleEndianBytes([Int64(-3), .max, .min])),
            .init(name: "i32", dtype: .int32, shape: [2], bytes: Writer.littleEndianBytes([Int32(7), .min])),
            .init(name: "i8", dtype: .int8, shape: [3], bytes: Writer.littleEndianBytes([Int8(-1), 127, -128])),
            .init(name: "u8", dtype: .uint8, shape: [3], bytes: [200, 0, 255]),
            .init(name: "bool", dtype: .bool, shape: [2], bytes: [1, 0]),
        ]), to: "every-dtype.safetensors")
        let file = try SafetensorsFile(url: url)
        #expect(file.tensorNames == ["bf16", "bool", "f16", "f32", "i32", "i64", "i8", "u8"])
        #expect(file.tensors["f16"]?.dtype == .float16)

        let f32 = try file.floatTensor(named: "f32")
        #expect(f32.shape == [2, 3])
        #expect(f32.scalars.map(\.bitPattern) == ([1.5, -2.25, 0, -0.0, .infinity, 0x1p-149] as [Float]).map(\.bitPattern))

        let f16 = try file.floatTensor(named: "f16").scalars
        #expect(Array(f16.dropLast()).map(\.bitPattern) == Self.float16Cases.map(\.value.bitPattern))
        // A signalling NaN keeps its sign and payload and comes out quiet, as F16C and PyTorch make it.
        #expect(f16.last?.bitPattern == 0x7FC0_2000)

        let bf16 = try file.floatTensor(named: "bf16").scalars
        #expect(Array(bf16.dropLast()).map(\.bitPattern) == Self.bfloat16Cases.map(\.value.bitPattern))
        #expect(bf16.last?.bitPattern == 0xFFC1_0000)

        #expect(try file.integerValues(named: "i64") == [-3, .max, .min])
        #expect(try file.integerValues(named: "i32") == [7, Int64(Int32.min)])
        #expect(try file.integerValues(named: "i8") == [-1, 127, -128])
        #expect(try file.integerValues(named: "u8") == [200, 0, 255])
        #expect(try file.integerValues(named: "bool") == [1, 0])
        #expect(try file.withRawBytes(of: "i32") { Array($0) } == [7, 0, 0, 0, 0, 0, 0, 0x80])
    }

    @Test func scalarsZeroSizeTensorsAndAnEmptyDataRegion() throws {
        let scratch = try ScratchDirectory()
        let url = try scratch.write(Writer.file([
            .init(name: "empty.before", dtype: .float32, shape: [0, 4], bytes: []),
            .init(name: "scalar", dtype: .float32, shape: [], bytes: Writer.float32Bytes([42])),
            .init(name: "empty.between", dtype: .bfloat16, shape: [3, 0], bytes: []),
            .init(name: "step", dtype: .int64, shape: [], bytes: Writer.littleEndianBytes(Int64(7))),
            .init(name: "empty.after", dtype: .int64, shape: [0], bytes: []),
        ]), to: "scalars.safetensors")
        let file = try SafetensorsFile(url: url)
        let scalar = try file.floatTensor(named: "scalar")
        #expect(scalar.shape == [] && scalar.scalars == [42])
        #expect(try file.integerValues(named: "step") == [7])
        #expect(try file.floatTensor(named: "empty.before").shape == [0, 4])
        #expect(try file.floatTensor(named: "empty.between").scalars == [])
        #expect(try file.integerValues(named: "empty.after") == [])

        // Only zero-size tensors: the data region has no bytes at all.
        let onlyEmpty = try SafetensorsFile(url: scratch.write(Writer.file([
            .init(name: "nothing", dtype: .float16, shape: [0], bytes: []),
        ]), to: "only-empty.safetensors"))
        #expect(try onlyEmpty.floatTensor(named: "nothing").count == 0)
        // No tensors at all.
        let noTensors = try SafetensorsFile(url: scratch.write(Writer.file(header: "{}", data: []), to: "no-tensors.safetensors"))
        #expect(noTensors.tensors.isEmpty && noTensors.metadata.isEmpty)
    }

    @Test func metadataAndHeaderDetails() throws {
        let scratch = try ScratchDirectory()
        let metadata = ["format": "pt", "note": "naïve \"quoted\" \\ text", "empty": ""]
        let url = try scratch.write(Writer.file([.init(name: "w", dtype: .float32, shape: [1], bytes: Writer.float32Bytes([1]))],
                                                metadata: metadata), to: "metadata.safetensors")
        #expect(try SafetensorsFile(url: url).metadata == metadata)

        // `__metadata__: null`, unknown fields in an entry, tensors listed out of offset order, escaped names and
        // whitespace around the JSON are all accepted, as by the reference implementation.
        let header = """
         {"b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8], "extra": {"ignored": [1, 2]}},
          "__metadata__": null, "na\\u00efve \\ud83d\\ude00": {"data_offsets": [0, 4], "shape": [1], "dtype": "F32"}}\t
        """
        let lenient = try SafetensorsFile(url: scratch.write(Writer.file(header: header, data: Writer.float32Bytes([1, 2])),
                                                            to: "lenient.safetensors"))
        #expect(lenient.metadata.isEmpty)
        #expect(lenient.tensorNames == ["b", "naïve 😀"])
        #expect(try lenient.floatTensor(named: "naïve 😀").scalars == [1])
        #expect(lenient.tensors["b"] == SafetensorsFile.TensorInfo(dtype: .float32, shape: [1], dataOffsets: 4..<8))
    }

    @Test func alignedFloat32IsBorrowedAndMisalignedIsCopied() throws {
        let scratch = try ScratchDirectory()
        let header = Writer.header([.init("w", "F32", [2], 0, 8)])
        let aligned = try SafetensorsFile(url: scratch.write(Writer.file(header: header, data: Writer.float32Bytes([1, 2]), padTo: 8),
                                                            to: "aligned.safetensors"))
        let borrowed = try aligned.floatTensor(named: "w")
        #expect(aligned.isBorrowed(borrowed))
        #expect(borrowed.scalars == [1, 2])

        // Old writers did not pad the header: with an odd header length the data is misaligned and gets copied.
        var oddHeader = header
        while (8 + oddHeader.utf8.count) % 4 != 1 { oddHeader += " " }
        let misaligned = try SafetensorsFile(url: scratch.write(Writer.file(header: oddHeader, data: Writer.float32Bytes([3, -4])),
                                                               to: "misaligned.safetensors"))
        let copied = try misaligned.floatTensor(named: "w")
        #expect(!misaligned.isBorrowed(copied))
        #expect(copied.scalars == [3, -4])
        // Converted dtypes are always copies.
        let half = try SafetensorsFile(url: scratch.write(Writer.file([.init(name: "h", dtype: .float16, shape: [1], bytes: [0, 0x3C])]),
                                                         to: "half.safetensors"))
        #expect(!half.isBorrowed(try half.floatTensor(named: "h")))
    }

    @Test func borrowedTensorsOutliveTheirFileObject() throws {
        let scratch = try ScratchDirectory()
        let url = try scratch.write(Writer.file([.init(name: "w", dtype: .float32, shape: [3], bytes: Writer.float32Bytes([7, 8, 9]))]),
                                    to: "lifetime.safetensors")
        // The storage keeps the mapping alive after the `SafetensorsFile` is gone.
        let tensor = try SafetensorsFile(url: url).floatTensor(named: "w")
        #expect(tensor.scalars == [7, 8, 9])
    }

    @Test func askingForTheWrongKindOfTensor() throws {
        let scratch = try ScratchDirectory()
        let url = try scratch.write(Writer.file([
            .init(name: "ids", dtype: .int32, shape: [1], bytes: Writer.littleEndianBytes(Int32(5))),
            .init(name: "encoder.weight", dtype: .float32, shape: [1], bytes: Writer.float32Bytes([1])),
        ]), to: "kinds.safetensors")
        let file = try SafetensorsFile(url: url)
        expectLoadingError(.unexpectedDType(tensor: "ids", dtype: .int32, expected: [.float32, .float16, .bfloat16], file: url.path),
                           mentioning: ["I32", "F32, F16, BF16"]) { _ = try file.floatTensor(named: "ids") }
        expectLoadingError(.unexpectedDType(tensor: "encoder.weight", dtype: .float32, expected: [.int64, .int32, .int8, .uint8, .bool],
                                            file: url.path)) { _ = try file.integerValues(named: "encoder.weight") }
        expectLoadingError(.missingTensor(tensor: "bert.encoder.weight", file: url.path, similar: ["encoder.weight"]),
                           mentioning: ["'encoder.weight'"]) { _ = try file.floatTensor(named: "bert.encoder.weight") }
    }

    @Test func float16ConversionMatchesTheDefinitionForEveryBitPattern() {
        // binary16: sign · 2^(e-15) · 1.m for 1 ≤ e ≤ 30, sign · 2^-14 · 0.m for e = 0, inf/NaN for e = 31.
        for bits in UInt16.min...UInt16.max {
            let sign: Double = bits & 0x8000 == 0 ? 1 : -1
            let exponent = Int(bits >> 10 & 0x1F)
            let mantissa = Double(bits & 0x3FF)
            let converted = Float(float16Bits: bits)
            switch exponent {
            case 31 where mantissa == 0:
                #expect(converted == Float(sign) * .infinity)
            case 31:
                #expect(converted.isNaN && converted.sign == (sign < 0 ? .minus : .plus))
                #expect(converted.bitPattern & 0x003F_FFFF == UInt32(bits & 0x1FF) << 13, "payload of \(bits)")
                #expect(converted.bitPattern & 0x0040_0000 != 0, "NaN \(bits) is quiet")
            case 0:
                #expect(converted.bitPattern == Float(sign * mantissa * 0x1p-24).bitPattern, "subnormal \(bits)")
            default:
                #expect(converted == Float(sign * (1 + mantissa / 1024) * pow(2, Double(exponent - 15))), "normal \(bits)")
            }
        }
    }

    #if !(os(macOS) && arch(x86_64))
    @Test func float16ConversionAgreesWithSwiftFloat16() {
        for bits in UInt16.min...UInt16.max {
            let expected = Float(Float16(bitPattern: bits))
            let converted = Float(float16Bits: bits)
            if expected.isNaN {
                #expect(converted.isNaN && converted.sign == expected.sign, "NaN \(bits)")
            } else {
                #expect(converted.bitPattern == expected.bitPattern, "bits \(bits)")
            }
        }
    }
    #endif

    @Test func bfloat16ConversionIsTheUpperHalfOfAFloat32() {
        for (bits, value) in Self.bfloat16Cases {
            #expect(Float(bfloat16Bits: bits).bitPattern == value.bitPattern)
        }
        // Rounding a float32 to bfloat16 by truncation and back loses only the low 16 bits.
        let value: Float = 3.14159
        #expect(Float(bfloat16Bits: UInt16(value.bitPattern >> 16)).bitPattern == value.bitPattern & 0xFFFF_0000)
    }
}
