// RoBERTa encoder (RobertaModel without the pooler), a port of
// https://github.com/huggingface/transformers/blob/main/src/transformers/models/roberta/modeling_roberta.py
// and, through the same code, of XLM-RoBERTa (models/xlm_roberta/modeling_xlm_roberta.py) and CamemBERT
// (models/camembert/modeling_camembert.py), whose encoders are RoBERTa's under other names.
//
// RoBERTa is BERT (Bert.swift) with one change in the forward pass: position ids. `RobertaEmbeddings` numbers the
// tokens of a sequence from `pad_token_id + 1` and gives pad tokens row `pad_token_id`
// (`create_position_ids_from_input_ids`), so the position matrix has `pad_token_id + 1` rows before the first usable
// one and the longest sequence is `max_position_embeddings - pad_token_id - 1` (514 rows → 512 tokens). Layers,
// weight names under `encoder.layer.N` and the config keys are BERT's; the blocks are reused from Bert.swift.
import ApusTensor
import Foundation

// MARK: - Configuration

/// RoBERTa's `config.json`: BERT's keys (`RobertaConfig` differs from `BertConfig` only in defaults; the one the
/// forward pass reads, `pad_token_id` = 1, is applied by `RobertaModel`).
public typealias RobertaConfiguration = BertConfiguration

extension BertConfiguration {
    /// `pad_token_id` as `RobertaConfig` defaults it: the padding row of RoBERTa's position ids.
    var robertaPaddingId: Int { padTokenId ?? 1 }

    /// `validate(source:)`, plus the RoBERTa rule that positions after the padding row leave room for a token.
    func validateAsRoberta(source: String) throws {
        try validate(source: source)
        let paddingId = robertaPaddingId
        if paddingId < 0 || paddingId >= vocabularySize {
            throw ModelError.invalidConfiguration(file: source, field: "pad_token_id",
                                                  reason: "\(paddingId) is not a token id (vocab_size is \(vocabularySize))")
        }
        if PositionIds.afterPadding(paddingId: paddingId).longestSequence(rows: maxPositions) < 1 {
            throw ModelError.invalidConfiguration(
                file: source, field: "max_position_embeddings",
                reason: "\(maxPositions) leaves no position after the padding row; RoBERTa needs more than pad_token_id + 1 (\(paddingId + 1))")
        }
    }
}

// MARK: - Model

/// A RoBERTa (or XLM-RoBERTa, CamemBERT) encoder: token ids in, last hidden states `[totalTokens, hiddenSize]` out.
public final class RobertaModel: TextEncoder {
    /// The configuration the weights were loaded with.
    public let configuration: RobertaConfiguration
    let stack: BertStack

    public var hiddenSize: Int { configuration.hiddenSize }
    /// `max_position_embeddings - pad_token_id - 1`: the rows before `pad_token_id + 1` are never a real token's.
    public var maxPositions: Int { stack.embeddings.longestSequence }

    /// Builds the encoder from `weights`, whose names may carry the `roberta.` prefix of task checkpoints
    /// (`RobertaForSequenceClassification`, `XLMRobertaForMaskedLM` …), its linear layers computing in `precision`.
    /// The pooler and task heads are declared unused.
    public init(configuration: RobertaConfiguration, weights: WeightStore, precision: Precision = .fp32) throws {
        try configuration.validateAsRoberta(source: "config.json")
        guard let activation = Activation(huggingFaceName: configuration.hiddenActivation) else {
            throw ModelError.unsupportedConfigurationValue(file: "config.json", key: "hidden_act",
                                                           value: configuration.hiddenActivation, supported: Activation.huggingFaceNames)
        }
        // `base_model_prefix = "roberta"` for RoBERTa, XLM-RoBERTa and CamemBERT task models alike.
        let root = weights.contains("roberta.embeddings.word_embeddings.weight") ? weights.scope("roberta") : weights.root
        self.configuration = configuration
        stack = BertStack(
            embeddings: try BertEmbeddings(root.scope("embeddings"), configuration,
                                           positionIds: .afterPadding(paddingId: configuration.robertaPaddingId)),
            layers: try (0..<configuration.layerCount).map { index in
                try BertLayer(root.scope("encoder.layer.\(index)"), configuration, activation: activation, precision: precision)
            })
        // As in BertModel: index buffers older transformers versions saved, and the pooler.
        let rootPrefix = root.prefix.isEmpty ? "" : root.prefix + "."
        for unused in ["embeddings.position_ids", "embeddings.token_type_ids", "pooler."] {
            weights.markUnused(prefix: rootPrefix + unused)
        }
        // Task heads sit beside the `roberta.` prefix: `classifier.` (sequence/token classification), `lm_head.`
        // (masked LM), `qa_outputs.` (question answering). An encoder does not run them.
        if !root.prefix.isEmpty {
            for head in ["classifier.", "lm_head.", "qa_outputs."] { weights.markUnused(prefix: head) }
        }
    }

    /// Runs the encoder on a packed batch, writing `[totalTokens, hiddenSize]` to `output`; activations live
    /// in `arena`, so once the arena has seen a batch this large the pass allocates nothing.
    public func encode(_ batch: TokenBatch, into output: UnsafeMutablePointer<Float>, pool: ThreadPool,
                       arena: ActivationArena) throws {
        try stack.encode(batch, into: output, pool: pool, arena: arena)
    }
}

extension ModelRegistry {
    /// `model_type` "roberta", "xlm-roberta" and "camembert": one encoder, three names.
    static let roberta = ModelRegistry.Family(modelTypes: ["roberta", "xlm-roberta", "camembert"]) { directory, configurationURL, precision in
        let configuration = try RobertaConfiguration.load(from: configurationURL)
        try configuration.validateAsRoberta(source: configurationURL.path)
        let weights = try WeightStore(directory: directory)
        let model = try RobertaModel(configuration: configuration, weights: weights, precision: precision)
        try weights.finish()
        return model
    }
}
