import Foundation
import ApusModels

/// A model's `generation_config.json`, or a caller's overrides of it: every field optional, as in transformers'
/// `GenerationConfig` (transformers/generation/configuration_utils.py).
///
/// ```swift
/// let file = try GenerationConfig(contentsOf: directory.appendingPathComponent("generation_config.json"))
/// let settings = file.merged(with: GenerationConfig(temperature: 0.7, maxNewTokens: 64)).resolved()
/// ```
///
/// `merged(with:)` and `resolved()` follow `GenerationMixin._prepare_generation_config`
/// (transformers/generation/utils.py): the caller's values win over the file's, and fields neither sets take
/// transformers' global defaults (`_get_default_generation_params`: greedy, temperature 1, top-k 50, top-p 1,
/// repetition penalty 1, max_length 20).
public struct GenerationConfig: Sendable, Equatable, Decodable {
    /// End-of-sequence token ids (the file may give one id or a list).
    public var eosTokenIds: [Int]?
    /// Beginning-of-sequence token id.
    public var bosTokenId: Int?
    /// Padding token id.
    public var padTokenId: Int?
    /// Sample from the distribution (true) or take the most likely token (false).
    public var doSample: Bool?
    /// Divides the logits before top-k/top-p/min-p when sampling.
    public var temperature: Double?
    /// Keep the `topK` most likely tokens (0 disables).
    public var topK: Int?
    /// Keep the smallest set of most likely tokens whose probability reaches `topP` (1 disables).
    public var topP: Double?
    /// Drop tokens less likely than `minP` times the most likely one.
    public var minP: Double?
    /// CTRL's penalty on every token already in the sequence, prompt included (1 disables).
    public var repetitionPenalty: Double?
    /// How many tokens to generate at most (takes precedence over `maxLength`).
    public var maxNewTokens: Int?
    /// Prompt plus generated tokens at most.
    public var maxLength: Int?

    /// A configuration with the given fields set (nil: not set).
    public init(eosTokenIds: [Int]? = nil, bosTokenId: Int? = nil, padTokenId: Int? = nil, doSample: Bool? = nil,
                temperature: Double? = nil, topK: Int? = nil, topP: Double? = nil, minP: Double? = nil,
                repetitionPenalty: Double? = nil, maxNewTokens: Int? = nil, maxLength: Int? = nil) {
        self.eosTokenIds = eosTokenIds
        self.bosTokenId = bosTokenId
        self.padTokenId = padTokenId
        self.doSample = doSample
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
        self.maxNewTokens = maxNewTokens
        self.maxLength = maxLength
    }

    /// Reads a generation_config.json; errors name the file and the field.
    public init(contentsOf url: URL) throws {
        self = try ConfigurationFile.decode(GenerationConfig.self, from: url)
    }

    /// Reads generation_config.json `data`; `source` names it in errors.
    public init(data: Data, source: String) throws {
        self = try ConfigurationFile.decode(GenerationConfig.self, from: data, source: source)
    }

    private enum CodingKeys: String, CodingKey {
        case eosTokenIds = "eos_token_id"
        case bosTokenId = "bos_token_id"
        case padTokenId = "pad_token_id"
        case doSample = "do_sample"
        case temperature
        case topK = "top_k"
        case topP = "top_p"
        case minP = "min_p"
        case repetitionPenalty = "repetition_penalty"
        case maxNewTokens = "max_new_tokens"
        case maxLength = "max_length"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let single = try? container.decodeIfPresent(Int.self, forKey: .eosTokenIds) {
            eosTokenIds = [single]
        } else {
            eosTokenIds = try container.decodeIfPresent([Int].self, forKey: .eosTokenIds)
        }
        bosTokenId = try container.decodeIfPresent(Int.self, forKey: .bosTokenId)
        padTokenId = try container.decodeIfPresent(Int.self, forKey: .padTokenId)
        doSample = try container.decodeIfPresent(Bool.self, forKey: .doSample)
        temperature = try container.decodeIfPresent(Double.self, forKey: .temperature)
        topK = try container.decodeIfPresent(Int.self, forKey: .topK)
        topP = try container.decodeIfPresent(Double.self, forKey: .topP)
        minP = try container.decodeIfPresent(Double.self, forKey: .minP)
        repetitionPenalty = try container.decodeIfPresent(Double.self, forKey: .repetitionPenalty)
        maxNewTokens = try container.decodeIfPresent(Int.self, forKey: .maxNewTokens)
        maxLength = try container.decodeIfPresent(Int.self, forKey: .maxLength)
    }

