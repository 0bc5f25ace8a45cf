import ApusTensor
import Foundation
import Testing
@testable import ApusModels

/// A real checkpoint against PyTorch, and decode speed: runs only when APUS_DECODER_MODEL names a Hub-layout
/// directory holding the `apus-reference.json` that scripts/make_real_decoder_reference.py writes (real weights are
/// never committed). Prints tokens/s and the weight bytes streamed per second. Checked so far: SmolLM2-135M-Instruct
/// and gemma-3-270m, both dequantised from the GGUF files of /work/shared/README.md by transformers.
struct RealDecoderTests {
    static let directory = ProcessInfo.processInfo.environment["APUS_DECODER_MODEL"].map { URL(fileURLWithPath: $0) }
    /// Max |Δ| of a real model's fp32 logits against PyTorch (30 layers accumulate more rounding than the fixtures).
    static let realLogitsFP32: Float = 1e-3

    struct Reference: Decodable {
        let prompt: [Int]
        let logits: [Float]
        let greedy: [Int]
        let pytorchDecodeTokensPerSecond: Double
        enum CodingKeys: String, CodingKey {
            case prompt, logits, greedy, pytorchDecodeTokensPerSecond = "pytorch_decode_tokens_per_second"
        }
    }

    @Test(.enabled(if: directory != nil, "set APUS_DECODER_MODEL to a model directory with apus-reference.json"))
    func matchesPyTorchAndReportsSpeed() throws {
        guard let directory = Self.directory else { return }
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: directory.appendingPathComponent("apus-reference.json")))
        let loadStart = Date()
        let model = try DecoderRegistry.load(directory: directory)
        print("fp32 loaded in \(String(format: "%.2f", Date().timeIntervalSince(loadStart))) s")
        let pool = ThreadPool(threadCount: ThreadPool.machine)
        let cache = try model.makeCache(maxLength: 512)
        let logits = try model.prefill(reference.prompt, cache: cache, pool: pool)
        let difference = maxAbsoluteDifference(logits, reference.logits)
        #expect(difference <= Self.realLogitsFP32, "prompt logits differ by \(difference)")
        let generated = try model.greedyGenerate(reference.prompt, count: reference.greedy.count, pool: pool)
        #expect(generated == reference.greedy)
        try reportSpeed(model, reference: reference, pool: pool, label: "fp32")
        let bf16 = try DecoderRegistry.load(directory: directory, precision: .bf16)
        try reportSpeed(bf16, reference: reference, pool: pool, label: "bf16")
    }

    func reportSpeed(_ model: any CausalLanguageModel, reference: Reference, pool: ThreadPool, label: String) throws {
        let cache = try model.makeCache(maxLength: 512)

        // Decode speed: steps against a cache already holding the prompt, writing into a reused buffer.
        let output = UnsafeMutablePointer<Float>.allocate(capacity: model.vocabularySize)
        defer { output.deallocate() }
        for steps in [32, 128] {
            cache.reset()
            _ = try model.prefill(reference.prompt, cache: cache, pool: pool)
            let start = Date()
            for step in 0..<steps { try model.decode(reference.greedy[step % reference.greedy.count], cache: cache, logits: output, pool: pool) }
            let seconds = Date().timeIntervalSince(start)
            let weightBytes = Double(decodeWeightBytes(model))
            print(String(format: "\(label) decode %d steps: %.1f tokens/s (%.2f ms/token), %.1f GB/s of weights; PyTorch %.1f tokens/s",
                         steps, Double(steps) / seconds, 1000 * seconds / Double(steps),
                         weightBytes * Double(steps) / seconds / 1e9, reference.pytorchDecodeTokensPerSecond))
        }
        let promptStart = Date()
        cache.reset()
        let longPrompt = (0..<256).map { reference.greedy[$0 % reference.greedy.count] }
        _ = try model.prefill(longPrompt, cache: cache, pool: pool)
        print(String(format: "\(label) prefill 256 tokens: %.0f tokens/s", 256 / Date().timeIntervalSince(promptStart)))
    }

    /// Bytes of the weights one decoding step streams (every linear layer and the lm_head), in the layers' precision.
    func decodeWeightBytes(_ model: any CausalLanguageModel) -> Int {
        let linears: [Linear]
        switch model {
        case let llama as LlamaModel:
            linears = llama.layers.flatMap { [$0.attention.queryKeyValue, $0.attention.output, $0.mlp.gateUp, $0.mlp.down] }
                + [llama.lmHead]
        case let gemma as Gemma3Model:
            linears = gemma.layers.flatMap { [$0.attention.queryKeyValue, $0.attention.output, $0.mlp.gateUp, $0.mlp.down] }
                + [gemma.lmHead]
        case let gpt2 as GPT2Model:
            linears = gpt2.blocks.flatMap { [$0.attention.queryKeyValue, $0.attention.output, $0.feedForward, $0.projection] }
                + [gpt2.lmHead]
        default:
            linears = []
        }
        return linears.reduce(0) { $0 + $1.weight.count * ($1.precision == .bf16 ? 2 : 4) }
    }
}
