/// `ByteLevel` pre-tokenizer: optionally adds a leading space, splits with GPT-2's pattern, then writes every
/// UTF-8 byte of each word as its `ByteLevelAlphabet` scalar (tokenizers/src/pre_tokenizers/byte_level.rs).
///
/// "Hello wörld" → "Hello", "ĠwÃ¶rld". Offsets stay in the original text's scalars: all the bytes of a scalar
/// align with that scalar, and an added leading space with the word's first scalar.
///
/// ```json
/// {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}
/// ```
struct ByteLevelPreTokenizer: PreTokenizer, JSONDecodableStage {
    static let jsonType = "ByteLevel"

    /// Add a space before a word that does not start with one, so the first word is tokenised like the others.
    let addPrefixSpace: Bool
    /// Read by the ByteLevel post-processor, not here.
    let trimOffsets: Bool
    /// Split with GPT-2's pattern; false when an earlier `Split` already did.
    let useRegex: Bool

    /// GPT-2's split pattern, which tokenizers hard-codes for this pre-tokenizer.
    static let splitPattern: TokenizerRegex = {
        guard let regex = try? TokenizerRegex(KnownSplitPattern.gpt2Pattern) else { preconditionFailure("GPT-2's pattern compiles") }
        return regex
    }()

    init(addPrefixSpace: Bool = true, trimOffsets: Bool = true, useRegex: Bool = true) {
        self.addPrefixSpace = addPrefixSpace
        self.trimOffsets = trimOffsets
        self.useRegex = useRegex
    }

    init(json: JSONObject) throws {
        self.init(addPrefixSpace: try json.bool("add_prefix_space", default: true),
                  trimOffsets: try json.bool("trim_offsets", default: true),
                  useRegex: try json.bool("use_regex", default: true))
    }

    func split(_ text: NormalizedText) -> [NormalizedText] {
        var text = text
        if addPrefixSpace, let first = text.scalars.first, first != " " {
            // tokenizers' `prepend`: the space replaces the first scalar's slot and the scalar is re-inserted
            // after it, so both align with the first scalar.
            text = NormalizedText(scalars: [" "] + text.scalars, alignments: [text.alignments[0]] + text.alignments)
        }
        guard useRegex else { return text.isEmpty ? [] : [Self.mapBytes(text, in: 0..<text.count)] }
        // The split pattern's matches cover the text (it matches at every position), so each match is a word.
        var words: [NormalizedText] = []
        text.scalars.withUnsafeBufferPointer { scalars in
            Self.splitPattern.forEachMatch(in: scalars) { words.append(Self.mapBytes(text, in: $0)) }
        }
        return words
    }

    /// Scalars `range` of `text` with every scalar replaced by the alphabet scalars of its UTF-8 bytes, each
    /// aligned as the scalar was (tokenizers' `transform` with the extra bytes as additions).
    static func mapBytes(_ text: NormalizedText, in range: Range<Int>) -> NormalizedText {
        var scalars: [Unicode.Scalar] = []
        var alignments: [Range<Int>] = []
        scalars.reserveCapacity(range.count)
        alignments.reserveCapacity(range.count)
        for index in range {
            let scalar = text.scalars[index]
            let alignment = text.alignments[index]
            if scalar.value < 0x80 {
                scalars.append(ByteLevelAlphabet.scalar(for: UInt8(truncatingIfNeeded: scalar.value)))
                alignments.append(alignment)
            } else {
                Unicode.UTF8.encode(scalar) { byte in
                    scalars.append(ByteLevelAlphabet.scalar(for: byte))
                    alignments.append(alignment)
                }
            }
        }
        return NormalizedText(scalars: scalars, alignments: alignments)
    }
}
