/// The `Fuse` decoder: all tokens joined into one piece, so that later decoders in a `Sequence` see the whole
/// text (tokenizers/src/decoders/fuse.rs).
struct FuseDecoder: TokenDecoder, JSONDecodableStage {
    static let jsonType = "Fuse"

    init() {}
    init(json: JSONObject) throws {}

    func decodeChain(_ tokens: [String]) -> [String] { [tokens.joined()] }
}