    /// This configuration with every field `overrides` sets replaced by the override.
    public func merged(with overrides: GenerationConfig) -> GenerationConfig {
        GenerationConfig(
            eosTokenIds: overrides.eosTokenIds ?? eosTokenIds, bosTokenId: overrides.bosTokenId ?? bosTokenId,
            padTokenId: overrides.padTokenId ?? padTokenId, doSample: overrides.doSample ?? doSample,
            temperature: overrides.temperature ?? temperature, topK: overrides.topK ?? topK, topP: overrides.topP ?? topP,
            minP: overrides.minP ?? minP, repetitionPenalty: overrides.repetitionPenalty ?? repetitionPenalty,
            maxNewTokens: overrides.maxNewTokens ?? maxNewTokens, maxLength: overrides.maxLength ?? maxLength)
    }

    /// The sampling settings in effect, with transformers' global defaults for unset fields; throws for values
    /// transformers rejects (a temperature ≤ 0 or a top-p outside [0, 1] when sampling, a negative top-k…).
    public func resolved() throws -> SamplingParameters {
        let parameters = SamplingParameters(
            doSample: doSample ?? false, temperature: temperature ?? 1, topK: topK ?? 50, topP: topP ?? 1,
            minP: minP, repetitionPenalty: repetitionPenalty ?? 1)
        try parameters.validate()
        return parameters
    }

    /// transformers' global default for `max_length` when neither the file nor the caller sets a length.
    public static let defaultMaxLength = 20

    /// How many tokens may be generated after a prompt of `promptLength` tokens (`_prepare_generated_length`):
    /// `maxNewTokens` if set; else `maxLength` minus the prompt; else 20 new tokens, capped by the model's
    /// `maxPositionEmbeddings` when given. Never negative.
    public func maximumNewTokens(promptLength: Int, maxPositionEmbeddings: Int? = nil) -> Int {
        if let maxNewTokens { return max(0, maxNewTokens) }
        if let maxLength { return max(0, maxLength - promptLength) }
        var total = GenerationConfig.defaultMaxLength + promptLength
        if let maxPositionEmbeddings { total = min(total, maxPositionEmbeddings) }
        return max(0, total - promptLength)
    }
}

/// The logits-processing settings of one generation, resolved from a `GenerationConfig`. Values are Doubles, as
/// Python's floats are; each processor rounds them where PyTorch does (see `LogitsWarpers`).
public struct SamplingParameters: Sendable, Equatable {
    /// Sample (true) or pick the most likely token (false); temperature, top-k, top-p and min-p apply only when
    /// sampling, as in transformers.
    public var doSample: Bool
    /// 1 disables.
    public var temperature: Double
    /// 0 disables.
    public var topK: Int
    /// 1 disables.
    public var topP: Double
    /// nil disables.
    public var minP: Double?
    /// 1 disables.
    public var repetitionPenalty: Double
    /// Tokens top-k, top-p and min-p always keep (transformers uses 1 outside beam search).
    public var minTokensToKeep: Int

    /// Settings as given; `validate()` checks them.
    public init(doSample: Bool, temperature: Double = 1, topK: Int = 0, topP: Double = 1, minP: Double? = nil,
                repetitionPenalty: Double = 1, minTokensToKeep: Int = 1) {
        self.doSample = doSample
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
        self.minTokensToKeep = minTokensToKeep
    }

    /// Greedy decoding with no penalty.
    public static let greedy = SamplingParameters(doSample: false)

    /// Throws `PipelineError.invalidArgument` for values transformers' processors reject.
    public func validate() throws {
        guard repetitionPenalty > 0, repetitionPenalty.isFinite else {
            throw PipelineError.invalidArgument(name: "repetition_penalty", reason: "must be a positive number, got \(repetitionPenalty)")
        }
        guard minTokensToKeep >= 1 else {
            throw PipelineError.invalidArgument(name: "min_tokens_to_keep", reason: "must be at least 1, got \(minTokensToKeep)")
        }
        guard doSample else { return }
        guard temperature > 0, temperature.isFinite else {
            throw PipelineError.invalidArgument(name: "temperature", reason: "must be a positive number when sampling, got \(temperature); for greedy decoding set do_sample to false")
        }
        guard topK >= 0 else { throw PipelineError.invalidArgument(name: "top_k", reason: "must be 0 (off) or positive, got \(topK)") }
        guard (0...1).contains(topP) else { throw PipelineError.invalidArgument(name: "top_p", reason: "must be in [0, 1], got \(topP)") }
        if let minP, !(0...1).contains(minP) {
            throw PipelineError.invalidArgument(name: "min_p", reason: "must be in [0, 1], got \(minP)")
        }
    }
}
