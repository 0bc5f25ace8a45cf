/// GPT-2's byte-to-character alphabet: every byte 0–255 shown as a printable Unicode scalar.
///
/// Byte-level BPE vocabularies are written in this alphabet (`Ġ` is the space byte 0x20, `Ċ` the newline).
/// Printable Latin-1 bytes (`!`…`~`, `¡`…`¬`, `®`…`ÿ`) stand for themselves; the other 68 bytes, in
/// increasing order, take U+0100, U+0101, … — `bytes_to_unicode` in openai/gpt-2 `encoder.py`, and
/// `tokenizers/src/pre_tokenizers/byte_level.rs`.
enum ByteLevelAlphabet {
    /// The scalar that stands for `byte`.
    static func scalar(for byte: UInt8) -> Unicode.Scalar { scalars[Int(byte)] }

    /// The byte `scalar` stands for, or nil when the scalar is not in the alphabet.
    static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        let value = scalar.value
        guard value < 0x144 else { return nil }
        let byte = bytes[Int(value)]
        return byte < 0 ? nil : UInt8(byte)
    }

    /// Whether a byte is printable in Latin-1 and so stands for itself.
    private static func isSelfMapped(_ byte: Int) -> Bool {
        (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
    }

    private static let scalars: [Unicode.Scalar] = {
        var next: UInt32 = 0x100
        return (0..<256).map { byte in
            if isSelfMapped(byte) { return Unicode.Scalar(UInt8(byte)) }
            defer { next += 1 }
            // 0x100 + at most 68 stays below the surrogates, so the scalar always exists.
            return Unicode.Scalar(next) ?? "\u{FFFD}"
        }
    }()

    /// Scalar value → byte, -1 where the scalar is not in the alphabet (the alphabet lies below U+0144).
    private static let bytes: [Int16] = {
        var table = [Int16](repeating: -1, count: 0x144)
        for byte in 0..<256 { table[Int(scalars[byte].value)] = Int16(byte) }
        return table
    }()
}
