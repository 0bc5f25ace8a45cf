/// `ByteLevel` normalizer: every scalar becomes the `ByteLevelAlphabet` scalars of its UTF-8 bytes, all aligned
/// with it (tokenizers/src/normalizers/byte_level.rs) — the ByteLevel pre-tokenizer's mapping without its split.
///
/// "é" → "Ã©"
struct ByteLevelNormalizer: Normalizer, JSONDecodableStage {
    static let jsonType = "ByteLevel"

    init() {}
    init(json: JSONObject) throws {}

    func normalize(_ text: inout NormalizedText) {
        text = ByteLevelPreTokenizer.mapBytes(text, in: 0..<text.count)
    }
}
