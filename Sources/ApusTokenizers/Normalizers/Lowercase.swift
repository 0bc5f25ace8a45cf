/// `Lowercase`: Unicode full lowercase mapping of each scalar, without context (Rust's `char::to_lowercase`,
/// as tokenizers/src/normalizers/utils.rs applies it): "İ" becomes "i\u{307}", final "Σ" becomes "σ", not "ς".
struct Lowercase: Normalizer, JSONDecodableStage {
    static let jsonType = "Lowercase"

    init() {}
    init(json: JSONObject) throws {}

    func normalize(_ text: inout NormalizedText) { Self.lowercase(&text) }

    /// Lowercases `text`; the scalars of a multi-scalar mapping all align with the scalar they replace.
    static func lowercase(_ text: inout NormalizedText) {
        if text.scalars.allSatisfy(\.isASCII) {
            text.map { ("A"..."Z").contains($0) ? Unicode.Scalar($0.value + 32) ?? $0 : $0 }
            return
        }
        text.rewrite { scalar, emit in
            if scalar.isASCII {
                emit(("A"..."Z").contains(scalar) ? Unicode.Scalar(scalar.value + 32) ?? scalar : scalar)
            } else if !scalar.properties.changesWhenLowercased {
                emit(scalar)
            } else {
                scalar.properties.lowercaseMapping.unicodeScalars.forEach(emit)
            }
        }
    }
}
