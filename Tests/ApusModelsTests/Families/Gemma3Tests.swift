import ApusTensor
import Foundation
import Testing
@testable import ApusModels

/// Gemma 3 text against PyTorch on a tiny random Gemma3ForCausalLM (scripts/make_tiny_decoder_fixtures.py): (1 + w)
/// norms, scaled embeddings, local (window 5, θ 10000) and global (θ 100) layers, query_pre_attn_scalar 12, and
/// final logit soft-capping. The fixture also sets `attn_logit_softcapping`, which transformers' Gemma 3 ignores (its
/// attention never receives it), so parity checks that Apus ignores it too.
struct Gemma3Tests {
    @Test func logitsAndGreedyTokensMatchPyTorch() throws {
        let fixture = try DecoderFixture("gemma3")
        let model = try fixture.load()
        guard let gemma = model as? Gemma3Model else { Issue.record("not a Gemma3Model"); return }
        #expect(gemma.layers.map(\.attention.window) == [5, nil, 5])
        #expect(gemma.configuration.attentionSoftcap == 5 && gemma.layers.allSatisfy { $0.attention.softcap == nil })
        #expect(gemma.localRotary.inverse == fixture.reference.rope["sliding_attention"]?.inverseFrequencies)
        #expect(gemma.globalRotary.inverse == fixture.reference.rope["full_attention"]?.inverseFrequencies)
        try fixture.expectMatchesPyTorch(model)
    }

    /// Hub Gemma 3 files give `rope_theta` (global), `rope_local_base_freq` and `sliding_window_pattern` instead of
    /// `rope_parameters` and `layer_types`: the same model must come out.
    @Test func hubConfigurationKeysGiveTheSameModel() throws {
        let fixture = try DecoderFixture("gemma3")
        let copy = try fixture.copy { config in
            config["rope_parameters"] = nil
            config["layer_types"] = nil
            config["rope_theta"] = 100.0
            config["rope_local_base_freq"] = 10000.0
            config["rope_scaling"] = NSNull()
            config["sliding_window_pattern"] = 2 // layers 0 and 2 local, layer 1 global
        }
        defer { try? FileManager.default.removeItem(at: copy) }
        let model = try DecoderRegistry.load(directory: copy)
        try fixture.expectMatchesPyTorch(model, label: " (Hub keys)")
    }
}
