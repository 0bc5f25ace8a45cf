import ApusModels
import ApusTensor
import Foundation
import Testing
@testable import ApusPipelines

/// modules.json and pooling configuration handling, on small hand-written directories.
struct SentenceTransformerModulesTests {
    func makeDirectory(_ files: [String: String]) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("apus-modules-\(UUID().uuidString)")
        for (path, content) in files {
            let url = directory.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(content.utf8).write(to: url)
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    static let poolingConfig = """
        {"word_embedding_dimension": 4, "pooling_mode_cls_token": true, "pooling_mode_mean_tokens": true, "pooling_mode_max_tokens": false}
        """

    @Test func readsTheModuleChain() throws {
        let directory = try makeDirectory([
            "modules.json": """
                [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                 {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
                 {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}]
                """,
            "sentence_bert_config.json": #"{"max_seq_length": 128, "do_lower_case": true}"#,
            "1_Pooling/config.json": Self.poolingConfig,
        ])
        let modules = try SentenceTransformerModules(directory: directory)
        #expect(modules.maxSequenceLength == 128)
        #expect(modules.lowercasesInput)
        #expect(modules.normalizes)
        #expect(modules.pooling?.modes == [.cls, .mean])
        #expect(modules.pooling?.outputDimension == 8)
    }

    @Test func withoutModulesJSONNothingIsDeclared() throws {
        let modules = try SentenceTransformerModules(directory: makeDirectory(["config.json": "{}"]))
        #expect(modules.pooling == nil)
        #expect(!modules.normalizes)
        #expect(modules.maxSequenceLength == nil)
    }

    @Test func unsupportedModuleTypeIsNamed() throws {
        let directory = try makeDirectory([
            "modules.json": #"[{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.CNN"}]"#,
        ])
        #expect {
            try SentenceTransformerModules(directory: directory)
        } throws: { error in
            let text = String(describing: error)
            return text.contains("sentence_transformers.models.CNN") && text.contains("modules.json")
                && text.contains("Pooling") && text.contains("Dense")
        }
    }

    /// sentence-transformers 6.x module paths and its `pooling_mode` layout read like the 5.x ones.
    @Test func sentenceTransformers6LayoutIsRead() throws {
        let directory = try makeDirectory([
            "modules.json": """
                [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.base.modules.transformer.Transformer"},
                 {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.sentence_transformer.modules.pooling.Pooling"},
                 {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.base.modules.normalize.Normalize"}]
                """,
            "1_Pooling/config.json": #"{"embedding_dimension": 4, "pooling_mode": ["cls", "mean_sqrt_len_tokens"], "include_prompt": false}"#,
            "config_sentence_transformers.json": #"{"prompts": {"query": "q: "}, "default_prompt_name": "query"}"#,
        ])
        let modules = try SentenceTransformerModules(directory: directory)
        #expect(modules.pooling?.modes == [.cls, .meanSqrtLength])
        #expect(modules.pooling?.includePrompt == false)
        #expect(modules.normalizes)
        #expect(modules.defaultPromptName == "query")
        #expect(modules.prompts == ["query": "q: "])
    }

    @Test func modulePathsCannotLeaveTheDirectory() throws {
        let directory = try makeDirectory([
            "modules.json": #"[{"idx": 1, "name": "1", "path": "../elsewhere", "type": "sentence_transformers.models.Pooling"}]"#,
        ])
        #expect(throws: PipelineError.self) { try SentenceTransformerModules(directory: directory) }
    }

    @Test func missingPoolingConfigNamesTheFile() throws {
        let directory = try makeDirectory([
            "modules.json": #"[{"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]"#,
        ])
        #expect {
            try SentenceTransformerModules(directory: directory)
        } throws: { error in
            String(describing: error).contains("1_Pooling/config.json")
        }
    }

    @Test func poolingWithoutModesIsRejected() throws {
        let directory = try makeDirectory([
            "modules.json": #"[{"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]"#,
            "1_Pooling/config.json": #"{"word_embedding_dimension": 4}"#,
        ])
        #expect(throws: PipelineError.self) { try SentenceTransformerModules(directory: directory) }
    }

    @Test func missingPoolingDimensionNamesTheKey() throws {
        let directory = try makeDirectory([
            "modules.json": #"[{"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]"#,
            "1_Pooling/config.json": #"{"pooling_mode_mean_tokens": true}"#,
        ])
        #expect {
            try SentenceTransformerModules(directory: directory)
        } throws: { error in
            String(describing: error).contains("word_embedding_dimension")
        }
    }
}

/// Pooling arithmetic on a hand-made packed batch.
struct PoolingTests {
    // Two sequences of width 2: [[1, 2], [3, -4]] and [[5, 6]], then an empty one.
    let hidden = Tensor(shape: [3, 2], values: [1, 2, 3, -4, 5, 6])
    let offsets = [0, 2, 3, 3]

    @Test func everyModeOnAPackedBatch() {
        let expected: [Pooling.Mode: [[Float]]] = [
            .cls: [[1, 2], [5, 6], [0, 0]],
            .lastToken: [[3, -4], [5, 6], [0, 0]],
            .max: [[3, 2], [5, 6], [0, 0]],
            .mean: [[2, -1], [5, 6], [0, 0]],
            .meanSqrtLength: [[4 / Float(2).squareRoot(), -2 / Float(2).squareRoot()], [5, 6], [0, 0]],
            .weightedMean: [[(1 + 6) / 3, (2 - 8) / 3], [5, 6], [0, 0]],
        ]
        for mode in Pooling.Mode.allCases {
            #expect(Pooling(dimension: 2, modes: [mode])(hidden, sequenceOffsets: offsets) == expected[mode], "\(mode)")
        }
    }

    @Test func modesConcatenateInSentenceTransformersOrder() {
        let pooling = Pooling(dimension: 2, modes: [.mean, .cls])
        #expect(pooling.modes == [.cls, .mean])
        #expect(pooling(hidden, sequenceOffsets: [0, 2])[0] == [1, 2, 2, -1])
    }

    @Test func normalizeGivesUnitLength() {
        var vector: [Float] = [3, 4]
        l2Normalize(&vector)
        #expect(vector == [0.6, 0.8])
        var zero: [Float] = [0, 0]
        l2Normalize(&zero)
        #expect(zero == [0, 0])
    }
}
