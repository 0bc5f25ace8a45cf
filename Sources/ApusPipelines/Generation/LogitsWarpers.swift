import Foundation

/// transformers' logits processors (transformers/generation/logits_process.py), one function each, working in
/// place on one step's logits `[vocabularySize]`. A removed token's logit becomes `-infinity` (their
/// `filter_value`). `LogitsProcessor` chains them in transformers' order; tests check each against transformers.
public enum LogitsWarpers {
    /// `RepetitionPenaltyLogitsProcessor`: every distinct id of `history` (prompt and generated tokens) below the
    /// vocabulary size gets its logit multiplied by `penalty` when negative, divided by it otherwise. `marks` is
    /// scratch of at least `logits.count` entries, all unequal to `stamp` on entry (the caller bumps the stamp
    /// each step instead of clearing it).
    /// PyTorch multiplies and divides in Float, with the penalty rounded to Float.
    public static func applyRepetitionPenalty(_ logits: UnsafeMutableBufferPointer<Float>, history: [Int], penalty: Double,
                                              marks: UnsafeMutableBufferPointer<UInt32>, stamp: UInt32) {
        precondition(marks.count >= logits.count, "marks must cover the vocabulary")
        let penalty = Float(penalty)
        for id in history where id >= 0 && id < logits.count && marks[id] != stamp {
            marks[id] = stamp
            let score = logits[id]
            logits[id] = score < 0 ? score * penalty : score / penalty
        }
    }

    /// `TemperatureLogitsWarper`: logits divided by `temperature` (rounded to Float, as PyTorch does).
    public static func applyTemperature(_ logits: UnsafeMutableBufferPointer<Float>, temperature: Double) {
        let temperature = Float(temperature)
        for index in logits.indices { logits[index] /= temperature }
    }

    /// `TopKLogitsWarper`: tokens whose logit is below the `max(topK, minTokensToKeep)`-th largest are removed (ties
    /// with it are kept). `scratch` holds at least `logits.count` floats.
    public static func applyTopK(_ logits: UnsafeMutableBufferPointer<Float>, topK: Int, minTokensToKeep: Int = 1,
                                 scratch: UnsafeMutableBufferPointer<Float>) {
        let k = min(max(topK, minTokensToKeep), logits.count)
        guard k > 0, k < logits.count else { return }
        let values = UnsafeMutableBufferPointer(rebasing: scratch[0..<logits.count])
        _ = values.initialize(from: logits)
        let threshold = kthLargest(values, k)
        for index in logits.indices where logits[index] < threshold { logits[index] = -.infinity }
    }

    /// `TopPLogitsWarper`: with tokens sorted by ascending logit, those whose cumulative probability stays at or
    /// below `1 - topP` are removed; the `minTokensToKeep` most likely always stay. Only finite logits take part
    /// (a removed token has probability 0, so it cannot move the cumulative sum). `order` holds at least
    /// `logits.count` indices and `probabilities` as many floats.
    ///
    /// Rounding follows PyTorch's CPU kernels: probabilities are `exp(x - max) * (1 / sum)` in Float, the
    /// cumulative sum runs in Double (torch's accumulation type for float) and is compared in Float with
    /// `Float(1 - topP)` (the bound computed in Double, as Python does).
    public static func applyTopP(_ logits: UnsafeMutableBufferPointer<Float>, topP: Double, minTokensToKeep: Int = 1,
                                 order: UnsafeMutableBufferPointer<Int32>, probabilities: UnsafeMutableBufferPointer<Float>) {
        guard topP < 1 else { return }
        var count = 0
        var maximum = -Float.infinity
        for index in logits.indices where logits[index] > -.infinity {
            order[count] = Int32(index)
            count += 1
            maximum = max(maximum, logits[index])
        }
        guard count > 0 else { return }
        // Ascending by logit, ties in index order (lower ids removed first). torch.sort on CPU is not stable, so
        // which of several equally likely tokens at the cut transformers removes depends on its sort internals.
        var candidates = UnsafeMutableBufferPointer(rebasing: order[0..<count])
        candidates.sort { a, b in
            let (x, y) = (logits[Int(a)], logits[Int(b)])
            return x < y || (x == y && a < b)
        }
        var sum: Float = 0
        for position in 0..<count {
            let weight = expf(logits[Int(candidates[position])] - maximum)
            probabilities[position] = weight
            sum += weight
        }
        let inverseSum = 1 / sum
        let removalBound = Float(1 - topP)
        var cumulative: Double = 0
        let keptFrom = count - min(minTokensToKeep, count)
        for position in 0..<keptFrom {
            cumulative += Double(probabilities[position] * inverseSum)
            guard Float(cumulative) <= removalBound else { break } // the cumulative sum only grows
            logits[Int(candidates[position])] = -.infinity
        }
    }

    /// `MinPLogitsWarper`: tokens whose probability is below `minP` times the most likely token's are removed; the
    /// `minTokensToKeep` most likely always stay. `scratch` holds at least `2 * logits.count` floats.
    public static func applyMinP(_ logits: UnsafeMutableBufferPointer<Float>, minP: Double, minTokensToKeep: Int = 1,
                                 scratch: UnsafeMutableBufferPointer<Float>) {
        guard let maximum = logits.max(), maximum > -.infinity else { return }
        var sum: Float = 0
        for index in logits.indices {
            let weight = expf(logits[index] - maximum)
            scratch[index] = weight
            sum += weight
        }
        // Probabilities as torch's softmax makes them (exp(x - max) * (1 / sum)); the most likely one is 1 / sum.
        let inverseSum = 1 / sum
        let threshold = Float(minP) * inverseSum
        // The most likely token always passes (its probability is at least minP times itself); others kept by
        // min_tokens_to_keep are those at or above the k-th largest logit.
        var keptFrom = maximum
        if minTokensToKeep > 1 {
            let values = UnsafeMutableBufferPointer(rebasing: scratch[logits.count..<(2 * logits.count)])
            _ = values.initialize(from: logits)
            keptFrom = kthLargest(values, min(minTokensToKeep, logits.count))
        }
        for index in logits.indices where scratch[index] * inverseSum < threshold && logits[index] < keptFrom {
            logits[index] = -.infinity
        }
    }

    /// The `k`-th largest value (1-based) of `values`, which are reordered (quickselect, Hoare partition).
    static func kthLargest(_ values: UnsafeMutableBufferPointer<Float>, _ k: Int) -> Float {
        precondition(k >= 1 && k <= values.count)
        let target = k - 1 // index in descending order
        var low = 0, high = values.count - 1
        while low < high {
            // Median of three as pivot, to stay linear on sorted input.
            let middle = low + (high - low) / 2
            let pivot = max(min(values[low], values[middle]), min(max(values[low], values[middle]), values[high]))
            var i = low, j = high
            while i <= j {
                while values[i] > pivot { i += 1 }
                while values[j] < pivot { j -= 1 }
                if i <= j {
                    values.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if target <= j {
                high = j
            } else if target >= i {
                low = i
            } else {
                return values[target]
            }
        }
        return values[target]
    }
}
