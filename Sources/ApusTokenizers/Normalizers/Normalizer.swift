/// A `normalizer` of tokenizer.json: rewrites the text before it is split, keeping each scalar's alignment to
/// the original (tokenizers/src/normalizers/).
protocol Normalizer: Sendable {
    /// Normalises `text` in place.
    func normalize(_ text: inout NormalizedText)
}

/// The normalizer types Apus reads, by their tokenizer.json `"type"`.
let normalizerCatalog = StageCatalog<any Normalizer>(component: "normalizer", entries: [
    .init(type: BertNormalizer.jsonType) { try BertNormalizer(json: $0) },
    .init(type: Lowercase.jsonType) { try Lowercase(json: $0) },
    .init(type: StripAccents.jsonType) { try StripAccents(json: $0) },
    .init(type: NFD.jsonType) { try NFD(json: $0) },
    .init(type: NFKD.jsonType) { try NFKD(json: $0) },
    .init(type: NFC.jsonType) { try NFC(json: $0) },
    .init(type: NFKC.jsonType) { try NFKC(json: $0) },
    .init(type: NormalizerSequence.jsonType) { try NormalizerSequence(json: $0) },
    .init(type: Replace.jsonType) { try Replace(json: $0) },
    .init(type: ByteLevelNormalizer.jsonType) { try ByteLevelNormalizer(json: $0) },
    .init(type: Precompiled.jsonType) { try Precompiled(json: $0) },
    .init(type: Strip.jsonType) { try Strip(json: $0) },
    .init(type: Prepend.jsonType) { try Prepend(json: $0) },
])
