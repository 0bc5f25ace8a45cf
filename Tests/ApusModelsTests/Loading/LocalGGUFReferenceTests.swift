import ApusTensor
import Foundation
import Testing
@testable import ApusModels

/// Any GGUF against its transformers conversion, run only where both are on disk (neither is committed: the Gemma
/// licence forbids committing Gemma 3's weights or a conversion of them). Set `APUS_GGUF_REFERENCE_FILE` to the
/// GGUF and `APUS_GGUF_REFERENCE_DIRECTORY` to the folder `save_pretrained` wrote (the conversion recipe of
/// scripts/make_smollm2_fixtures.py); every tensor must match bit for bit and the config as in GGUFCheckpointTests.
struct LocalGGUFReferenceTests {
    static let environment = ProcessInfo.processInfo.environment
    static var isConfigured: Bool {
        environment["APUS_GGUF_REFERENCE_FILE"] != nil && environment["APUS_GGUF_REFERENCE_DIRECTORY"] != nil
    }

    @Test(.enabled(if: isConfigured, "set APUS_GGUF_REFERENCE_FILE and APUS_GGUF_REFERENCE_DIRECTORY to compare a local GGUF with its conversion"))
    func everyTensorMatchesTheConversion() throws {
        let file = URL(fileURLWithPath: try #require(Self.environment["APUS_GGUF_REFERENCE_FILE"]))
        let directory = URL(fileURLWithPath: try #require(Self.environment["APUS_GGUF_REFERENCE_DIRECTORY"]))
        let checkpoint = try GGUFCheckpoint(url: file)
        try GGUFCheckpointTests.expectConfiguration(checkpoint.configuration.json, matches: directory.appendingPathComponent("config.json"))
        let reference = try WeightStore(directory: directory)
        var expectedNames = Set(reference.tensorNames)
        // save_pretrained leaves out a tied lm_head.
        if checkpoint.configuration.values["tie_word_embeddings"] == .bool(true) { expectedNames.remove("lm_head.weight") }
        #expect(Set(checkpoint.tensorNames) == expectedNames)
        for name in checkpoint.tensorNames where expectedNames.contains(name) {
            let ours = try checkpoint.floatTensor(named: name)
            let theirs = try reference.root.tensor(name, shape: ours.shape)
            let count = ours.shape.reduce(1, *)
            var differing = 0
            for index in 0..<count where ours.storage.pointer[index].bitPattern != theirs.storage.pointer[index].bitPattern { differing += 1 }
            #expect(differing == 0, "\(name) (\(checkpoint.ggmlType(of: name).map { "\($0)" } ?? "?")): \(differing) of \(count) values differ")
        }
    }
}
