/// `BPEDecoder`: the end-of-word `suffix` (`</w>`) becomes a space, except in the last token, where it is
/// removed (tokenizers/src/decoders/bpe.rs).
///
/// ["hel", "lo</w>", "world</w>"] → "hello world"
struct BPEDecoder: TokenDecoder, JSONDecodableStage {
    static let jsonType = "BPEDecoder"

    let suffix: String

    init(suffix: String = "</w>") { self.suffix = suffix }

    init(json: JSONObject) throws { self.init(suffix: try json.optionalString("suffix") ?? "</w>") }

    func decodeChain(_ tokens: [String]) -> [String] {
        tokens.enumerated().map { index, token in
            token.replacingScalars(suffix, with: index == tokens.count - 1 ? "" : " ")
        }
    }
}
