import ApusTensor
import Foundation
import Testing
@testable import ApusModels

/// GGUF files presented as Hub checkpoints, against what transformers makes of the same files: the config.json
/// and every tensor of the tiny Llama (Tests/Fixtures/gguf, scripts/make_gguf_fixtures.py), and the real
/// SmolLM2-135M-Instruct Q4_1 file against sampled values (Tests/Fixtures/gguf-smollm2, scripts/make_smollm2_fixtures.py).
struct GGUFCheckpointTests {
    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    /// Keys transformers writes into every config.json that say nothing about the file.
    static let bookkeepingKeys: Set<String> = ["_model_name_or_path", "quantization_config", "transformers_version", "dtype"]

    /// Checks that every key of `actual` that transformers also wrote has transformers' value, and that every key
    /// transformers derived from the file (those not in `defaults`) is present.
    static func expectConfiguration(_ actual: Data, matches expectedURL: URL, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let ours = try #require(JSONSerialization.jsonObject(with: actual) as? [String: Any], sourceLocation: sourceLocation)
        let theirs = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: expectedURL)) as? [String: Any], sourceLocation: sourceLocation)
        for (key, value) in ours {
            if key == "rope_theta" {
                // transformers 5.x writes only rope_parameters; Gemma 3's holds one entry per layer type.
                let parameters = theirs["rope_parameters"] as? [String: Any]
                let global = (parameters?["full_attention"] as? [String: Any]) ?? parameters
                #expect((global?["rope_theta"] as? NSNumber) == (value as? NSNumber), "rope_theta", sourceLocation: sourceLocation)
                continue
            }
            guard let expected = theirs[key] else { continue } // beyond transformers (documented in GGUFConfiguration)
            #expect(normalized(value) == normalized(expected), "\(key)", sourceLocation: sourceLocation)
        }
        for key in ["model_type", "architectures", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
                    "num_key_value_heads", "rms_norm_eps", "max_position_embeddings", "vocab_size", "tie_word_embeddings", "head_dim",
                    "bos_token_id", "eos_token_id", "rope_parameters"] where theirs[key] != nil {
            #expect(ours[key] != nil, "missing \(key)", sourceLocation: sourceLocation)
        }
    }

    /// A JSON value as comparable text; booleans and numbers compare by value (Foundation on Linux may hand either
    /// back as `NSNumber`).
    static func normalized(_ value: Any) -> String {
        switch value {
        case let flag as Bool where !(value is Int && !(value is Bool)): return flag ? "1" : "0"
        case let number as NSNumber: return String(number.doubleValue)
        case let text as String: return "\"" + text + "\""
        case let array as [Any]: return "[" + array.map(normalized).joined(separator: ",") + "]"
        case let object as [String: Any]: return "{" + object.keys.sorted().map { $0 + ":" + normalized(object[$0] ?? NSNull()) }.joined(separator: ",") + "}"
        default: return "null"
        }
    }

    /// Every tensor and the config of each tiny decoder (Llama with permuted Q/K, Qwen2 with biases, Qwen3 with
    /// q/k norms, GPT-2 with transposed Conv1D weights), bit for bit against transformers' conversion.
    @Test(arguments: ["tiny-llama", "tiny-qwen2", "tiny-qwen3", "tiny-gpt2"])
    func tinyDecoderMatchesTransformersExactly(name fixture: String) throws {
        let directory = Self.fixtures.appendingPathComponent("gguf")
        let checkpoint = try GGUFCheckpoint(url: directory.appendingPathComponent("\(fixture).gguf"))
        try Self.expectConfiguration(checkpoint.configuration.json, matches: directory.appendingPathComponent("\(fixture)-expected/config.json"))

        let expected = try SafetensorsFile(url: directory.appendingPathComponent("\(fixture)-expected/model.safetensors"))
        #expect(checkpoint.tensorNames == expected.tensorNames)
        for name in expected.tensorNames {
            let reference = try expected.floatTensor(named: name)
            #expect(checkpoint.tensorDescription(of: name)?.shape == reference.shape, "\(name)")
            let ours = try checkpoint.floatTensor(named: name)
            #expect(ours.shape == reference.shape, "\(name)")
            let count = reference.shape.reduce(1, *)
            let differing = (0..<count).filter { ours.storage.pointer[$0].bitPattern != reference.storage.pointer[$0].bitPattern }
            #expect(differing.isEmpty, "\(name) (\(checkpoint.ggmlType(of: name).map(String.init(describing:)) ?? "?")): \(differing.count) of \(count) values differ")
        }
        guard fixture == "tiny-llama" else { return }
        #expect(checkpoint.ggufName(of: "model.layers.0.self_attn.q_proj.weight") == "blk.0.attn_q.weight")
        #expect(checkpoint.tensorDescription(of: "model.layers.0.self_attn.v_proj.weight")?.dtype == .float16)
        #expect(checkpoint.tensorDescription(of: "model.layers.0.self_attn.q_proj.weight")?.dtype == .float32)

        // Through a WeightStore, as model code reads it.
        let store = try checkpoint.weightStore()
        _ = try store.scope("model.layers.0.self_attn").tensor("k_proj.weight", shape: [16, 32])
        #expect(throws: LoadingError.self) { _ = try store.scope("model.layers.0.self_attn").tensor("k_proj.weight", shape: [32, 16]) }
        #expect(store.unconsumedTensorNames.count == expected.tensorNames.count - 1)
    }

    @Test func configurationDecodesLikeAConfigFile() throws {
        let checkpoint = try GGUFCheckpoint(url: Self.fixtures.appendingPathComponent("gguf/tiny-llama.gguf"))
        struct Fields: Decodable {
            let model_type: String
            let hidden_size: Int
            let num_key_value_heads: Int
            let rms_norm_eps: Float
            let rope_theta: Double
            let tie_word_embeddings: Bool
        }
        let fields = try ConfigurationFile.decode(Fields.self, from: checkpoint.configuration.json, source: checkpoint.url.path)
        #expect(fields.model_type == "llama" && fields.hidden_size == 32 && fields.num_key_value_heads == 2)
        #expect(fields.rms_norm_eps == 1e-5 && fields.rope_theta == 10000 && fields.tie_word_embeddings)
    }

    @Test func unpermuteInvertsLlamaPermute() throws {
        // 2 heads of 4 rows, 1 column: GGUF row order [h0: 0 2 1 3, h1: 4 6 5 7] → Hub order 0…7.
        let stored = Tensor(shape: [8, 1], values: [0, 2, 1, 3, 4, 6, 5, 7])
        let hub = try GGUFCheckpoint.unpermuteRows(stored, heads: 2, tensor: "q", file: "f")
        #expect(Array(UnsafeBufferPointer(start: hub.storage.pointer, count: 8)) == [0, 1, 2, 3, 4, 5, 6, 7])
        #expect(throws: GGUFError.self) { _ = try GGUFCheckpoint.unpermuteRows(Tensor(zeros: [6, 1]), heads: 2, tensor: "q", file: "f") }
    }

    @Test func namesPerArchitecture() throws {
        let configuration = try GGUFCheckpoint(url: Self.fixtures.appendingPathComponent("gguf/tiny-llama.gguf")).configuration
        func hub(_ name: String, _ architecture: String) throws -> String? {
            try GGUFCheckpoint.hubName(of: name, architecture: architecture, configuration: configuration, file: "f")?.0
        }
        #expect(try hub("blk.3.ffn_norm.weight", "qwen2") == "model.layers.3.post_attention_layernorm.weight")
        #expect(try hub("blk.3.ffn_norm.weight", "gemma3") == "model.layers.3.pre_feedforward_layernorm.weight")
        #expect(try hub("blk.3.post_ffw_norm.weight", "gemma3") == "model.layers.3.post_feedforward_layernorm.weight")
        #expect(try hub("blk.0.attn_q_norm.weight", "qwen3") == "model.layers.0.self_attn.q_norm.weight")
        #expect(try hub("blk.0.attn_q.bias", "qwen2") == "model.layers.0.self_attn.q_proj.bias")
        #expect(try hub("blk.2.attn_qkv.weight", "gpt2") == "transformer.h.2.attn.c_attn.weight")
        #expect(try hub("position_embd.weight", "gpt2") == "transformer.wpe.weight")
        #expect(try hub("output.weight", "llama") == "lm_head.weight")
        #expect(try hub("rope_freqs.weight", "llama") == nil)
        #expect(try hub("blk.0.ssm_in.weight", "llama") == "blk.0.ssm_in.weight") // unknown: kept, so strict loading reports it
        #expect(try GGUFCheckpoint.hubName(of: "blk.0.attn_q.weight", architecture: "qwen2", configuration: configuration, file: "f")?.1 == GGUFCheckpoint.Conversion.none)
        #expect(try GGUFCheckpoint.hubName(of: "blk.0.attn_k.weight", architecture: "llama", configuration: configuration, file: "f")?.1 == .unpermuteRows(heads: 2))
        #expect(try GGUFCheckpoint.hubName(of: "blk.0.ffn_up.weight", architecture: "gpt2", configuration: configuration, file: "f")?.1 == .transpose)
        #expect(try GGUFCheckpoint.hubName(of: "output_norm.weight", architecture: "gemma3", configuration: configuration, file: "f")?.1 == .subtractOne)
    }

    @Test func unsupportedArchitectureIsNamed() throws {
        var builder = GGUFBuilder.valid
        builder.metadata[0] = ("general.architecture", GGUFBuilder.uint32(8) + GGUFBuilder.string("mamba"))
        let scratch = try ScratchDirectory()
        let url = try scratch.write(builder.bytes, to: "mamba.gguf")
        #expect(throws: GGUFError.unsupportedArchitecture(file: url.path, architecture: "mamba", supported: GGUFConfiguration.supportedArchitectures)) {
            _ = try GGUFCheckpoint(url: url)
        }
    }
}
