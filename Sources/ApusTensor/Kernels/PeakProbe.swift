import CApusKernels
import Dispatch

/// Measures what this core can do, so benchmarks report kernels as a fraction of a measured peak.
public enum PeakProbe {
    /// Cycles per second of the calling core, from chains of dependent integer additions (one per cycle);
    /// the best of several runs, to skip interruptions. 0 where no probe exists for the architecture.
    public static func clockHertz() -> Double {
        var best = 0.0
        for _ in 0..<7 {
            let iterations = 2_000_000
            let start = DispatchTime.now().uptimeNanoseconds
            let result = apus_probe_dependent_adds(iterations)
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if result == 0 { return 0 }
            best = max(best, 64 * Double(iterations) / elapsed)
        }
        return best
    }

    /// fp32 FLOP/s of the calling core running independent FMAs on `isa`'s widest vectors (best of several).
    public static func fmaFlopsPerSecond(isa: KernelISA = .detected) -> Double {
        var best = 0.0
        var sink: Float = 0
        for _ in 0..<7 {
            let start = DispatchTime.now().uptimeNanoseconds
            let flops = apus_probe_fma_flops(isa.cValue, 5_000_000, &sink)
            best = max(best, flops / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
        }
        return best
    }
}

extension PeakProbe {
    /// Bytes per second `threads` threads read from memory, each streaming its share of a buffer far larger than
    /// the last-level cache (`bytes`, default 1 GiB) and summing it, on a `ThreadPool` as the kernels run; the
    /// best of `runs` passes after one untimed pass. The ceiling of memory-bound work such as a decoding step.
    public static func memoryReadBandwidth(threads: Int, bytes: Int = 1 << 30, runs: Int = 5) -> Double {
        precondition(threads > 0 && bytes > 0 && runs > 0, "the bandwidth probe needs threads, bytes and runs")
        typealias Lanes = SIMD16<UInt32>
        let vectors = bytes / MemoryLayout<Lanes>.stride
        let buffer = UnsafeMutablePointer<Lanes>.allocate(capacity: vectors)
        defer { buffer.deallocate() }
        buffer.initialize(repeating: Lanes(repeating: 1), count: vectors)
        let share = (vectors / threads) & ~3
        let sink = UnsafeMutablePointer<UInt32>.allocate(capacity: threads)
        defer { sink.deallocate() }
        let pool = ThreadPool(threadCount: threads)
        var best = 0.0
        for run in 0...runs {
            let start = DispatchTime.now().uptimeNanoseconds
            pool.parallelFor(threads) { thread in
                sink[thread] = streamingSum(UnsafePointer(buffer + thread * share), count: share)
            }
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if run > 0 { best = max(best, Double(share * threads * MemoryLayout<Lanes>.stride) / elapsed) }
        }
        return best
    }

    /// The lane-wise sum of `count` vectors (a multiple of 4), read as four sequential streams, one per quarter and
    /// accumulator: one stream alone leaves bandwidth unused on some cores (their prefetchers track several
    /// streams, as a matrix-vector product over packed panels uses them), and independent adds keep loads the limit.
    @inline(never)
    static func streamingSum(_ vectors: UnsafePointer<SIMD16<UInt32>>, count: Int) -> UInt32 {
        let quarter = count / 4
        let first = vectors, second = vectors + quarter, third = vectors + 2 * quarter, fourth = vectors + 3 * quarter
        var a = SIMD16<UInt32>(), b = a, c = a, d = a
        for index in 0..<quarter {
            a &+= first[index]
            b &+= second[index]
            c &+= third[index]
            d &+= fourth[index]
        }
        return (a &+ b &+ c &+ d).wrappedSum()
    }
}
