/// The `ByteFallback` decoder: runs of `<0xNN>` tokens become the text their bytes spell in UTF-8, or one U+FFFD
/// per byte when the run is not valid UTF-8 (tokenizers/src/decoders/byte_fallback.rs).
///
/// ["<0xE6>", "<0x9D>", "<0xB1>", "x"] → ["東", "x"];  ["<0xE6>", "x"] → ["�", "x"]
struct ByteFallbackDecoder: TokenDecoder, JSONDecodableStage {
    static let jsonType = "ByteFallback"

    init() {}
    init(json: JSONObject) throws {}

    /// The byte a `<0xNN>` token stands for: six bytes, `<0x`, two hexadecimal digits (Rust's `from_str_radix`
    /// also takes a `+` and one digit), `>`.
    static func byte(of token: String) -> UInt8? {
        let utf8 = Array(token.utf8)
        guard utf8.count == 6, utf8[0] == UInt8(ascii: "<"), utf8[1] == UInt8(ascii: "0"), utf8[2] == UInt8(ascii: "x"),
              utf8[5] == UInt8(ascii: ">") else { return nil }
        func digit(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        if utf8[3] == UInt8(ascii: "+") { return digit(utf8[4]) }
        guard let high = digit(utf8[3]), let low = digit(utf8[4]) else { return nil }
        return high << 4 | low
    }

    func decodeChain(_ tokens: [String]) -> [String] {
        var pieces: [String] = []
        var pending: [UInt8] = []
        func flush() {
            guard !pending.isEmpty else { return }
            if let text = String(validating: pending, as: UTF8.self) {
                pieces.append(text)
            } else {
                pieces += Array(repeating: "\u{FFFD}", count: pending.count)
            }
            pending.removeAll()
        }
        for token in tokens {
            if let byte = Self.byte(of: token) {
                pending.append(byte)
            } else {
                flush()
                pieces.append(token)
            }
        }
        flush()
        return pieces
    }
}
