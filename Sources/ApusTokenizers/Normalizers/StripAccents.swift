/// `StripAccents`: removes combining marks (Mn, Mc, Me by tokenizers' Unicode 9.0 normalisation tables). On its
/// own it does not decompose, so it is usually preceded by `NFD` in a `Sequence`
/// (tokenizers/src/normalizers/strip.rs).
///
/// `BertNormalizer`'s `strip_accents` is different: NFD, then only nonspacing marks (Mn) go, by the Unicode 8.0
/// tables of another crate (normalizers/bert.rs) — a spacing mark such as U+0903 stays.
struct StripAccents: Normalizer, JSONDecodableStage {
    static let jsonType = "StripAccents"

    init() {}
    init(json: JSONObject) throws {}

    func normalize(_ text: inout NormalizedText) {
        text.removeAll(where: CharacterClasses.isCombiningMark)
    }

    /// BERT's accent stripping: NFD, then drop nonspacing marks ("Café" → "Cafe", "한" → its three jamo).
    static func stripAccents(_ text: inout NormalizedText) {
        if text.scalars.allSatisfy({ $0.value < 0xC0 }) { return }
        NFD.decompose(&text)
        text.removeAll(where: CharacterClasses.isNonspacingMark)
    }
}
