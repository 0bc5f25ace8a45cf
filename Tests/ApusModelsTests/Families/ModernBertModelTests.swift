import ApusTensor
import Foundation
import Testing
@testable import ApusModels

/// ModernBERT against PyTorch on a tiny random checkpoint (scripts/make_tiny_modernbert_fixtures.py): global and
/// sliding-window layers with their own RoPE bases, GeGLU, bias-free norms, one sequence at a time and packed.
struct ModernBertModelTests {
    static let directory = BertModelTests.fixtures.appendingPathComponent("tiny-modernbert")

    func check(_ model: any TextEncoder, label: String) throws {
        try expectHiddenStatesMatchPyTorch(model, fixture: Self.directory, label: label)
    }

    @Test func hiddenStatesMatchPyTorch() throws {
        let model = try ModelRegistry.loadEncoder(directory: Self.directory)
        #expect(model is ModernBertModel)
        try check(model, label: "layer_types + rope_parameters")
    }

    /// Hub checkpoints written before transformers 5 give `global_attn_every_n_layers` and the two RoPE bases as
    /// plain keys instead of `layer_types` / `rope_parameters`: the same model must come out.
    @Test func olderConfigurationKeysGiveTheSameModel() throws {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("apus-modernbert-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: copy) }
        try FileManager.default.copyItem(at: Self.directory.appendingPathComponent("model.safetensors"),
                                         to: copy.appendingPathComponent("model.safetensors"))
        guard var config = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.directory.appendingPathComponent("config.json")))
                as? [String: Any] else {
            Issue.record("config.json is not an object")
            return
        }
        config["layer_types"] = nil
        config["rope_parameters"] = nil
        config["global_rope_theta"] = 160_000.0
        config["local_rope_theta"] = 10_000.0
        try JSONSerialization.data(withJSONObject: config).write(to: copy.appendingPathComponent("config.json"))
        let model = try ModelRegistry.loadEncoder(directory: copy)
        guard let modern = model as? ModernBertModel else { Issue.record("not a ModernBertModel"); return }
        #expect(modern.configuration.layerTypes == ["full_attention", "sliding_attention", "sliding_attention", "full_attention"])
        try check(model, label: "global_attn_every_n_layers")
    }

    /// Layer types map to masks: local layers see 4 tokens each side (local_attention 8). That the window matters
    /// was checked by replacing it with global attention: the parity test then fails by up to 4.7 on the 17- and
    /// 40-token cases.
    @Test func localLayersUseTheirWindow() throws {
        let model = try ModelRegistry.loadEncoder(directory: Self.directory)
        guard let modern = model as? ModernBertModel else { Issue.record("not a ModernBertModel"); return }
        #expect(modern.layers.map(\.mask) == [.none, AttentionMask(causal: false, window: 4), AttentionMask(causal: false, window: 4), .none])
    }

    @Test func tooLongAndUnknownIdsAreErrors() throws {
        let model = try ModelRegistry.loadEncoder(directory: Self.directory)
        let pool = ThreadPool(threadCount: 1)
        #expect(throws: ModelError.sequenceTooLong(length: 65, maximum: 64)) {
            try model.encode(TokenBatch(tokenIds: [Array(repeating: 5, count: 65)]), pool: pool)
        }
        #expect(throws: ModelError.tokenIdOutOfRange(id: 64, vocabularySize: 64)) {
            try model.encode(TokenBatch(tokenIds: [[5, 64]]), pool: pool)
        }
    }
}
