import ApusTensor
import Foundation
import Testing
@testable import ApusModels

/// GPT-2 against PyTorch on a tiny random GPT2LMHeadModel (scripts/make_tiny_decoder_fixtures.py): Conv1D weights,
/// learned positions, tied lm_head, scale_attn_by_inverse_layer_idx.
struct GPT2Tests {
    @Test func logitsAndGreedyTokensMatchPyTorch() throws {
        let fixture = try DecoderFixture("gpt2")
        let model = try fixture.load()
        #expect(model is GPT2Model)
        try fixture.expectMatchesPyTorch(model)
    }

    /// The layer-index scaling changes the numbers: without it the logits move away from PyTorch's.
    @Test func inverseLayerIndexScalingMatters() throws {
        let fixture = try DecoderFixture("gpt2")
        let copy = try fixture.copy { $0["scale_attn_by_inverse_layer_idx"] = false }
        defer { try? FileManager.default.removeItem(at: copy) }
        let model = try DecoderRegistry.load(directory: copy)
        let cache = try model.makeCache(maxLength: 16)
        let logits = try model.prefill(fixture.reference.prompt, cache: cache, pool: ThreadPool(threadCount: 1))
        #expect(maxAbsoluteDifference(logits, fixture.logits[0]) > 100 * DecoderFixture.logitsFP32)
    }

    @Test func positionsPastNPositionsAreAnError() throws {
        let model = try DecoderFixture("gpt2").load()
        #expect(throws: ModelError.sequenceTooLong(length: 65, maximum: 64)) { try model.makeCache(maxLength: 65) }
        let cache = try model.makeCache(maxLength: 4)
        let pool = ThreadPool(threadCount: 1)
        #expect(throws: ModelError.sequenceTooLong(length: 5, maximum: 4)) {
            try model.prefill([5, 6, 7, 8, 9], cache: cache, pool: pool)
        }
        #expect(throws: ModelError.tokenIdOutOfRange(id: 128, vocabularySize: 128)) {
            try model.prefill([5, 128], cache: cache, pool: pool)
        }
        #expect(cache.length == 0, "a rejected input must leave the cache as it was")
    }
}
