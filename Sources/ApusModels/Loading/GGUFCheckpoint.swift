import ApusTensor
import Foundation

/// A GGUF file presented as a Hub checkpoint: tensors under the names, shapes and values transformers gives
/// them when it loads the file (`load_gguf_checkpoint` in transformers/modeling_gguf_pytorch_utils.py), and the
/// config.json its metadata stands for.
///
///     let checkpoint = try GGUFCheckpoint(url: URL(fileURLWithPath: "SmolLM2-135M-Instruct.Q4_1.gguf"))
///     let configuration = checkpoint.configuration.json        // config.json bytes
///     let weights = try checkpoint.weightStore()
///     let q = try weights.scope("model.layers.0.self_attn").tensor("q_proj.weight", shape: [576, 576])
///
/// What changes between the file and the Hub checkpoint, each undone here once:
/// - names: `token_embd` → `model.embed_tokens`, `blk.N.attn_q` → `model.layers.N.self_attn.q_proj`… (the
///   tables below; gguf-py's `TensorNameMap` read backwards). `rope_freqs.weight` (Llama 3 rope factors, which
///   the config's `rope_scaling` carries) is dropped; a name with no Hub spelling keeps its GGUF name, so the
///   strict `WeightStore` reports it.
/// - shapes: GGUF lists extents innermost first; PyTorch order is the reverse.
/// - values: quantised types are dequantised to fp32 on `floatTensor`, as gguf-py does.
/// - Llama's q_proj/k_proj rows: llama.cpp's convert_hf_to_gguf.py (`LlamaModel.permute`) interleaves the two
///   rotary halves of every head for its rope kernel; undone for architecture `llama` only, as transformers'
///   `LlamaTensorProcessor` does (Qwen and Gemma converters do not permute).
/// - Gemma 3's RMSNorm weights: stored as 1 + w (llama.cpp adds the one Gemma's norm applies); 1 is subtracted
///   (`Gemma2TensorProcessor`).
/// - GPT-2's Conv1D weights (c_attn, c_proj, c_fc): llama.cpp stores them transposed to [out, in]; transposed
///   back to Conv1D's [in, out] (`GPT2TensorProcessor`).
///
/// `@unchecked Sendable`: immutable after `init`.
public final class GGUFCheckpoint: TensorFile, @unchecked Sendable {
    /// How a GGUF tensor becomes its Hub tensor.
    enum Conversion: Sendable, Equatable {
        case none
        /// Undo `LlamaModel.permute` for `heads` heads.
        case unpermuteRows(heads: Int)
        /// Swap the two dimensions of a matrix.
        case transpose
        /// Subtract one from every element.
        case subtractOne
    }

    /// Where one Hub tensor comes from.
    struct Source: Sendable {
        let tensor: GGUFFile.TensorInfo
        let conversion: Conversion
        let shape: [Int]
    }

    /// The parsed file.
    public let file: GGUFFile
    /// The config.json the metadata stands for.
    public let configuration: GGUFConfiguration
    /// `general.architecture`.
    public let architecture: String
    private let sources: [String: Source]

    /// The file's location.
    public var url: URL { file.url }

    /// Opens and validates the GGUF at `url` and maps its tensors to Hub names.
    public convenience init(url: URL) throws {
        try self.init(file: GGUFFile(url: url))
    }

    /// Maps the tensors of an opened `file` to Hub names.
    public init(file: GGUFFile) throws {
        self.file = file
        configuration = try GGUFConfiguration(file: file)
        architecture = try file.string("general.architecture") ?? ""
        let path = file.url.path
        var sources: [String: Source] = [:]
        for tensor in file.tensors {
            guard let mapped = try Self.hubName(of: tensor.name, architecture: architecture, configuration: configuration, file: path) else {
                continue // dropped
            }
            let name = mapped.0
            // Only a matrix can be transposed; anything else keeps its layout and fails the model's shape check.
            let conversion = mapped.1 == .transpose && tensor.dimensions.count != 2 ? .none : mapped.1
            let shape = conversion == .transpose ? tensor.dimensions : tensor.shape
            if let existing = sources[name] {
                throw LoadingError.duplicateTensorAcrossFiles(tensor: name, files: [path + " (" + existing.tensor.name + ")", path + " (" + tensor.name + ")"])
            }
            sources[name] = Source(tensor: tensor, conversion: conversion, shape: shape)
        }
        self.sources = sources
    }

