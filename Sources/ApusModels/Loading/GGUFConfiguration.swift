import Foundation

/// The config.json a GGUF file's metadata stands for, rebuilt as transformers' GGUF loader does
/// (`load_gguf_checkpoint` in transformers/modeling_gguf_pytorch_utils.py with the key table
/// `GGUF_CONFIG_MAPPING` of transformers/integrations/ggml.py), so model code reads it exactly like the
/// config.json of the same model in Hub layout.
///
/// Where transformers drops something the file states, Apus keeps it (each is marked "beyond transformers"):
/// `head_dim` from `attention.key_length` for qwen2/qwen3 (transformers leaves Qwen3Config's default 128),
/// `rope_scaling` from `rope.scaling.*`, GPT-2's `n_positions`/`n_inner`. The rope base is written both as
/// `rope_theta` (Hub spelling) and `rope_parameters` (transformers 5.x spelling).
public struct GGUFConfiguration: Sendable {
    /// `general.architecture` values Apus maps to Hub names and a config.
    public static let supportedArchitectures = ["gemma3", "gpt2", "llama", "qwen2", "qwen3"]

    /// The config's keys and values.
    public let values: [String: JSONDocument]

    /// Rebuilds the config of `file`; throws `unsupportedArchitecture`, `missingMetadata` or `metadataType`.
    public init(file: GGUFFile) throws {
        let path = file.url.path
        guard let architecture = try file.string("general.architecture") else {
            throw GGUFError.missingMetadata(file: path, key: "general.architecture")
        }
        guard Self.supportedArchitectures.contains(architecture) else {
            throw GGUFError.unsupportedArchitecture(file: path, architecture: architecture, supported: Self.supportedArchitectures)
        }
        func required(_ suffix: String) throws -> Int {
            let key = architecture + "." + suffix
            guard let value = try file.int(key) else { throw GGUFError.missingMetadata(file: path, key: key) }
            guard value > 0 else { throw GGUFError.invalidMetadata(file: path, key: key, reason: "is \(value), expected a positive integer") }
            return value
        }
        func optionalInt(_ suffix: String) throws -> Int? { try file.int(architecture + "." + suffix) }
        func optionalFloat(_ suffix: String) throws -> Double? { try file.float(architecture + "." + suffix) }

        var values: [String: JSONDocument] = [:]
        // tie_word_embeddings: llama.cpp writes `output.weight` only when it is not the embedding matrix.
        values["tie_word_embeddings"] = .bool(file.tensor(named: "output.weight") == nil)
        // vocab_size: stated, else the token count (transformers issue #32526).
        if let vocabulary = try optionalInt("vocab_size") {
            values["vocab_size"] = .int(vocabulary)
        } else if let tokens = file.value("tokenizer.ggml.tokens"), case .array(_, let elements) = tokens {
            values["vocab_size"] = .int(elements.count)
        }
        for (key, name) in [("tokenizer.ggml.bos_token_id", "bos_token_id"), ("tokenizer.ggml.eos_token_id", "eos_token_id"),
                            ("tokenizer.ggml.unknown_token_id", "unk_token_id"), ("tokenizer.ggml.padding_token_id", "pad_token_id")] {
            if let id = try file.int(key) { values[name] = .int(id) }
        }

        switch architecture {
        case "gpt2":
            let layers = try required("block_count"), context = try required("context_length")
            values["model_type"] = .string("gpt2")
            values["architectures"] = .array([.string("GPT2LMHeadModel")])
            values["n_layer"] = .int(layers)
            values["n_ctx"] = .int(context)
            values["n_positions"] = .int(context) // beyond transformers: GPT2Config reads n_positions, not n_ctx
            values["n_embd"] = .int(try required("embedding_length"))
            values["n_head"] = .int(try required("attention.head_count"))
            let feedForward = try required("feed_forward_length")
            values["feed_forward_length"] = .int(feedForward)
            // Beyond transformers (which leaves n_inner null, GPT2Config's "4 · n_embd"): the width when it is another.
            values["n_inner"] = feedForward == 4 * (try required("embedding_length")) ? .null : .int(feedForward)
            if let epsilon = try optionalFloat("attention.layer_norm_epsilon") { values["layer_norm_epsilon"] = .double(epsilon) }
        default:
            let hidden = try required("embedding_length"), heads = try required("attention.head_count")
            let kvHeads = try optionalInt("attention.head_count_kv") ?? heads
            guard kvHeads > 0, heads % kvHeads == 0 else {
                throw GGUFError.invalidMetadata(file: path, key: architecture + ".attention.head_count_kv",
                                                reason: "is \(kvHeads), expected a positive divisor of attention.head_count \(heads)")
            }
            values["model_type"] = .string(Self.modelType[architecture] ?? architecture)
            values["architectures"] = .array([.string(Self.causalLMClass[architecture] ?? "")])
            values["hidden_size"] = .int(hidden)
            values["intermediate_size"] = .int(try required("feed_forward_length"))
            values["num_hidden_layers"] = .int(try required("block_count"))
            values["num_attention_heads"] = .int(heads)
            values["num_key_value_heads"] = .int(kvHeads)
            values["max_position_embeddings"] = .int(try required("context_length"))
            if let epsilon = try optionalFloat("attention.layer_norm_rms_epsilon") { values["rms_norm_eps"] = .double(epsilon) }
            // head_dim: llama from rope.dimension_count (transformers' mapping), gemma3 from key_length; qwen from
            // key_length too (beyond transformers).
            let headDim = architecture == "llama" ? try optionalInt("rope.dimension_count") ?? optionalInt("attention.key_length")
                : try optionalInt("attention.key_length")
            if let headDim { values["head_dim"] = .int(headDim) }
            if architecture == "gemma3", let window = try optionalInt("attention.sliding_window") {
                values["sliding_window"] = .int(window)
            }
            values["hidden_act"] = .string("silu")
            let scaling = try Self.ropeScaling(file, architecture: architecture)
            if let scaling { values["rope_scaling"] = Self.object(scaling) }
            if let theta = try optionalFloat("rope.freq_base") {
                values["rope_theta"] = .double(theta)
                let global = Self.object(["rope_type": .string("default"), "rope_theta": .double(theta)].merging(scaling ?? [:]) { $1 })
                values["rope_parameters"] = global
                if architecture == "gemma3" {
                    // Gemma 3's sliding layers rotate with their own base, which GGUF does not store: transformers
                    // takes Gemma3TextConfig's default (rope_local_base_freq 10000), and so does llama.cpp.
                    let local = Self.gemma3LocalRopeBase
                    values["rope_local_base_freq"] = .double(local)
                    values["rope_parameters"] = Self.object(["full_attention": global,
                                                             "sliding_attention": Self.object(["rope_type": .string("default"), "rope_theta": .double(local)])])
                }
            }
            if architecture == "gemma3" {
                let layers = try required("block_count")
                values["hidden_activation"] = .string("gelu_pytorch_tanh")
                values.removeValue(forKey: "hidden_act")
                // Neither is in the file; both are Gemma3TextConfig's defaults, as transformers writes them.
                values["query_pre_attn_scalar"] = .int(Self.gemma3QueryPreAttentionScalar)
                values["layer_types"] = .array((0..<layers).map {
                    .string(($0 + 1) % Self.gemma3SlidingWindowPattern == 0 ? "full_attention" : "sliding_attention")
                })
            }
        }
        self.values = values
    }

