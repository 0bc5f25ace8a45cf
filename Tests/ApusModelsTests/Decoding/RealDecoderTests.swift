import ApusTensor
import Foundation
import Testing
@testable import ApusModels

/// A real checkpoint against PyTorch, and decode speed: runs only when APUS_DECODER_MODEL names a Hub-layout
/// directory holding the `apus-reference.json` that scripts/make_real_decoder_reference.py writes (real weights are
/// never committed). Prints tokens/s and the weight bytes streamed per second.
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
        print("loaded in \(String(format: "%.2f", Date().timeIntervalSince(loadStart))) s")
        let pool = ThreadPool(threadCount: ThreadPool.machine)
        let cache = try model.makeCache(maxLength: 512)
        let logits = try model.prefill(reference.prompt, cache: cache, pool: pool)
        let difference = maxAbsoluteDifference(logits, reference.logits)
        #expect(difference <= Self.realLogitsFP32, "prompt logits differ by \(difference)")
        let generated = try model.greedyGenerate(reference.prompt, count: reference.greedy.count, pool: pool)
        #expect(generated == reference.greedy)

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
            print(String(format: "decode %d steps: %.1f tokens/s (%.2f ms/token), %.1f GB/s of weights; PyTorch %.1f tokens/s",
                         steps, Double(steps) / seconds, 1000 * seconds / Double(steps),
                         weightBytes * Double(steps) / seconds / 1e9, reference.pytorchDecodeTokensPerSecond))
        }
        let promptStart = Date()
        cache.reset()
        let longPrompt = (0..<256).map { reference.greedy[$0 % reference.greedy.count] }
        _ = try model.prefill(longPrompt, cache: cache, pool: pool)
        print(String(format: "prefill 256 tokens: %.0f tokens/s", 256 / Date().timeIntervalSince(promptStart)))
    }

    /// Bytes of the packed weights one decoding step streams (every linear layer and the lm_head).
    func decodeWeightBytes(_ model: any CausalLanguageModel) -> Int {
        guard let llama = model as? LlamaModel else { return 0 }
        let perLayer = llama.layers.map { layer in
            [layer.attention.queryKeyValue, layer.attention.output, layer.mlp.gateUp, layer.mlp.down]
                .reduce(0) { $0 + $1.weight.count }
        }.reduce(0, +)
        return (perLayer + llama.lmHead.weight.count) * 4
    }
}
