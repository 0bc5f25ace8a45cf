/// `Strip`: removes whitespace (Rust's `char::is_whitespace`) from the start, the end or both
/// (tokenizers/src/normalizers/strip.rs, `NormalizedString::lrstrip`).
///
/// ```json
/// {"type": "Strip", "strip_left": false, "strip_right": true}
/// ```
struct Strip: Normalizer, JSONDecodableStage {
    static let jsonType = "Strip"

    let stripLeft: Bool
    let stripRight: Bool

    init(stripLeft: Bool, stripRight: Bool) {
        self.stripLeft = stripLeft
        self.stripRight = stripRight
    }

    /// tokenizers requires both fields.
    init(json: JSONObject) throws {
        self.init(stripLeft: try json.bool("strip_left"), stripRight: try json.bool("strip_right"))
    }

    func normalize(_ text: inout NormalizedText) {
        let scalars = text.scalars
        let leading = stripLeft ? scalars.prefix(while: CharacterClasses.isWhitespace).count : 0
        guard leading < scalars.count else {
            if leading > 0 { text.transform(nil, [], initialOffset: leading) }
            return
        }
        let trailing = stripRight ? scalars.reversed().prefix(while: CharacterClasses.isWhitespace).count : 0
        guard leading > 0 || trailing > 0 else { return }
        // The kept scalars keep their alignments; the stripped ones are dropped with theirs.
        let kept = scalars[leading..<(scalars.count - trailing)].map { NormalizedText.Change($0, 0) }
        text.transform(nil, kept, initialOffset: leading)
    }
}
