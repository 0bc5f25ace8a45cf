import ApusTensor
import Foundation
import Testing
@testable import ApusModels

/// Llama, Mistral, Qwen2 and Qwen3 against PyTorch on tiny random checkpoints (scripts/make_tiny_decoder_fixtures.py):
/// GQA (4 query, 2 key-value heads), tied and untied lm_head, RoPE default / llama3 / linear, Mistral's sliding
/// window shorter than the prompt, Qwen2's q/k/v biases, Qwen3's per-head q/k norms and explicit head_dim.
struct LlamaTests {
    @Test(arguments: ["llama", "llama-llama3", "llama-linear", "mistral", "qwen2", "qwen3"])
    func logitsAndGreedyTokensMatchPyTorch(fixture name: String) throws {
        let fixture = try DecoderFixture(name)
        let model = try fixture.load()
        #expect(model is LlamaModel)
        try fixture.expectMatchesPyTorch(model)
    }

    /// The inverse frequencies are transformers' own, bit for bit, for every RoPE variant of the fixtures.
    @Test(arguments: ["llama", "llama-llama3", "llama-linear", "qwen3"])
    func ropeFrequenciesMatchTransformers(fixture name: String) throws {
        let fixture = try DecoderFixture(name)
        guard let model = try fixture.load() as? LlamaModel, let expected = fixture.reference.rope["default"] else {
            Issue.record("\(name): not a LlamaModel or no reference frequencies")
            return
        }
        #expect(model.rotary.inverse == expected.inverseFrequencies, "\(name)")
        #expect(model.rotary.scaling == expected.attentionScaling)
    }

    /// Hub checkpoints write `rope_theta` and `rope_scaling` (and `torch_dtype`) where transformers 5 writes
    /// `rope_parameters` (and `dtype`): both spellings give the same model.
    @Test(arguments: ["llama-llama3", "llama-linear"])
    func hubConfigurationKeysGiveTheSameModel(fixture name: String) throws {
        let fixture = try DecoderFixture(name)
        let copy = try fixture.copy { config in
            guard var rope = config.removeValue(forKey: "rope_parameters") as? [String: Any] else { return }
            config["rope_theta"] = rope.removeValue(forKey: "rope_theta")
            rope["type"] = rope.removeValue(forKey: "rope_type") // the oldest files say `type`
            config["rope_scaling"] = rope
            config["torch_dtype"] = config.removeValue(forKey: "dtype")
        }
        defer { try? FileManager.default.removeItem(at: copy) }
        let model = try DecoderRegistry.load(directory: copy)
        try fixture.expectMatchesPyTorch(model, label: " (Hub keys)")
    }

    /// Mistral's window is 6 and the prompt 8 tokens long: ignoring the window changes the logits, so the parity
    /// above checks the window.
    @Test func mistralWindowMatters() throws {
        let fixture = try DecoderFixture("mistral")
        let copy = try fixture.copy { $0["sliding_window"] = NSNull() }
        defer { try? FileManager.default.removeItem(at: copy) }
        let model = try DecoderRegistry.load(directory: copy)
        guard let llama = model as? LlamaModel else { Issue.record("not a LlamaModel"); return }
        #expect(llama.configuration.layerWindows == [nil, nil])
        let cache = try model.makeCache(maxLength: 16)
        let logits = try model.prefill(fixture.reference.prompt, cache: cache, pool: ThreadPool(threadCount: 1))
        #expect(maxAbsoluteDifference(logits, fixture.logits[0]) > 100 * DecoderFixture.logitsFP32)
    }

    @Test func unsupportedRopeTypeIsNamed() throws {
        let fixture = try DecoderFixture("llama")
        let copy = try fixture.copy { $0["rope_parameters"] = ["rope_type": "longrope", "rope_theta": 10000.0] }
        defer { try? FileManager.default.removeItem(at: copy) }
        #expect(throws: ModelError.unsupportedConfigurationValue(file: "config.json", key: "rope_parameters.rope_type",
                                                                 value: "longrope", supported: ["default", "linear", "dynamic", "llama3", "yarn"])) {
            try DecoderRegistry.load(directory: copy)
        }
    }

    @Test func unknownModelTypeListsTheSupportedOnes() throws {
        let fixture = try DecoderFixture("llama")
        let copy = try fixture.copy { $0["model_type"] = "falcon" }
        defer { try? FileManager.default.removeItem(at: copy) }
        #expect(throws: ModelError.unsupportedModelType(file: copy.appendingPathComponent("config.json").path, modelType: "falcon",
                                                        supported: ["gemma3_text", "gpt2", "llama", "mistral", "qwen2", "qwen3"])) {
            try DecoderRegistry.load(directory: copy)
        }
    }
}
