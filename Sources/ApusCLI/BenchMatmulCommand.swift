import Apus
import ArgumentParser
import Foundation

/// `apus bench matmul`: GFLOP/s of the linear-layer products of real models, next to this machine's measured peak.
struct BenchMatmulCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "matmul",
        abstract: "GFLOP/s of x·Wᵀ for MiniLM, BERT-base and GEMV shapes, against the measured fp32 peak.",
        discussion: """
            The peak is measured, not looked up: the clock from a chain of dependent integer additions (one per \
            cycle), and fp32 FMA throughput from 16 independent FMA chains on the widest vectors; peak = cores × \
            that throughput. Each shape runs for about --seconds per repeat; medians of --repeats are reported.
            """
    )

    @Option(name: .long, help: "Threads for the multi-threaded column (default: all cores).")
    var threads: Int = ThreadPool.machine

    @Option(name: .long, help: "Rows of x (tokens in a batch) for the encoder shapes.")
    var rows: Int = 4096

    @Option(name: .long, help: "Repeats per measurement; the median is reported.")
    var repeats: Int = 5

    @Option(name: .long, help: "Minimum seconds per repeat.")
    var seconds: Double = 0.2

    @Flag(name: .long, help: "Print JSON lines instead of a table.")
    var json = false

    func validate() throws {
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
        if rows < 1 { throw ValidationError("--rows must be at least 1") }
        if repeats < 1 { throw ValidationError("--repeats must be at least 1") }
        if !(seconds > 0) { throw ValidationError("--seconds must be positive") }
    }

    struct Shape {
        let name: String
        let rows, inFeatures, outFeatures: Int
        var flops: Double { 2 * Double(rows) * Double(inFeatures) * Double(outFeatures) }
    }

    func run() throws {
        let isa = KernelISA.detected
        let clock = PeakProbe.clockHertz()
        let corePeak = PeakProbe.fmaFlopsPerSecond(isa: isa)
        let machinePeak = corePeak * Double(threads)
        let flopsPerCycle = clock > 0 ? corePeak / clock : .nan
        if json {
            print(jsonObject(["event": "peak", "isa": isa.description, "clock_ghz": clock / 1e9,
                              "flops_per_cycle_per_core": flopsPerCycle, "peak_gflops_per_core": corePeak / 1e9,
                              "threads": threads, "peak_gflops": machinePeak / 1e9]))
        } else {
            print("kernels \(isa), clock \(fixed(clock / 1e9, 2)) GHz (measured), \(fixed(flopsPerCycle, 1)) fp32 FLOP/cycle/core "
                  + "→ peak \(fixed(corePeak / 1e9, 1)) GFLOP/s per core, \(fixed(machinePeak / 1e9, 1)) on \(threads)")
            print("shape                      rows      k      n   fp32 1t    fp32 \(threads)t   %peak   bf16 1t    bf16 \(threads)t   bf16/fp32")
        }
        let shapes = [
            Shape(name: "MiniLM qkv", rows: rows, inFeatures: 384, outFeatures: 1152),
            Shape(name: "MiniLM attention out", rows: rows, inFeatures: 384, outFeatures: 384),
            Shape(name: "MiniLM ffn up", rows: rows, inFeatures: 384, outFeatures: 1536),
            Shape(name: "MiniLM ffn down", rows: rows, inFeatures: 1536, outFeatures: 384),
            Shape(name: "BERT-base qkv", rows: rows, inFeatures: 768, outFeatures: 2304),
            Shape(name: "BERT-base ffn up", rows: rows, inFeatures: 768, outFeatures: 3072),
            Shape(name: "BERT-base ffn down", rows: rows, inFeatures: 3072, outFeatures: 768),
            Shape(name: "GEMV 4096", rows: 1, inFeatures: 4096, outFeatures: 4096),
        ]
        let pools = [ThreadPool(threadCount: 1), ThreadPool(threadCount: threads)]
        for shape in shapes {
            let weight = Tensor(shape: [shape.outFeatures, shape.inFeatures], values: pseudoRandom(shape.outFeatures * shape.inFeatures, seed: 2))
            let x = pseudoRandom(shape.rows * shape.inFeatures, seed: 1)
            let output = UnsafeMutablePointer<Float>.allocate(capacity: shape.rows * shape.outFeatures)
            defer { output.deallocate() }
            let fp32 = PackedWeights(weight)
            let bf16 = PackedWeightsBF16(weight)
            let scratch = UnsafeMutablePointer<UInt16>.allocate(capacity: bf16ScratchCount(rows: shape.rows, inFeatures: shape.inFeatures))
            defer { scratch.deallocate() }
            var results: [Double] = []
            x.withUnsafeBufferPointer { xs in
                guard let x = xs.baseAddress else { return }
                for pool in pools {
                    results.append(rate(shape.flops) { matmul(x, rows: shape.rows, packed: fp32, bias: nil, output: output, pool: pool) })
                }
                for pool in pools {
                    results.append(rate(shape.flops) {
                        matmulBF16(x, rows: shape.rows, packed: bf16, bias: nil, output: output, scratch: scratch, pool: pool)
                    })
                }
            }
            let percentOfPeak = 100 * results[1] / machinePeak
            if json {
                print(jsonObject(["event": "shape", "name": shape.name, "rows": shape.rows, "k": shape.inFeatures,
                                  "n": shape.outFeatures, "fp32_gflops_1_thread": results[0] / 1e9,
                                  "fp32_gflops": results[1] / 1e9, "fp32_percent_of_peak": percentOfPeak,
                                  "bf16_gflops_1_thread": results[2] / 1e9, "bf16_gflops": results[3] / 1e9,
                                  "bf16_isa": BF16KernelISA.detected.description, "threads": threads]))
            } else {
                func column(_ value: Double) -> String { fixed(value / 1e9, 1).leftPadded(to: 9) }
                print(shape.name.padding(toLength: 24, withPad: " ", startingAt: 0)
                      + String(shape.rows).leftPadded(to: 7) + String(shape.inFeatures).leftPadded(to: 7)
                      + String(shape.outFeatures).leftPadded(to: 7) + column(results[0]) + "  " + column(results[1])
                      + (fixed(percentOfPeak, 0) + "%").leftPadded(to: 8) + column(results[2]) + "  " + column(results[3])
                      + (fixed(results[3] / results[1], 2) + "×").leftPadded(to: 11))
            }
        }
    }

    /// FLOP/s of `body`, median over repeats of at least `seconds` each.
    func rate(_ flops: Double, _ body: () -> Void) -> Double {
        body() // warm caches and wake the pool
        var rates: [Double] = []
        for _ in 0..<repeats {
            var calls = 0
            let elapsed = measureSeconds {
                let start = DispatchTime.now().uptimeNanoseconds
                repeat {
                    body()
                    calls += 1
                } while Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 < seconds
            }
            rates.append(flops * Double(calls) / elapsed)
        }
        return percentile(rates, 0.5)
    }

    func pseudoRandom(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int64(bitPattern: state >> 11) % 2_000_000) / 1_000_000 - 1
        }
    }
}

extension String {
    /// Right-aligns the string in `width` columns.
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
