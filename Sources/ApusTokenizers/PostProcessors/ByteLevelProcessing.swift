/// The `ByteLevel` post-processor: no special tokens; with `trim_offsets`, each token's offsets lose the
/// spaces at its ends, so "Ġworld" points at "world" (tokenizers/src/pre_tokenizers/byte_level.rs,
/// `process_offsets`).
///
/// ```json
/// {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true}
/// ```
struct ByteLevelProcessing: PostProcessor, JSONDecodableStage {
    static let jsonType = "ByteLevel"

    let trimOffsets: Bool
    let addPrefixSpace: Bool

    init(trimOffsets: Bool = true, addPrefixSpace: Bool = true) {
        self.trimOffsets = trimOffsets
        self.addPrefixSpace = addPrefixSpace
    }

    /// The fields default as in tokenizers' `ByteLevel::default()`; `use_regex` concerns the pre-tokenizer.
    init(json: JSONObject) throws {
        self.init(trimOffsets: try json.bool("trim_offsets", default: true), addPrefixSpace: try json.bool("add_prefix_space", default: true))
    }

    func addedTokenCount(isPair: Bool) -> Int { 0 }

    func processEncodings(_ encodings: [Encoding], addSpecialTokens: Bool) -> [Encoding] {
        guard trimOffsets else { return encodings }
        return encodings.map { encoding in
            var trimmed = encoding
            Self.trimOffsets(&trimmed, addPrefixSpace: addPrefixSpace)
            return trimmed
        }
    }

    /// Moves each token's start past its leading spaces (`Ġ` or White_Space) and its end before its trailing
    /// ones, never past each other. The first token (index 0, or starting at offset 0) keeps a single leading
    /// space when `addPrefixSpace` says the pre-tokenizer put it there. Overflowing windows are trimmed alike.
    static func trimOffsets(_ encoding: inout Encoding, addPrefixSpace: Bool) {
        for window in encoding.overflowing.indices { trimOffsets(&encoding.overflowing[window], addPrefixSpace: addPrefixSpace) }
        let space = ByteLevelAlphabet.scalar(for: UInt8(ascii: " "))
        func isSpace(_ scalar: Unicode.Scalar) -> Bool { scalar == space || CharacterClasses.isWhitespace(scalar) }
        for index in encoding.offsets.indices {
            let scalars = encoding.tokens[index].unicodeScalars
            var leading = 0
            for scalar in scalars { if isSpace(scalar) { leading += 1 } else { break } }
            var trailing = 0
            for scalar in scalars.reversed() { if isSpace(scalar) { trailing += 1 } else { break } }
            guard leading > 0 || trailing > 0 else { continue }
            var start = encoding.offsets[index].lowerBound, end = encoding.offsets[index].upperBound
            if leading > 0 {
                let isFirst = index == 0 || start == 0
                if isFirst && addPrefixSpace && leading == 1 { leading = 0 }
                start = min(start + leading, end)
            }
            if trailing > 0 && end >= trailing { end = max(end - trailing, start) }
            encoding.offsets[index] = start..<end
        }
    }
}
