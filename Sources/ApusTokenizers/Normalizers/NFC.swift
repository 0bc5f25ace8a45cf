/// `NFC`: canonical decomposition then composition, as tokenizers computes it (tokenizers/src/normalizers/
/// unicode.rs; see `UnicodeNormalization`). A composite is aligned with its first scalar only: "e\u{301}" → "é"
/// at 0..<1.
struct NFC: Normalizer, JSONDecodableStage {
    static let jsonType = "NFC"

    init() {}
    init(json: JSONObject) throws {}

    func normalize(_ text: inout NormalizedText) {
        if text.scalars.allSatisfy({ $0.value < 0x300 }) { return }
        let decomposed = UnicodeNormalization.decomposition(text.scalars, compatibility: false)
        text.transform(nil, UnicodeNormalization.recomposition(decomposed))
    }
}
