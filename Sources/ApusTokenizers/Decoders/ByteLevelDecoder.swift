/// The `ByteLevel` decoder: every token's scalars read back as the bytes of GPT-2's byte-level alphabet, and all
/// the bytes read as UTF-8, invalid sequences becoming U+FFFD (tokenizers/src/pre_tokenizers/byte_level.rs,
/// `decode_chain`, with `String::from_utf8_lossy`).
///
/// ["Hello", "Ġworld"] → "Hello world". A token with a scalar outside the alphabet (an added token "東京", say)
/// contributes its own UTF-8 bytes.
struct ByteLevelDecoder: TokenDecoder, JSONDecodableStage {
    static let jsonType = "ByteLevel"

    init() {}
    /// `add_prefix_space`, `trim_offsets` and `use_regex` matter only to the pre-tokenizer and post-processor.
    init(json: JSONObject) throws {}

    func decodeChain(_ tokens: [String]) -> [String] {
        var bytes: [UInt8] = []
        for token in tokens {
            let start = bytes.count
            for scalar in token.unicodeScalars {
                guard let byte = ByteLevelAlphabet.byte(for: scalar) else {
                    bytes.removeSubrange(start...)
                    bytes += token.utf8
                    break
                }
                bytes.append(byte)
            }
        }
        return [String(decoding: bytes, as: UTF8.self)]
    }
}
