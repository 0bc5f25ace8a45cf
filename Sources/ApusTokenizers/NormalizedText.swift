/// Text as Unicode scalars, each remembering which scalars of the original input it came from.
///
/// Normalizers rewrite the scalars and keep the alignments; tokens then report offsets into the original
/// text (as Python's `tokenizers` reports character offsets). Scalars, not Swift `Character`s: grapheme
/// clustering would merge what Hugging Face treats as separate characters.
public struct NormalizedText: Sendable, Equatable {
    /// The current scalars.
    public var scalars: [Unicode.Scalar]
    /// For each scalar, the range of original scalar indices it stands for.
    public var alignments: [Range<Int>]

    /// Unnormalised text whose first scalar is at original index `offset`.
    public init(_ scalars: some Sequence<Unicode.Scalar>, offset: Int = 0) {
        self.scalars = Array(scalars)
        alignments = self.scalars.indices.map { (offset + $0)..<(offset + $0 + 1) }
    }

    /// Text with explicit alignments.
    public init(scalars: [Unicode.Scalar], alignments: [Range<Int>]) {
        precondition(scalars.count == alignments.count, "one alignment per scalar")
        self.scalars = scalars
        self.alignments = alignments
    }

    /// Whether there are no scalars.
    public var isEmpty: Bool { scalars.isEmpty }

    /// The text as a String.
    public var string: String {
        var result = String.UnicodeScalarView()
        result.append(contentsOf: scalars)
        return String(result)
    }

    /// Replaces every scalar by `transform(scalar)` (zero or more scalars), all aligned to the original's range.
    public mutating func transform(_ transform: (Unicode.Scalar) -> [Unicode.Scalar]) {
        var newScalars: [Unicode.Scalar] = []
        var newAlignments: [Range<Int>] = []
        newScalars.reserveCapacity(scalars.count)
        newAlignments.reserveCapacity(scalars.count)
        for (scalar, alignment) in zip(scalars, alignments) {
            for replacement in transform(scalar) {
                newScalars.append(replacement)
                newAlignments.append(alignment)
            }
        }
        scalars = newScalars
        alignments = newAlignments
    }

    /// Scalars `range` as a new text keeping their alignments.
    public func slice(_ range: Range<Int>) -> NormalizedText {
        NormalizedText(scalars: Array(scalars[range]), alignments: Array(alignments[range]))
    }

    /// The original-text range covered by scalars `range` (empty ranges map to an empty offset).
    public func originalRange(of range: Range<Int>) -> Range<Int> {
        guard !range.isEmpty else {
            let position = range.lowerBound < alignments.count ? alignments[range.lowerBound].lowerBound : (alignments.last?.upperBound ?? 0)
            return position..<position
        }
        return alignments[range.lowerBound].lowerBound..<alignments[range.upperBound - 1].upperBound
    }
}
