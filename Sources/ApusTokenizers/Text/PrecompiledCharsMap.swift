import Foundation

/// SentencePiece's compiled normalisation rules (`precompiled_charsmap` of a .model file, base64 in
/// tokenizer.json): a Darts double-array trie over UTF-8 bytes whose values point into a blob of NUL-terminated
/// replacement strings (sentencepiece/src/normalizer.cc; the `spm_precompiled` crate tokenizers reads it with).
///
/// Layout: a little-endian `UInt32` byte size of the trie, the trie's 32-bit units, then the replacement blob.
struct PrecompiledCharsMap: Sendable {
    /// Why a blob cannot be read.
    enum ParseError: Error, CustomStringConvertible {
        case tooShort(Int)
        case trieOutOfBounds(trieBytes: Int, blobBytes: Int)

        var description: String {
            switch self {
            case .tooShort(let count): return "\(count) bytes, fewer than the 4-byte trie size"
            case .trieOutOfBounds(let trieBytes, let blobBytes): return "a trie of \(trieBytes) bytes in a blob of \(blobBytes)"
            }
        }
    }

    /// The double-array units.
    private let units: [UInt32]
    /// The replacement strings, each ended by a NUL byte.
    private let replacements: [UInt8]

    init(bytes: [UInt8]) throws(ParseError) {
        guard bytes.count >= 4 else { throw .tooShort(bytes.count) }
        let trieBytes = Int(Self.littleEndianUInt32(bytes, at: 0))
        guard trieBytes <= bytes.count - 4 else { throw .trieOutOfBounds(trieBytes: trieBytes, blobBytes: bytes.count) }
        // The crate reads `trie_size / 4` units; a remainder byte belongs to neither part and is dropped with them.
        units = (0..<(trieBytes / 4)).map { Self.littleEndianUInt32(bytes, at: 4 + 4 * $0) }
        replacements = Array(bytes[(4 + trieBytes / 4 * 4)...])
    }

    private static func littleEndianUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
    }

    /// The replacement of `key` (UTF-8 bytes) as `spm_precompiled`'s `transform` gives it: the rule of the
    /// *shortest* key prefix the trie holds — not the longest, which sentencepiece itself uses — decoded as
    /// scalars; nil when no prefix has a rule. Reading stops at a NUL byte in `key`.
    func replacement(for key: some Collection<UInt8>) -> [Unicode.Scalar]? {
        guard let start = firstPrefixValue(key), start >= 0, start <= replacements.count else { return nil }
        var end = start
        while end < replacements.count && replacements[end] != 0 { end += 1 }
        var scalars: [Unicode.Scalar] = []
        var decoder = UTF8()
        var iterator = replacements[start..<end].makeIterator()
        loop: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): scalars.append(scalar)
            case .emptyInput: break loop
            // The crate refuses a blob that is not UTF-8; a broken rule reads as no rule here.
            case .error: return nil
            }
        }
        return scalars
    }

    /// The value of the shortest key prefix stored in the trie (Darts' `commonPrefixSearch`, first result).
    private func firstPrefixValue(_ key: some Collection<UInt8>) -> Int? {
        guard let root = units.first else { return nil }
        var position = Self.offset(root)
        for byte in key {
            if byte == 0 { break }
            position ^= Int(byte)
            guard position < units.count else { return nil }
            let unit = units[position]
            // The label: the byte, plus the top bit that marks a leaf unit (never a match for a byte).
            guard unit & (1 << 31 | 0xFF) == UInt32(byte) else { return nil }
            position ^= Self.offset(unit)
            if (unit >> 8) & 1 == 1 {
                guard position < units.count else { return nil }
                return Int(units[position] & ((1 << 31) - 1))
            }
        }
        return nil
    }

    private static func offset(_ unit: UInt32) -> Int {
        Int((unit >> 10) << ((unit & (1 << 9)) >> 6))
    }
}