    /// A `WeightStore` serving this checkpoint's tensors, named by the file.
    public func weightStore() throws -> WeightStore { try WeightStore(files: [self], source: url.path) }

    // MARK: TensorFile

    /// Every Hub tensor name, sorted.
    public var tensorNames: [String] { sources.keys.sorted() }

    /// dtype and PyTorch-order shape of Hub tensor `name`: F32, F16 and BF16 as stored; quantised tensors report
    /// F32, what `floatTensor` produces (`ggmlType(of:)` gives the stored type).
    public func tensorDescription(of name: String) -> TensorDescription? {
        guard let source = sources[name] else { return nil }
        let dtype: DType = switch source.tensor.type {
        case .f16: .float16
        case .bf16: .bfloat16
        default: .float32
        }
        return TensorDescription(dtype: dtype, shape: source.shape)
    }

    /// The ggml type Hub tensor `name` is stored as, or nil.
    public func ggmlType(of name: String) -> GGMLType? { sources[name]?.tensor.type }

    /// The GGUF name Hub tensor `name` is read from, or nil.
    public func ggufName(of name: String) -> String? { sources[name]?.tensor.name }

    /// Hub tensor `name` as fp32, dequantised and converted as transformers does.
    public func floatTensor(named name: String) throws -> Tensor {
        guard let source = sources[name] else {
            throw LoadingError.missingTensor(tensor: name, file: url.path, similar: TensorNameSuggestions.closest(to: name, in: sources.keys))
        }
        let stored = try file.floatTensor(source.tensor) // PyTorch order of the GGUF tensor
        switch source.conversion {
        case .none:
            return stored
        case .subtractOne:
            let result = Tensor(zeros: stored.shape)
            let count = stored.shape.reduce(1, *)
            for index in 0..<count { result.storage.pointer[index] = stored.storage.pointer[index] - 1 }
            return result
        case .transpose:
            let rows = stored.shape[0], columns = stored.shape[1]
            let result = Tensor(zeros: [columns, rows])
            let from = stored.storage.pointer, to = result.storage.pointer
            for row in 0..<rows {
                for column in 0..<columns { to[column * rows + row] = from[row * columns + column] }
            }
            return result
        case .unpermuteRows(let heads):
            return try Self.unpermuteRows(stored, heads: heads, tensor: name, file: url.path)
        }
    }

    /// Undoes convert_hf_to_gguf.py's `LlamaModel.permute`: within each head of D rows, GGUF row 2i + j holds Hub row
    /// j·D/2 + i (i < D/2, j ∈ {0, 1}) — the two rotary halves interleaved. Works on any trailing shape (a bias too).
    static func unpermuteRows(_ stored: Tensor, heads: Int, tensor: String, file: String) throws -> Tensor {
        let rows = stored.shape.first ?? 0
        guard heads > 0, rows % (2 * heads) == 0 else {
            throw GGUFError.invalidDimensions(file: file, tensor: tensor, dimensions: stored.shape.reversed().map { UInt64($0) },
                                              reason: "\(rows) rows are not \(heads) heads of an even size, which undoing Llama's Q/K permutation needs")
        }
        let width = stored.shape.dropFirst().reduce(1, *)
        let headDim = rows / heads, half = headDim / 2
        let result = Tensor(zeros: stored.shape)
        let from = stored.storage.pointer, to = result.storage.pointer
        for head in 0..<heads {
            for i in 0..<half {
                for j in 0..<2 {
                    let source = head * headDim + 2 * i + j, target = head * headDim + j * half + i
                    (to + target * width).update(from: from + source * width, count: width)
                }
            }
        }
        return result
    }

