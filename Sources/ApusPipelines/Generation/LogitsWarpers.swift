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
    /// (a removed token has probability 0, so it cannot move the cumulative sum). `keys` holds at least
    /// `logits.count` entries.
    ///
    /// Rounding follows PyTorch's CPU kernels: probabilities are `exp(x - max) * (1 / sum)` in Float, the
    /// cumulative sum runs in Double (torch's accumulation type for float) and is compared in Float with
    /// `Float(1 - topP)` (the bound computed in Double, as Python does).
    ///
    /// Rather than sorting the whole vocabulary, the cut is narrowed down by partitioning (expected linear time)
    /// and only the last ≤ 256 tokens around it are sorted. The masses of the partitions are summed in another
    /// order than PyTorch's running sum; in Double that changes the Float comparison only for a sum within
    /// rounding of the bound. Tokens are sorted as 64-bit keys, the logit's bits
    /// in an order-preserving form above the token id, so ties fall in id order (lower ids removed first);
    /// torch.sort on CPU is not stable, so which of several equally likely tokens at the cut transformers removes
    /// depends on its sort internals.
    public static func applyTopP(_ logits: UnsafeMutableBufferPointer<Float>, topP: Double, minTokensToKeep: Int = 1,
                                 keys: UnsafeMutableBufferPointer<UInt64>) {
        guard topP < 1 else { return }
        var count = 0
        var maximum = -Float.infinity
        for index in logits.indices where logits[index] > -.infinity {
            keys[count] = sortKey(logits[index], token: index)
            count += 1
            maximum = max(maximum, logits[index])
        }
        guard count > 0 else { return }
        var sum: Float = 0
        for position in 0..<count { sum += expf(logits[Int(keys[position] & 0xFFFF_FFFF)] - maximum) }
        let inverseSum = 1 / sum
        func token(_ key: UInt64) -> Int { Int(key & 0xFFFF_FFFF) }
        func probability(_ key: UInt64) -> Float { expf(logits[token(key)] - maximum) * inverseSum }
        let removalBound = Float(1 - topP)
        let kept = min(minTokensToKeep, count)
        let candidates = UnsafeMutableBufferPointer(rebasing: keys[0..<count])
        // The removed tokens are a prefix of the ascending order, at most `count - kept` long. Narrow down where it
        // ends by partitioning (a quickselect weighted by probability): `[0, low)` holds the `low` least likely
        // tokens, all removed (their mass `removedMass` is within the bound); the prefix ends before `high`.
        var low = 0
        var high = count - kept
        if high < count { selectNth(candidates, high) }
        var removedMass: Double = 0
        while high - low > 256 {
            let middle = low + (high - low) / 2
            let range = UnsafeMutableBufferPointer(rebasing: candidates[low..<high])
            selectNth(range, middle - low)
            var mass = removedMass
            for position in low..<middle { mass += Double(probability(candidates[position])) }
            if Float(mass) <= removalBound {
                low = middle
                removedMass = mass
            } else {
                high = middle
            }
        }
        for position in 0..<low { logits[token(candidates[position])] = -.infinity }
        let boundary = UnsafeMutableBufferPointer(rebasing: candidates[low..<high])
        heapSort(boundary)
        var cumulative = removedMass
        for position in boundary.indices {
            cumulative += Double(probability(boundary[position]))
            guard Float(cumulative) <= removalBound else { break } // the cumulative sum only grows
            logits[token(boundary[position])] = -.infinity
        }
    }

    /// `applyTopP` written plainly, as the readable twin the tests compare it with: sort every finite token,
    /// accumulate from the least likely, remove while the running sum stays within the bound.
    public static func applyTopPReference(_ logits: UnsafeMutableBufferPointer<Float>, topP: Double, minTokensToKeep: Int = 1) {
        guard topP < 1 else { return }
        let finite = logits.indices.filter { logits[$0] > -.infinity }
        guard let maximum = finite.map({ logits[$0] }).max() else { return }
        let ascending = finite.sorted { logits[$0] < logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
        // Summed in token order, as applyTopP does (PyTorch's vectorised sum has its own order).
        let inverseSum = 1 / finite.reduce(Float(0)) { $0 + expf(logits[$1] - maximum) }
        var cumulative: Double = 0
        for token in ascending.dropLast(min(minTokensToKeep, ascending.count)) {
            cumulative += Double(expf(logits[token] - maximum) * inverseSum)
            guard Float(cumulative) <= Float(1 - topP) else { break }
            logits[token] = -.infinity
        }
    }

    /// A key whose unsigned order is (logit ascending, token id ascending): the float's bits flipped so that
    /// negative values order below positive ones, above the 32-bit id.
    static func sortKey(_ value: Float, token: Int) -> UInt64 {
        let bits = value == 0 ? 0 : value.bitPattern // -0.0 and 0.0 are equal logits
        let ordered = bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
        return UInt64(ordered) << 32 | UInt64(UInt32(truncatingIfNeeded: token))
    }

    /// Reorders `values` so that position `nth` holds what a full sort would put there, smaller elements before it
    /// and larger after (quickselect, Hoare partition, median-of-three pivot).
    static func selectNth(_ values: UnsafeMutableBufferPointer<UInt64>, _ nth: Int) {
        var low = 0, high = values.count - 1
        while low < high {
            let (a, b, c) = (values[low], values[low + (high - low) / 2], values[high])
            let pivot = max(min(a, b), min(max(a, b), c))
            var i = low, j = high
            while i <= j {
                while values[i] < pivot { i += 1 }
                while pivot < values[j] { j -= 1 }
                if i <= j {
                    values.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if nth <= j {
                high = j
            } else if nth >= i {
                low = i
            } else {
                return
            }
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

    /// `kthLargest` through a min-heap kept in `values[0..<k]`.
    private static func kthLargestByHeap(_ values: UnsafeMutableBufferPointer<Float>, _ k: Int) -> Float {
        func isSmaller(_ x: Float, _ y: Float) -> Bool { x < y || (x.isNaN && !y.isNaN) }
        func siftDown(_ start: Int) {
            var root = start
            while 2 * root + 1 < k {
                var child = 2 * root + 1
                if child + 1 < k && isSmaller(values[child + 1], values[child]) { child += 1 }
                guard isSmaller(values[child], values[root]) else { return }
                values.swapAt(root, child)
                root = child
            }
        }
        for start in stride(from: k / 2 - 1, through: 0, by: -1) { siftDown(start) }
        for index in k..<values.count where isSmaller(values[0], values[index]) {
            values.swapAt(0, index)
            siftDown(0)
        }
        return values[0]
    }

    /// Sorts `values` ascending in place without allocating (the standard library's sort allocates a merge
    /// buffer, which the per-step path avoids).
    static func heapSort(_ values: UnsafeMutableBufferPointer<UInt64>) {
        func siftDown(_ start: Int, _ end: Int) {
            var root = start
            while 2 * root + 1 < end {
                var child = 2 * root + 1
                if child + 1 < end && values[child] < values[child + 1] { child += 1 }
                guard values[root] < values[child] else { return }
                values.swapAt(root, child)
                root = child
            }
        }
        let count = values.count
        guard count > 1 else { return }
        for start in stride(from: count / 2 - 1, through: 0, by: -1) { siftDown(start, count) }
        for end in stride(from: count - 1, to: 0, by: -1) {
            values.swapAt(0, end)
            siftDown(0, end)
        }
    }

    /// The `k`-th largest value (1-based) of `values`, which are reordered: for small `k` through a min-heap of
    /// the `k` largest at the front (one comparison for most values), else by quickselect (Hoare partition).
    /// NaN counts as smaller than everything.
    static func kthLargest(_ values: UnsafeMutableBufferPointer<Float>, _ k: Int) -> Float {
        precondition(k >= 1 && k <= values.count)
        if k <= 4096 && k * 16 <= values.count {
            return kthLargestByHeap(values, k)
        }
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
