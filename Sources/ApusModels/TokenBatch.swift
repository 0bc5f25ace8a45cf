/// A packed batch of token sequences: the tokens of all sequences concatenated, with no padding.
///
/// Encoders run on `[totalTokens, hidden]` activations and use `sequenceOffsets` to keep attention
/// within each sequence (the padding-free batching of ByteTransformer / MosaicBERT), so no work is
/// spent on pad tokens and a text's result does not depend on what it is batched with.
public struct TokenBatch: Sendable, Equatable {
    /// Token ids of every sequence, concatenated.
    public let tokenIds: [Int]
    /// Segment (token type) ids, parallel to `tokenIds`.
    public let typeIds: [Int]
    /// Number of tokens in each sequence.
    public let sequenceLengths: [Int]
    /// Start of each sequence in `tokenIds`, plus a final entry equal to `totalTokens`.
    public let sequenceOffsets: [Int]

    /// Total number of tokens in the batch.
    public var totalTokens: Int { tokenIds.count }
    /// Number of sequences.
    public var sequenceCount: Int { sequenceLengths.count }
    /// Length of the longest sequence.
    public var longestSequence: Int { sequenceLengths.max() ?? 0 }

    /// Packs sequences given as `(ids, typeIds)` pairs; `typeIds` may be empty to mean all zeros.
    public init(sequences: [(ids: [Int], typeIds: [Int])]) throws {
        var ids: [Int] = []
        var types: [Int] = []
        var lengths: [Int] = []
        var offsets: [Int] = [0]
        ids.reserveCapacity(sequences.reduce(0) { $0 + $1.ids.count })
        for (index, sequence) in sequences.enumerated() {
            if !sequence.typeIds.isEmpty && sequence.typeIds.count != sequence.ids.count {
                throw ModelError.inconsistentBatch(reason: "sequence \(index) has \(sequence.ids.count) ids but \(sequence.typeIds.count) type ids")
            }
            ids += sequence.ids
            types += sequence.typeIds.isEmpty ? Array(repeating: 0, count: sequence.ids.count) : sequence.typeIds
            lengths.append(sequence.ids.count)
            offsets.append(ids.count)
        }
        tokenIds = ids
        typeIds = types
        sequenceLengths = lengths
        sequenceOffsets = offsets
    }

    /// Packs sequences of token ids, all with type id 0.
    public init(tokenIds sequences: [[Int]]) throws {
        try self.init(sequences: sequences.map { ($0, []) })
    }
}
