import ApusTensor
import CAllocationCounter
import Foundation
import Testing
@testable import ApusModels

/// Once the activation arena has seen a batch shape, a forward pass of a BERT-shaped family (BERT, RoBERTa,
/// DistilBERT) makes no heap allocation at all, on the calling thread or on the pool's worker — counted by interposing malloc (Tests/Support/CAllocationCounter).
struct BertSteadyStateTests {
    /// Turns counting on or off on every thread of a two-thread pool: each of the two iterations waits until
    /// the other has started, so the caller and the worker run one each.
    static func setCounting(into counter: UnsafeMutablePointer<UInt64>?, on pool: ThreadPool) throws {
        let barrier = Barrier()
        pool.parallelFor(2) { _, _ in
            apus_count_allocations_on_this_thread(counter)
            barrier.arriveAndWait(parties: 2)
        }
        if barrier.timedOut { throw BarrierTimeout() }
    }

    struct BarrierTimeout: Error, CustomStringConvertible {
        var description: String { "the pool's worker did not pick up the second iteration within 10 s" }
    }

    final class Barrier: @unchecked Sendable {
        private let condition = NSCondition()
        private var arrived = 0
        private(set) var timedOut = false
        func arriveAndWait(parties: Int) {
            condition.lock()
            arrived += 1
            condition.broadcast()
            let deadline = Date(timeIntervalSinceNow: 10)
            while arrived < parties {
                if !condition.wait(until: deadline) { timedOut = true; break }
            }
            condition.unlock()
        }
    }

    @Test(.enabled(if: apus_allocation_counting_supported() == 1, "counting needs glibc's malloc entry points"),
          arguments: ["tiny-bert-gelu", "tiny-bert-gelu_new", "tiny-bert-relu", "tiny-roberta", "tiny-xlm-roberta", "tiny-distilbert", "tiny-modernbert", "tiny-mpnet", "tiny-electra", "tiny-albert",
                      "tiny-deberta-v3", "tiny-deberta-v2", "tiny-nomic-bert"])
    func forwardPassAllocatesNothingOnceWarm(fixture: String) throws {
        let directory = BertModelTests.fixtures.appendingPathComponent(fixture)
        let model = try ModelRegistry.loadEncoder(directory: directory)
        let pool = ThreadPool(threadCount: 2)
        let arena = ActivationArena()
        // Unequal lengths, one past the full-score limit if the model allows it, so the tiled attention runs too.
        let lengths = [3, 17, min(model.maxPositions, attentionFullScoresLimit + 20), 1]
        let batch = try TokenBatch(tokenIds: lengths.map { length in (0..<length).map { 1 + $0 % 60 } })
        let output = UnsafeMutablePointer<Float>.allocate(capacity: batch.totalTokens * model.hiddenSize)
        defer { output.deallocate() }
        for _ in 0..<2 { try model.encode(batch, into: output, pool: pool, arena: arena) } // grow, then consolidate
        let blocks = arena.blockAllocations

        let counter = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
        counter.initialize(to: 0)
        defer { counter.deallocate() }
        try Self.setCounting(into: counter, on: pool)
        let before = apus_counted_allocations(counter)
        for _ in 0..<3 { try model.encode(batch, into: output, pool: pool, arena: arena) }
        let allocations = apus_counted_allocations(counter) - before
        try Self.setCounting(into: nil, on: pool)

        #expect(allocations == 0, "\(allocations) heap allocations in 3 warm forward passes")
        #expect(arena.blockAllocations == blocks, "the arena grew after warming up")
    }

    /// The counter itself works: an array allocation on a counting thread is seen.
    @Test(.enabled(if: apus_allocation_counting_supported() == 1, "counting needs glibc's malloc entry points"))
    func counterSeesAnAllocation() {
        var counter: UInt64 = 0
        let (array, after) = withUnsafeMutablePointer(to: &counter) { counter in
            apus_count_allocations_on_this_thread(counter)
            let array = [Int](repeating: 7, count: 1000 + Int.random(in: 0..<10))
            apus_count_allocations_on_this_thread(nil)
            return (array, apus_counted_allocations(counter))
        }
        #expect(array.count >= 1000)
        #expect(after > 0)
    }
}
