/// `NFD`: canonical decomposition followed by canonical ordering of combining marks, with tokenizers' Unicode
/// 9.0 tables (tokenizers/src/normalizers/unicode.rs; see `CanonicalDecomposition` and `UnicodeNormalization`).
struct NFD: Normalizer, JSONDecodableStage {
    static let jsonType = "NFD"

    init() {}
    init(json: JSONObject) throws {}

    func normalize(_ text: inout NormalizedText) { Self.decompose(&text) }

    /// Decomposes every scalar and sorts each run of combining marks by class, keeping the order of equal
    /// classes (The Unicode Standard, D109 canonical ordering), with the crate's alignments: a mark sorted
    /// forward carries its change with it (see `UnicodeNormalization`).
    static func decompose(_ text: inout NormalizedText) {
        if text.scalars.allSatisfy({ $0.value < 0xC0 }) { return }
        text.transform(nil, UnicodeNormalization.decomposition(text.scalars, compatibility: false))
    }
}
