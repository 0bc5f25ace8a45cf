/// A `decoder` of tokenizer.json: turns token strings back into text (tokenizers/src/decoders/).
/// (Not named `Decoder`, which is Swift's Codable protocol.)
protocol TokenDecoder: Sendable {
    /// Rewrites each token into the piece of text it contributes (tokenizers' `decode_chain`), so decoders can
    /// be chained; the text is the pieces joined.
    func decodeChain(_ tokens: [String]) -> [String]
}

extension TokenDecoder {
    /// The text for `tokens`.
    func decode(_ tokens: [String]) -> String { decodeChain(tokens).joined() }
}

/// The decoder types Apus reads, by their tokenizer.json `"type"`.
let decoderCatalog = StageCatalog<any TokenDecoder>(component: "decoder", entries: [
    .init(type: WordPieceDecoder.jsonType) { try WordPieceDecoder(json: $0) },
    .init(type: MetaspaceDecoder.jsonType) { try MetaspaceDecoder(json: $0) },
    .init(type: ByteLevelDecoder.jsonType) { try ByteLevelDecoder(json: $0) },
    .init(type: BPEDecoder.jsonType) { try BPEDecoder(json: $0) },
    .init(type: ByteFallbackDecoder.jsonType) { try ByteFallbackDecoder(json: $0) },
    .init(type: FuseDecoder.jsonType) { try FuseDecoder(json: $0) },
    .init(type: StripDecoder.jsonType) { try StripDecoder(json: $0) },
    .init(type: ReplaceDecoder.jsonType) { try ReplaceDecoder(json: $0) },
    .init(type: CTCDecoder.jsonType) { try CTCDecoder(json: $0) },
    .init(type: DecoderSequence.jsonType) { try DecoderSequence(json: $0) },
])
