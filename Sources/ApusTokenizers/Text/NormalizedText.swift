/// Text being normalised: Unicode scalars, each remembering which scalars of the original input it stands for
/// (tokenizers/src/tokenizer/normalizer.rs, `NormalizedString`).
///
/// Tokens report offsets into the original input through these alignments, in Unicode scalars — what Python's
/// `tokenizers` reports as character offsets. Scalars, never Swift `Character`s: grapheme clustering would merge
/// what Hugging Face treats as separate characters (a letter and its combining accent, an emoji and its skin tone).
///
/// ```swift
/// var text = NormalizedText("Éa")
/// text.rewrite { scalar, emit in
///     if scalar == "É" { emit("E"); emit("\u{301}") } else { emit(scalar) }
/// }
/// text.alignments   // [0..<1, 0..<1, 1..<2]: both scalars of the decomposed "É" point at original scalar 0
/// ```
struct NormalizedText: Sendable, Equatable {
    /// The current scalars.
    private(set) var scalars: [Unicode.Scalar]
    /// For each current scalar, the range of original scalar indices it came from.
    private(set) var alignments: [Range<Int>]
    /// Where this text's original begins in the whole input: non-zero for a piece cut out of it (tokenizers'
    /// `original_shift`, which Metaspace's `prepend_scheme: first` asks about).
    private(set) var originalShift = 0

    /// Unnormalised `text`: scalar `i` aligned to original index `i`.
    init(_ text: String) {
        scalars = Array(text.unicodeScalars)
        alignments = scalars.indices.map { $0..<($0 + 1) }
    }

    /// Scalars with explicit alignments (one per scalar).
    init(scalars: [Unicode.Scalar], alignments: [Range<Int>]) {
        precondition(scalars.count == alignments.count, "one alignment per scalar")
        self.scalars = scalars
        self.alignments = alignments
    }

    /// Number of scalars.
    var count: Int { scalars.count }

    /// Whether no scalars are left.
    var isEmpty: Bool { scalars.isEmpty }

    /// The current text.
    var string: String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }

    /// Replaces each scalar one for one, keeping its alignment (tokenizers' `NormalizedString::map`).
    mutating func map(_ transform: (Unicode.Scalar) -> Unicode.Scalar) {
        for index in scalars.indices { scalars[index] = transform(scalars[index]) }
    }

    /// Removes the scalars `shouldRemove` selects, with their alignments (tokenizers' `filter`).
    mutating func removeAll(where shouldRemove: (Unicode.Scalar) -> Bool) {
        var kept = 0
        for index in scalars.indices where !shouldRemove(scalars[index]) {
            scalars[kept] = scalars[index]
            alignments[kept] = alignments[index]
            kept += 1
        }
        scalars.removeLast(scalars.count - kept)
        alignments.removeLast(alignments.count - kept)
    }

    /// Replaces each scalar by the zero or more scalars `body` emits for it; every emitted scalar takes the
    /// alignment of the scalar it replaces. This is what tokenizers' `transform` produces for the rewrites
    /// normalizers make, where the first emitted scalar replaces the original (change 0) and the others are
    /// insertions after it (change +1), which inherit the alignment of the scalar before them.
    mutating func rewrite(_ body: (Unicode.Scalar, _ emit: (Unicode.Scalar) -> Void) -> Void) {
        var newScalars: [Unicode.Scalar] = []
        var newAlignments: [Range<Int>] = []
        newScalars.reserveCapacity(scalars.count)
        newAlignments.reserveCapacity(scalars.count)
        for index in scalars.indices {
            let alignment = alignments[index]
            body(scalars[index]) { replacement in
                newScalars.append(replacement)
                newAlignments.append(alignment)
            }
        }
        scalars = newScalars
        alignments = newAlignments
    }

    /// Reorders the scalars in `range` to `reordered` (the same count) while the alignments stay where they are.
    /// tokenizers assigns alignments by position when a normalisation reorders characters (NFD's canonical
    /// ordering), so the reordered scalars keep the alignments of the positions they move to.
    mutating func reorderScalars(in range: Range<Int>, to reordered: [Unicode.Scalar]) {
        precondition(reordered.count == range.count, "reordering keeps the scalar count")
        scalars.replaceSubrange(range, with: reordered)
    }

    /// Replaces the scalars in `range` by `newScalars`, each with its alignment (the counts may differ).
    mutating func replaceSubrange(_ range: Range<Int>, with newScalars: [Unicode.Scalar], alignments newAlignments: [Range<Int>]) {
        precondition(newScalars.count == newAlignments.count, "one alignment per scalar")
        scalars.replaceSubrange(range, with: newScalars)
        alignments.replaceSubrange(range, with: newAlignments)
    }

    /// Scalars `range` as a text of their own, keeping their alignments to the original.
    func slice(_ range: Range<Int>) -> NormalizedText {
        var slice = NormalizedText(scalars: Array(scalars[range]), alignments: Array(alignments[range]))
        slice.originalShift = originalRange(of: range).lowerBound
        return slice
    }

    /// The original range covered by the scalars in `range`: from the start of the first one's alignment to the
    /// end of the last one's (tokenizers' `convert_offsets`). An empty range maps to an empty offset where it is.
    func originalRange(of range: Range<Int>) -> Range<Int> {
        guard !range.isEmpty else {
            let position = range.lowerBound < alignments.count
                ? alignments[range.lowerBound].lowerBound : (alignments.last?.upperBound ?? 0)
            return position..<position
        }
        return alignments[range.lowerBound].lowerBound..<alignments[range.upperBound - 1].upperBound
    }
}
