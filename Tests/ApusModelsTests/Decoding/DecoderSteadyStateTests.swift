import ApusTensor
import CAllocationCounter
import Foundation
import Testing
@testable import ApusModels

/// Once a sequence's cache has run a step, decoding allocates nothing — on the calling thread or the pool's worker —
/// counted by interposing malloc (Tests/Support/CAllocationCounter).
struct DecoderSteadyStateTests {
    @Test(.enabled(if: apus_allocation_counting_supported() == 1, "counting needs glibc's malloc entry points"),
          arguments: ["gpt2", "llama", "qwen3", "gemma3"])
    func decodeStepsAllocateNothing(fixture name: String) throws {
        let model = try DecoderFixture(name).load()
        let pool = ThreadPool(threadCount: 2)
        let cache = try model.makeCache(maxLength: 40)
        let logits = UnsafeMutablePointer<Float>.allocate(capacity: model.vocabularySize)
        defer { logits.deallocate() }
        _ = try model.prefill(Array(3..<15), cache: cache, pool: pool)
        try model.decode(5, cache: cache, logits: logits, pool: pool)
        let blocks = cache.arena.blockAllocations

        let counter = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
        counter.initialize(to: 0)
        defer { counter.deallocate() }
        try BertSteadyStateTests.setCounting(into: counter, on: pool)
        let before = apus_counted_allocations(counter)
        for step in 0..<20 { try model.decode(3 + step, cache: cache, logits: logits, pool: pool) }
        let allocations = apus_counted_allocations(counter) - before
        try BertSteadyStateTests.setCounting(into: nil, on: pool)

        #expect(allocations == 0, "\(name): \(allocations) heap allocations in 20 decoding steps")
        #expect(cache.arena.blockAllocations == blocks, "\(name): the arena grew while decoding")
    }
}
