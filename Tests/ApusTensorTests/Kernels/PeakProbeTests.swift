import Testing
@testable import ApusTensor

/// The memory-bandwidth probe behind `apus bench generate`: it reads every byte it claims to, and reports a rate.
struct PeakProbeTests {
    @Test func streamingSumAddsEveryVector() {
        let count = 64
        let vectors = UnsafeMutablePointer<SIMD16<UInt32>>.allocate(capacity: count)
        defer { vectors.deallocate() }
        for index in 0..<count { vectors[index] = SIMD16(repeating: UInt32(index + 1)) }
        // 16 lanes × (1 + 2 + … + 64).
        #expect(PeakProbe.streamingSum(vectors, count: count) == 16 * 2080)
    }

    @Test(arguments: [1, 2])
    func bandwidthIsAPositiveRate(threads: Int) {
        let bytesPerSecond = PeakProbe.memoryReadBandwidth(threads: threads, bytes: 1 << 23, runs: 2)
        // Any machine streams more than 100 MB/s; 0, NaN or infinity means the timing or the sum is broken.
        #expect(bytesPerSecond.isFinite && bytesPerSecond > 1e8)
    }
}
