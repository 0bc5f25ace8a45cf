import Foundation
import Testing
@testable import ApusTensor

/// .npy round trips and malformed files.
struct NpyFileTests {
    @Test(arguments: [[0], [3], [2, 3], [1, 2, 2]])
    func roundTrip(shape: [Int]) throws {
        let values = (0..<shape.reduce(1, *)).map { Float($0) * 0.5 - 1 }
        let data = NpyFile.encode(values, shape: shape)
        #expect(data.count % 64 == values.count * 4 % 64) // header padded to 64 bytes
        let decoded = try NpyFile.decode(data, source: "mem")
        #expect(decoded.shape == shape)
        #expect(decoded.values == values)
    }

    @Test func headerIsWhatNumpyWrites() {
        let data = NpyFile.encode([1, 2], shape: [2])
        let header = String(decoding: data[10..<data.count - 8], as: UTF8.self)
        #expect(header.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"))
        #expect(header.hasSuffix("\n"))
    }

    @Test func rejectsOtherFiles() {
        #expect(throws: NpyFile.Error.notNpy(file: "x")) { try NpyFile.decode(Data("hello world".utf8), source: "x") }
        var float64 = NpyFile.encode([1], shape: [1])
        if let range = float64.range(of: Data("<f4".utf8)) { float64.replaceSubrange(range, with: Data("<f8".utf8)) }
        #expect(throws: NpyFile.Error.self) { try NpyFile.decode(float64, source: "x") }
        let truncated = NpyFile.encode([1, 2, 3], shape: [3]).dropLast(4)
        #expect(throws: NpyFile.Error.truncated(file: "x", expectedBytes: 12, actualBytes: 8)) { try NpyFile.decode(Data(truncated), source: "x") }
    }
}
