import Foundation
import Testing
@testable import ApusModels

/// config.json decoding for BERT: defaults, missing keys and unsupported values name the field.
struct BertConfigurationTests {
    static var minimal: [String: Any] { [
        "model_type": "bert", "vocab_size": 100, "hidden_size": 8, "num_hidden_layers": 2,
        "num_attention_heads": 2, "intermediate_size": 16, "some_future_key": ["ignored": true],
    ] }

    func decode(_ object: [String: Any]) throws -> BertConfiguration {
        let data = try JSONSerialization.data(withJSONObject: object)
        let configuration = try ConfigurationFile.decode(BertConfiguration.self, from: data, source: "config.json")
        try configuration.validate(source: "config.json")
        return configuration
    }

    @Test func defaultsFollowTransformers() throws {
        let configuration = try decode(Self.minimal)
        #expect(configuration.hiddenActivation == "gelu")
        #expect(configuration.maxPositions == 512)
        #expect(configuration.typeVocabularySize == 2)
        #expect(configuration.layerNormEpsilon == 1e-12)
    }

    @Test(arguments: ["vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size"])
    func missingRequiredKeyIsNamed(key: String) throws {
        var object = Self.minimal
        object[key] = nil
        #expect(throws: ModelError.missingConfigurationKey(file: "config.json", key: key)) { try decode(object) }
    }

    @Test func wrongTypeNamesTheField() throws {
        var object = Self.minimal
        object["hidden_size"] = "large"
        #expect {
            try decode(object)
        } throws: { error in
            String(describing: error).contains("hidden_size")
        }
    }

    @Test func unsupportedActivationListsTheSupportedOnes() throws {
        var object = Self.minimal
        object["hidden_act"] = "mish"
        #expect {
            try decode(object)
        } throws: { error in
            let text = String(describing: error)
            return text.contains("hidden_act") && text.contains("mish") && text.contains("gelu_new")
        }
    }

    @Test func headsMustDivideTheHiddenSize() throws {
        var object = Self.minimal
        object["num_attention_heads"] = 3
        #expect(throws: ModelError.self) { try decode(object) }
    }

    @Test func relativePositionsAreRefused() throws {
        var object = Self.minimal
        object["position_embedding_type"] = "relative_key"
        #expect(throws: ModelError.self) { try decode(object) }
    }

    @Test func invalidJSONIsReportedWithTheFile() throws {
        #expect {
            try ConfigurationFile.decode(BertConfiguration.self, from: Data("{\"vocab_size\": ".utf8), source: "/m/config.json")
        } throws: { error in
            String(describing: error).contains("/m/config.json")
        }
    }
}

/// The model registry picks the family from `model_type`.
struct ModelRegistryTests {
    @Test func unknownModelTypeListsSupportedOnes() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("apus-registry-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(#"{"model_type": "t5"}"#.utf8).write(to: directory.appendingPathComponent("config.json"))
        #expect {
            try ModelRegistry.loadEncoder(directory: directory)
        } throws: { error in
            let text = String(describing: error)
            return text.contains("'t5'") && text.contains("bert")
        }
    }

    @Test func missingConfigIsReported() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("apus-registry-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        #expect {
            try ModelRegistry.loadEncoder(directory: directory)
        } throws: { error in
            String(describing: error).contains("config.json")
        }
    }
}
