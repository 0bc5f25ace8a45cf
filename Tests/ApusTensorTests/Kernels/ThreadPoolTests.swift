import Foundation
import Dispatch
import Testing
@testable import ApusTensor

/// `ThreadPool.parallelFor` runs every index exactly once, whatever the pool size, nesting or contention.
struct ThreadPoolTests {
    /// Counts how often each index ran; every iteration writes only its own slot.
    final class Tally: @unchecked Sendable {
        let counts: UnsafeMutablePointer<Int>
        let count: Int
        init(_ count: Int) {
            self.count = count
            counts = .allocate(capacity: max(count, 1))
            counts.initialize(repeating: 0, count: max(count, 1))
        }
        deinit { counts.deallocate() }
        func record(_ index: Int) { counts[index] += 1 }
        var eachOnce: Bool { (0..<count).allSatisfy { counts[$0] == 1 } }
    }

    @Test(arguments: [0, 1, 2, 3, 7, 1000])
    func coversEveryIndexExactlyOnce(count: Int) {
        for threads in [1, 2, 3, 8] {
            let tally = Tally(count)
            ThreadPool(threadCount: threads).parallelFor(count) { tally.record($0) }
            #expect(tally.eachOnce, "\(count) iterations on \(threads) threads")
        }
    }

    @Test func backToBackCallsReuseTheWorkers() {
        let pool = ThreadPool(threadCount: 3)
        for round in 0..<2000 {
            let count = round % 17
            let tally = Tally(count)
            pool.parallelFor(count) { tally.record($0) }
            if !tally.eachOnce {
                Issue.record("round \(round): an index was skipped or repeated")
                return
            }
        }
    }

    @Test func nestedCallsRunInlineWithoutDeadlock() {
        let pool = ThreadPool(threadCount: 2)
        let outer = 6, inner = 50
        let tally = Tally(outer * inner)
        pool.parallelFor(outer) { row in
            pool.parallelFor(inner) { column in tally.record(row * inner + column) }
        }
        #expect(tally.eachOnce)
    }

    @Test func concurrentCallersOnOnePoolBothFinish() {
        let pool = ThreadPool(threadCount: 2)
        let tallies = [Tally(5000), Tally(5000)]
        DispatchQueue.concurrentPerform(iterations: 2) { caller in
            for _ in 0..<20 {
                let tally = Tally(250)
                pool.parallelFor(250) { tally.record($0) }
                if tally.eachOnce { for index in 0..<250 { tallies[caller].counts[index] += 1 } }
            }
        }
        for tally in tallies { #expect((0..<250).allSatisfy { tally.counts[$0] == 20 }) }
    }

    @Test func poolsComeAndGo() {
        // Each pool's workers must exit when it is released (a leak or hang shows up as a stuck test run).
        for _ in 0..<50 {
            let tally = Tally(10)
            ThreadPool(threadCount: 4).parallelFor(10) { tally.record($0) }
            #expect(tally.eachOnce)
        }
    }

    @Test func machineCountIsPositive() {
        #expect(ThreadPool.machine >= 1)
    }

    /// Records, per index, the thread that ran it (+1, so 0 means "never ran").
    struct RecordingBody: ParallelLoopBody {
        let threads: UnsafeMutablePointer<Int>
        func run(index: Int, thread: Int) {
            threads[index] += thread + 1
            usleep(UInt32(index % 3)) // uneven work, so both threads take part
        }
    }

    /// The loop-body-value form covers every index once, and reports thread numbers in `0..<threadCount`, so
    /// per-thread scratch indexed by them stays in bounds.
    @Test(arguments: [1, 2, 3])
    func loopBodiesSeeValidThreadNumbers(threads: Int) {
        let count = 500
        let seen = UnsafeMutablePointer<Int>.allocate(capacity: count)
        seen.initialize(repeating: 0, count: count)
        defer { seen.deallocate() }
        let pool = ThreadPool(threadCount: threads)
        pool.parallelFor(count, RecordingBody(threads: seen))
        #expect((0..<count).allSatisfy { seen[$0] >= 1 && seen[$0] <= threads }, "\(threads) threads")
    }
}
