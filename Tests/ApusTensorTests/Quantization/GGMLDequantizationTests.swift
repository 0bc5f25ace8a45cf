import ApusTensor
import Foundation
import Testing

/// Every ggml type Apus dequantises, on random blocks, against gguf-py's `gguf.quants.dequantize`
/// (Tests/Fixtures/gguf/dequantization, made by scripts/make_gguf_fixtures.py). Bit-exact: the Swift code
/// does the same float32 operations in the same order.
struct GGMLDequantizationTests {
    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/gguf/dequantization")

    static let fixtureTypes: [GGMLType] = [.f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q8_K]

    @Test(arguments: fixtureTypes)
    func matchesGGUFPy(type: GGMLType) throws {
        let raw = try Data(contentsOf: Self.fixtures.appendingPathComponent("\(type).bin"))
        let expectedBytes = try Data(contentsOf: Self.fixtures.appendingPathComponent("\(type).f32"))
        let expected = expectedBytes.withUnsafeBytes { bytes in
            (0..<(bytes.count / 4)).map { Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
        #expect(expected.count % type.blockSize == 0)
        #expect(raw.count == expected.count / type.blockSize * type.typeSize)
        var actual = [Float](repeating: .nan, count: expected.count)
        raw.withUnsafeBytes { source in
            actual.withUnsafeMutableBufferPointer { GGMLDequantization.dequantize(type, source, into: $0) }
        }
        let mismatches = zip(actual, expected).enumerated().filter { $0.element.0.bitPattern != $0.element.1.bitPattern }
        #expect(mismatches.isEmpty, "\(type): \(mismatches.count) of \(expected.count) differ, first at \(mismatches.first.map { "\($0.offset): \($0.element.0) vs \($0.element.1)" } ?? "")")
    }

    @Test func everyFixtureTypeIsDequantizableAndOthersAreNot() {
        #expect(GGMLType.allCases.filter(\.isDequantizable).count == Self.fixtureTypes.count + 1) // + F32
        #expect(!GGMLType.iq4_XS.isDequantizable)
        #expect(GGMLType.q4_K.description == "Q4_K")
        #expect(GGMLType.iq2_XXS.description == "IQ2_XXS")
    }

    @Test func blockGeometryMatchesGGML() {
        #expect(GGMLType.q4_0.blockSize == 32 && GGMLType.q4_0.typeSize == 18)
        #expect(GGMLType.q4_K.blockSize == 256 && GGMLType.q4_K.typeSize == 144)
        #expect(GGMLType.q6_K.typeSize == 210)
        #expect(GGMLType.q8_K.typeSize == 292)
    }
}
