/// `NFKC`: compatibility decomposition then canonical composition, as tokenizers computes it
/// (tokenizers/src/normalizers/unicode.rs; see `UnicodeNormalization`). "ｶﾞ" → "ガ", "ﬁ" → "fi".
struct NFKC: Normalizer, JSONDecodableStage {
    static let jsonType = "NFKC"

    init() {}
    init(json: JSONObject) throws {}

    func normalize(_ text: inout NormalizedText) {
        if text.scalars.allSatisfy({ $0.value < 0xA0 }) { return }
        let decomposed = UnicodeNormalization.decomposition(text.scalars, compatibility: true)
        text.transform(nil, UnicodeNormalization.recomposition(decomposed))
    }
}
