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
