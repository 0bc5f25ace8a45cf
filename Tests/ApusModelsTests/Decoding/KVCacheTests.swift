import ApusTensor
import Foundation
import Testing
@testable import ApusModels

/// What the cache promises beyond parity: reuse after `reset`, a prompt split over several passes giving the same
/// logits as one pass, its size, and prompts longer than a sliding window in one batch.
struct KVCacheTests {
    /// Logits of one batched pass against PyTorch, after a reset, split into pieces and one token at a time.
    @Test(arguments: ["llama", "mistral", "gemma3", "gpt2"])
    func splitAndReusedCachesGiveTheSameLogits(fixture name: String) throws {
        let fixture = try DecoderFixture(name)
        let model = try fixture.load()
        let pool = ThreadPool(threadCount: 2)
        let prompt = fixture.reference.prompt + fixture.reference.steps.prefix(4)
        let expected = fixture.logits[4] // after the prompt and four steps
        let cache = try model.makeCache(maxLength: 32)
        _ = try model.prefill([9, 10, 11], cache: cache, pool: pool)
        cache.reset()
        let whole = try model.prefill(prompt, cache: cache, pool: pool)
        #expect(maxAbsoluteDifference(whole, expected) <= DecoderFixture.logitsFP32, "\(name): one pass after a reset")
        #expect(cache.length == prompt.count)

        cache.reset()
        _ = try model.prefill(Array(prompt.prefix(5)), cache: cache, pool: pool)
        let split = try model.prefill(Array(prompt.dropFirst(5)), cache: cache, pool: pool)
        #expect(maxAbsoluteDifference(split, expected) <= DecoderFixture.logitsFP32, "\(name): 5 + \(prompt.count - 5) tokens")

        cache.truncate(to: 3)
        var stepped: [Float] = []
        for token in prompt.dropFirst(3) { stepped = try model.decode(token, cache: cache, pool: pool) }
        #expect(maxAbsoluteDifference(stepped, expected) <= DecoderFixture.logitsFP32, "\(name): truncated to 3, then token by token")
    }

    @Test func cacheReportsItsSize() throws {
        let model = try DecoderFixture("llama").load()
        let cache = try model.makeCache(maxLength: 40)
        // 2 layers × 2 key-value heads × (keys: 2 panels of 32 positions × 8 features + values: 1 panel × 40 × 32).
        #expect(cache.bytes == 2 * 2 * (2 * 32 * 8 + 40 * 32) * 4)
        #expect(cache.capacity == 40 && cache.remaining == 40)
    }
}
