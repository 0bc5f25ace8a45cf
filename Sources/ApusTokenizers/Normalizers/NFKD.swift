/// `NFKD`: compatibility decomposition and canonical ordering, with tokenizers' Unicode 9.0 tables and its
/// alignments (tokenizers/src/normalizers/unicode.rs; see `UnicodeNormalization`). "ﬁ" → "fi", "①" → "1".
struct NFKD: Normalizer, JSONDecodableStage {
    static let jsonType = "NFKD"

    init() {}
    init(json: JSONObject) throws {}

    func normalize(_ text: inout NormalizedText) {
        if text.scalars.allSatisfy({ $0.value < 0xA0 }) { return }
        text.transform(nil, UnicodeNormalization.decomposition(text.scalars, compatibility: true))
    }
}
