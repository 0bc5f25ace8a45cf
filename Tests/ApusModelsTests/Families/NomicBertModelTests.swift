import ApusTensor
import Foundation
import Testing
@testable import ApusModels

/// NomicBERT against transformers' native port on a tiny random checkpoint (scripts/make_tiny_nomic_bert_fixtures.py):
/// Hub weight names and the Hub config spelling (and transformers' own spelling of the same config), RoPE over
/// sequences up to 100 tokens, SwiGLU, token types; one sequence at a time and packed, 1 and 2 threads.
struct NomicBertModelTests {
    static let directory = BertModelTests.fixtures.appendingPathComponent("tiny-nomic-bert")

    @Test func hiddenStatesMatchPyTorch() throws {
        let model = try ModelRegistry.loadEncoder(directory: Self.directory)
        #expect(model is NomicBertModel)
        #expect(model.maxPositions == 128)
        try expectHiddenStatesMatchPyTorch(model, fixture: Self.directory, label: "nomic-bert")
    }

    /// A copy of the fixture with `config` as its config.json.
    static func variant(_ edit: (inout [String: Any]) -> Void) throws -> ScratchDirectory {
        let scratch = try ScratchDirectory()
        try FileManager.default.copyItem(at: directory.appendingPathComponent("model.safetensors"),
                                         to: scratch.url.appendingPathComponent("model.safetensors"))
        var configuration = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("config.json")))
            as? [String: Any] ?? [:]
        edit(&configuration)
        try JSONSerialization.data(withJSONObject: configuration).write(to: scratch.url.appendingPathComponent("config.json"))
        return scratch
    }

    /// The config.json transformers writes for the same model (`hidden_size`, `rope_parameters`…) loads the same model.
    @Test func transformersConfigSpellingLoadsTheSameModel() throws {
        let reference = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.directory.appendingPathComponent("reference.json")))
            as? [String: Any]
        let transformersConfiguration = try #require(reference?["transformers_config"] as? [String: Any])
        let scratch = try Self.variant { $0 = transformersConfiguration }
        let model = try ModelRegistry.loadEncoder(directory: scratch.url)
        #expect((model as? NomicBertModel)?.configuration == (try ModelRegistry.loadEncoder(directory: Self.directory) as? NomicBertModel)?.configuration)
        try expectHiddenStatesMatchPyTorch(model, fixture: Self.directory, label: "nomic-bert (transformers config)")
    }

    /// Remote-code options the reference does not implement are errors naming the key, not silently wrong outputs.
    @Test(arguments: ["rotary_emb_fraction: 0.5", "rotary_emb_interleaved: true", "rotary_scaling_factor: 2.0",
                      "prenorm: true", "qkv_proj_bias: true", "activation_function: \"gelu\""])
    func unsupportedRemoteOptionIsNamed(setting: String) throws {
        let parts = setting.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        let key = parts[0]
        let value = try JSONSerialization.jsonObject(with: Data(parts[1].utf8), options: .fragmentsAllowed)
        let scratch = try Self.variant { $0[key] = value }
        let error = #expect(throws: ModelError.self) { try ModelRegistry.loadEncoder(directory: scratch.url) }
        #expect("\(error.map { "\($0)" } ?? "")".contains(key))
    }
}
