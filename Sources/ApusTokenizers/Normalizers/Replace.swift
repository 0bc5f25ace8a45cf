/// `Replace` normalizer: every match of a string or regex pattern becomes `content`
/// (tokenizers/src/normalizers/replace.rs, `NormalizedString::replace`).
///
/// The replacement scalars all align with the match's last scalar (tokenizers inserts them as additions after the
/// position it has skipped the whole match to); an empty match's with the scalar before it, or with nothing at
/// offset 0.
///
/// ```json
/// {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}
/// ```
struct Replace: Normalizer, JSONDecodableStage {
    static let jsonType = "Replace"

    let pattern: TokenizerRegex
    let content: [Unicode.Scalar]

    init(pattern: TokenizerRegex, content: String) {
        self.pattern = pattern
        self.content = Array(content.unicodeScalars)
    }

    init(json: JSONObject) throws {
        self.init(pattern: try Split.pattern(json, key: "pattern"), content: try json.string("content"))
    }

    func normalize(_ text: inout NormalizedText) {
        let pieces = pattern.pieces(in: text.scalars)
        guard pieces.contains(where: \.isMatch) else { return }
        var scalars: [Unicode.Scalar] = []
        var alignments: [Range<Int>] = []
        scalars.reserveCapacity(text.count)
        alignments.reserveCapacity(text.count)
        for piece in pieces {
            if piece.isMatch {
                let alignment = piece.range.upperBound > 0 ? text.alignments[piece.range.upperBound - 1] : 0..<0
                scalars.append(contentsOf: content)
                alignments.append(contentsOf: repeatElement(alignment, count: content.count))
            } else {
                scalars.append(contentsOf: text.scalars[piece.range])
                alignments.append(contentsOf: text.alignments[piece.range])
            }
        }
        text = NormalizedText(scalars: scalars, alignments: alignments)
    }
}
