/// `Sequence` of normalizers, applied in order (tokenizers/src/normalizers/utils.rs).
///
/// ```json
/// {"type": "Sequence", "normalizers": [{"type": "NFD"}, {"type": "Lowercase"}, {"type": "StripAccents"}]}
/// ```
struct NormalizerSequence: Normalizer, JSONDecodableStage {
    static let jsonType = "Sequence"

    let normalizers: [any Normalizer]

    init(normalizers: [any Normalizer]) { self.normalizers = normalizers }

    init(json: JSONObject) throws {
        normalizers = try json.array("normalizers").enumerated().map { index, item in
            try normalizerCatalog.decode(item, path: "\(json.path(of: "normalizers"))[\(index)]", file: json.file)
        }
    }

    func normalize(_ text: inout NormalizedText) {
        for normalizer in normalizers { normalizer.normalize(&text) }
    }
}
