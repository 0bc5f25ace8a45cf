/// `Prepend`: puts a string before non-empty text (tokenizers/src/normalizers/prepend.rs). As in
/// `NormalizedString::prepend`, every prepended scalar shares the alignment of the text's first scalar.
///
/// ```json
/// {"type": "Prepend", "prepend": "▁"}
/// ```
struct Prepend: Normalizer, JSONDecodableStage {
    static let jsonType = "Prepend"

    let prefix: [Unicode.Scalar]

    init(prefix: String) { self.prefix = Array(prefix.unicodeScalars) }

    init(json: JSONObject) throws {
        self.init(prefix: try json.string("prepend"))
    }

    func normalize(_ text: inout NormalizedText) {
        Self.prepend(prefix, to: &text)
    }

    /// tokenizers' `NormalizedString::prepend`: the first prefix scalar replaces the text's first scalar, the
    /// others and that scalar again are inserted after it.
    static func prepend(_ prefix: [Unicode.Scalar], to text: inout NormalizedText) {
        guard let first = text.scalars.first else { return }
        var changes = prefix.enumerated().map { NormalizedText.Change($1, $0 == 0 ? 0 : 1) }
        changes.append(.init(first, 1))
        text.transform(0..<1, changes)
    }
}
