import ApusTensor
import Foundation
import Testing
@testable import ApusModels

/// Decoders with bf16 linear layers: every family runs (the rounding scratch is sized for the widest input, which
/// in Gemma 3 and Qwen3 is the attention output, wider than the hidden size) and stays near PyTorch's fp32 logits.
struct DecoderPrecisionTests {
    /// Max |Δ| of bf16 logits against PyTorch's fp32 ones, relative to the largest |logit| of the fixture (bf16
    /// keeps about 3 significant digits per product, and the error compounds over the layers: up to 3.2 % measured
    /// on these fixtures, whose large random weights amplify it; a wrong product or scratch would be off by ~100 %).
    static let logitsBF16Relative: Float = 5e-2

    @Test(arguments: ["gpt2", "llama", "mistral", "qwen2", "qwen3", "gemma3"])
    func bf16LogitsStayNearPyTorch(fixture name: String) throws {
        let fixture = try DecoderFixture(name)
        let model = try DecoderRegistry.load(directory: fixture.directory, precision: .bf16)
        let pool = ThreadPool(threadCount: 2)
        let cache = try model.makeCache(maxLength: 40)
        var logits = try model.prefill(fixture.reference.prompt, cache: cache, pool: pool)
        var worst = maxAbsoluteDifference(logits, fixture.logits[0])
        for (step, token) in fixture.reference.steps.enumerated() {
            logits = try model.decode(token, cache: cache, pool: pool)
            worst = max(worst, maxAbsoluteDifference(logits, fixture.logits[step + 1]))
        }
        let scale = fixture.logits.flatMap { $0 }.map(abs).max() ?? 0
        #expect(worst <= Self.logitsBF16Relative * scale, "\(name): bf16 logits differ by up to \(worst) (largest |logit| \(scale))")
        #expect(worst > 0, "\(name): bf16 should round somewhere")
    }
}
