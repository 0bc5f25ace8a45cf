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
        let words = useRegex ? SplitDelimiterBehavior.isolated.split(text, pieces: Self.splitPattern.pieces(in: text.scalars)) : [text]
        return words.compactMap { $0.isEmpty ? nil : Self.mapBytes($0) }
    }

    /// `word` with every scalar replaced by the alphabet scalars of its UTF-8 bytes, each aligned as the scalar was.
    static func mapBytes(_ word: NormalizedText) -> NormalizedText {
        var mapped = word
        if word.scalars.allSatisfy({ $0.value < 0x80 }) {
            mapped.map { ByteLevelAlphabet.scalar(for: UInt8($0.value)) }
            return mapped
        }
        mapped.rewrite { scalar, emit in
            Unicode.UTF8.encode(scalar) { emit(ByteLevelAlphabet.scalar(for: $0)) }
        }
        return mapped
    }
}