    // MARK: Names

    /// Block tensors (`blk.N.<part>`) of the Llama-like decoders, by GGUF part, as Hub names under `model.layers.N`.
    static let decoderBlockNames: [String: String] = [
        "attn_norm": "input_layernorm",
        "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
        "attn_output": "self_attn.o_proj",
        "attn_q_norm": "self_attn.q_norm", "attn_k_norm": "self_attn.k_norm",
        "ffn_norm": "post_attention_layernorm",
        "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj", "ffn_down": "mlp.down_proj",
    ]
    /// Gemma 3's four norms per block (gguf-py `MODEL_TENSOR.ATTN_POST_NORM`, `FFN_PRE_NORM`, `FFN_POST_NORM`).
    static let gemma3BlockNames: [String: String] = decoderBlockNames.merging([
        "ffn_norm": "pre_feedforward_layernorm",
        "post_attention_norm": "post_attention_layernorm",
        "post_ffw_norm": "post_feedforward_layernorm",
    ]) { $1 }
    /// Tensors outside the blocks of the Llama-like decoders.
    static let decoderTopNames = ["token_embd": "model.embed_tokens", "output_norm": "model.norm", "output": "lm_head"]
    /// GPT-2's block tensors under `transformer.h.N`.
    static let gpt2BlockNames: [String: String] = [
        "attn_norm": "ln_1", "attn_qkv": "attn.c_attn", "attn_output": "attn.c_proj",
        "ffn_norm": "ln_2", "ffn_up": "mlp.c_fc", "ffn_down": "mlp.c_proj",
    ]
    /// GPT-2's tensors outside the blocks.
    static let gpt2TopNames = ["token_embd": "transformer.wte", "position_embd": "transformer.wpe", "output_norm": "transformer.ln_f",
                               "output": "lm_head"]
    /// GGUF tensors with no Hub counterpart, dropped.
    static let droppedNames: Set<String> = ["rope_freqs.weight"]

    /// The Hub name and conversion of GGUF tensor `name`, or nil when it is dropped; unknown names map to themselves.
    static func hubName(of name: String, architecture: String, configuration: GGUFConfiguration, file: String) throws -> (String, Conversion)? {
        if droppedNames.contains(name) { return nil }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2, let suffix = parts.last, suffix == "weight" || suffix == "bias" else { return (name, .none) }
        let isGPT2 = architecture == "gpt2"
        var hub: String?
        var part = ""
        if parts.count == 4, parts[0] == "blk", let block = Int(parts[1]), block >= 0 {
            part = parts[2]
            let table = isGPT2 ? gpt2BlockNames : architecture == "gemma3" ? gemma3BlockNames : decoderBlockNames
            hub = table[part].map { (isGPT2 ? "transformer.h.\(block)." : "model.layers.\(block).") + $0 }
        } else if parts.count == 2 {
            part = parts[0]
            hub = (isGPT2 ? gpt2TopNames : decoderTopNames)[part]
        }
        guard let hub else { return (name, .none) }

        var conversion = Conversion.none
        if architecture == "llama", part == "attn_q" || part == "attn_k" {
            guard case .int(let heads) = configuration.values[part == "attn_q" ? "num_attention_heads" : "num_key_value_heads"] else {
                throw GGUFError.missingMetadata(file: file, key: "llama.attention.head_count")
            }
            conversion = .unpermuteRows(heads: heads)
        } else if architecture == "gemma3", suffix == "weight", part.hasSuffix("norm") {
            conversion = .subtractOne
        } else if isGPT2, suffix == "weight", ["attn_qkv", "attn_output", "ffn_up", "ffn_down"].contains(part) {
            conversion = .transpose
        }
        return (hub + "." + suffix, conversion)
    }
}
