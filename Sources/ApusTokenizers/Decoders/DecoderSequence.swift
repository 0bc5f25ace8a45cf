/// `Sequence` of decoders: each one rewrites the pieces the previous one produced (tokenizers/src/decoders/sequence.rs).
///
/// ```json
/// {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
///                                   {"type": "ByteFallback"}, {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}
/// ```
struct DecoderSequence: TokenDecoder, JSONDecodableStage {
    static let jsonType = "Sequence"

    let decoders: [any TokenDecoder]

    init(decoders: [any TokenDecoder]) { self.decoders = decoders }

    init(json: JSONObject) throws {
        decoders = try json.array("decoders").enumerated().map { index, item in
            try decoderCatalog.decode(item, path: "\(json.path(of: "decoders"))[\(index)]", file: json.file)
        }
    }

    func decodeChain(_ tokens: [String]) -> [String] {
        decoders.reduce(tokens) { pieces, decoder in decoder.decodeChain(pieces) }
    }
}