    /// Gemma3TextConfig's defaults for what a Gemma 3 GGUF does not state (transformers/models/gemma3/configuration_gemma3.py).
    static let gemma3LocalRopeBase = 10_000.0
    static let gemma3QueryPreAttentionScalar = 256
    /// Every sixth layer attends globally, the others within the sliding window.
    static let gemma3SlidingWindowPattern = 6

    /// `config.json`'s model_type for a GGUF architecture (Gemma 3 GGUFs hold only the text model).
    static let modelType = ["gemma3": "gemma3_text"]
    /// The transformers class a Hub config.json names under `architectures`.
    static let causalLMClass = ["llama": "LlamaForCausalLM", "qwen2": "Qwen2ForCausalLM", "qwen3": "Qwen3ForCausalLM",
                                "gemma3": "Gemma3ForCausalLM"]

    /// `rope_scaling` from `ARCH.rope.scaling.{type,factor,original_context_length}` (beyond transformers, which
    /// maps them for gpt-oss only); nil when absent or `none`.
    private static func ropeScaling(_ file: GGUFFile, architecture: String) throws -> [String: JSONDocument]? {
        let prefix = architecture + ".rope.scaling."
        guard let type = try file.string(prefix + "type"), type != "none" else { return nil }
        var scaling: [String: JSONDocument] = ["rope_type": .string(type)]
        if let factor = try file.float(prefix + "factor") { scaling["factor"] = .double(factor) }
        if let original = try file.int(prefix + "original_context_length") { scaling["original_max_position_embeddings"] = .int(original) }
        return scaling
    }

    /// The config as a JSON document (keys sorted), ready for `ConfigurationFile.decode(_:from:source:)`.
    public var json: Data { Self.object(values).data }

    /// A JSON object of `members`, keys sorted as `json.dump(sort_keys=True)` writes them.
    static func object(_ members: [String: JSONDocument]) -> JSONDocument {
        .object(members.keys.sorted().map { ($0, members[$0] ?? .null) })
    }
}
