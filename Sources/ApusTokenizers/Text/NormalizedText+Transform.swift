/// tokenizers' general rewrite of a normalised string (`NormalizedString::transform_range`,
/// tokenizers/src/tokenizer/normalizer.rs), which normalisers that add, remove and reorder characters at once
/// (Unicode composition, SentencePiece's Precompiled map, Strip, Prepend) go through; their offsets are exactly
/// what this bookkeeping gives.
extension NormalizedText {
    /// One scalar of a rewrite and how it relates to the old scalars (tokenizers' `(char, isize)` pairs):
    /// `change` 0 replaces the next old scalar; +1 is inserted and takes the alignment of the old scalar before
    /// it; −n replaces the next old scalar and removes the n after it.
    struct Change: Sendable, Equatable {
        var scalar: Unicode.Scalar
        var change: Int

        init(_ scalar: Unicode.Scalar, _ change: Int) {
            self.scalar = scalar
            self.change = change
        }
    }

    /// Replaces the scalars in `range` by `changes`, after dropping `initialOffset` of them (removed scalars at
    /// the start, which no change accounts for).
    mutating func transform(_ range: Range<Int>? = nil, _ changes: [Change], initialOffset: Int = 0) {
        let range = range ?? 0..<count
        var newScalars: [Unicode.Scalar] = []
        var newAlignments: [Range<Int>] = []
        newScalars.reserveCapacity(changes.count)
        newAlignments.reserveCapacity(changes.count)
        // The next old scalar a change consumes.
        var next = min(range.lowerBound + initialOffset, range.upperBound)
        for change in changes {
            let alignment: Range<Int>
            if change.change > 0 {
                // An insertion shares the alignment of the scalar before it (the empty range at 0 at the start).
                alignment = next < 1 ? 0..<0 : alignments[next - 1]
            } else if next < alignments.count {
                alignment = alignments[next]
            } else {
                // tokenizers would index past its alignments here and panic; no normaliser produces this.
                let end = alignments.last?.upperBound ?? 0
                alignment = end..<end
            }
            if change.change <= 0 && next < range.upperBound { next += 1 }
            if change.change < 0 { next = min(next - change.change, range.upperBound) }
            newScalars.append(change.scalar)
            newAlignments.append(alignment)
        }
        replaceSubrange(range, with: newScalars, alignments: newAlignments)
    }
}
