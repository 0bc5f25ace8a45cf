import Foundation

/// Picks each next token from the model's logits as transformers' `generate` does for one sequence
/// (`_get_logits_processor` in transformers/generation/utils.py): the repetition penalty over prompt and
/// generated ids; then, only when sampling, temperature, top-k, top-p and min-p in that order; then the most
/// likely token (greedy) or a draw from the softmax (sampling).
///
/// ```swift
/// let processor = try LogitsProcessor(parameters: generationConfig.resolved(), vocabularySize: 151_936, seed: 42)
/// let next = processor.select(nextTokenFrom: logits, history: promptIds + generatedIds)
/// ```
///
/// Allocation-free per step: scratch buffers for the vocabulary are made once. `logits` is processed in place.
/// Sampling uses `SamplingRandomNumberGenerator`, reproducible from its seed but not PyTorch's stream.
public final class LogitsProcessor {
    /// The settings applied at every step.
    public let parameters: SamplingParameters
    /// The length of the logits `select` takes.
    public let vocabularySize: Int
    private var random: SamplingRandomNumberGenerator
    private let marks: UnsafeMutableBufferPointer<UInt32>
    private var stamp: UInt32 = 0
    private let floatScratch: UnsafeMutableBufferPointer<Float>
    private let keys: UnsafeMutableBufferPointer<UInt64>

    /// A processor for logits of `vocabularySize` entries; throws for settings transformers rejects.
    public init(parameters: SamplingParameters, vocabularySize: Int, seed: UInt64 = 0) throws {
        try parameters.validate()
        guard vocabularySize > 0, vocabularySize <= Int(Int32.max) else {
            throw PipelineError.invalidArgument(name: "vocabularySize", reason: "must be between 1 and \(Int32.max), got \(vocabularySize)")
        }
        self.parameters = parameters
        self.vocabularySize = vocabularySize
        random = SamplingRandomNumberGenerator(seed: seed)
        marks = .allocate(capacity: vocabularySize)
        marks.initialize(repeating: 0)
        floatScratch = .allocate(capacity: 2 * vocabularySize)
        floatScratch.initialize(repeating: 0)
        keys = .allocate(capacity: vocabularySize)
        keys.initialize(repeating: 0)
    }

    deinit {
        marks.deallocate()
        floatScratch.deallocate()
        keys.deallocate()
    }

    /// Applies the processors to `logits` in place (what transformers' logits processor list returns).
    public func process(_ logits: UnsafeMutableBufferPointer<Float>, history: [Int]) {
        precondition(logits.count == vocabularySize, "logits hold \(logits.count) entries, the processor expects \(vocabularySize)")
        if parameters.repetitionPenalty != 1 {
            stamp &+= 1
            if stamp == 0 { // wrapped: clear so no stale mark equals the new stamp
                marks.update(repeating: 0)
                stamp = 1
            }
            LogitsWarpers.applyRepetitionPenalty(logits, history: history, penalty: parameters.repetitionPenalty, marks: marks, stamp: stamp)
        }
        guard parameters.doSample else { return }
        if parameters.temperature != 1 {
            LogitsWarpers.applyTemperature(logits, temperature: parameters.temperature)
        }
        if parameters.topK != 0 {
            LogitsWarpers.applyTopK(logits, topK: parameters.topK, minTokensToKeep: parameters.minTokensToKeep, scratch: floatScratch)
        }
        if parameters.topP < 1 {
            LogitsWarpers.applyTopP(logits, topP: parameters.topP, minTokensToKeep: parameters.minTokensToKeep, keys: keys)
        }
        if let minP = parameters.minP {
            LogitsWarpers.applyMinP(logits, minP: minP, minTokensToKeep: parameters.minTokensToKeep, scratch: floatScratch)
        }
    }

    /// Processes `logits` (overwritten) and returns the next token: the first most likely one when not
    /// sampling, else a draw from the softmax of the processed logits. `history` is every id so far, prompt
    /// included.
    public func select(nextTokenFrom logits: UnsafeMutableBufferPointer<Float>, history: [Int]) -> Int {
        process(logits, history: history)
        return parameters.doSample ? LogitsProcessor.sample(logits, using: &random) : LogitsProcessor.argmax(logits)
    }

    /// The index of the first largest logit (torch.argmax); NaN never wins.
    public static func argmax(_ logits: UnsafeMutableBufferPointer<Float>) -> Int {
        var best = 0
        var bestValue = -Float.infinity
        for index in logits.indices where logits[index] > bestValue {
            best = index
            bestValue = logits[index]
        }
        return best
    }

    /// A token drawn with probability softmax(logits): one uniform number, walked through the cumulative
    /// weights (only finite logits can be drawn). Falls back to argmax if every logit is -infinity or NaN.
    public static func sample(_ logits: UnsafeMutableBufferPointer<Float>, using random: inout SamplingRandomNumberGenerator) -> Int {
        let best = argmax(logits)
        let maximum = logits[best]
        guard maximum > -.infinity else { return best }
        var total: Double = 0
        for value in logits where value > -.infinity { total += Double(expf(value - maximum)) }
        let target = random.nextUnitInterval() * total
        var cumulative: Double = 0
        var last = best
        for index in logits.indices where logits[index] > -.infinity {
            cumulative += Double(expf(logits[index] - maximum))
            last = index
            if target < cumulative { return index }
        }
        return last // rounding left the target at the very end
    }
}
