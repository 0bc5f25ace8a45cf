import Foundation

/// Unicode canonical decomposition (the D of NFD) as Hugging Face `tokenizers` performs it.
///
/// `tokenizers` normalises with the `unicode-normalization-alignments` crate, whose tables are Unicode 9.0:
/// scalars assigned later neither decompose (U+11938 DIVES AKURU VOWEL SIGN O, 13.0, stays whole) nor take part
/// in canonical ordering (their combining class counts as 0). Canonical decompositions of assigned scalars never
/// change (Unicode stability policy), so Foundation's NFD of a pre-9.0 scalar is the crate's on every platform.
enum CanonicalDecomposition {
    /// The Unicode version of the tables `tokenizers` normalises with.
    static let unicodeVersion = (major: 9, minor: 0)

    /// Calls `emit` with the full canonical decomposition of `scalar` (the scalar itself when it has none).
    static func decompose(_ scalar: Unicode.Scalar, _ emit: (Unicode.Scalar) -> Void) {
        if scalar.value < 0xC0 {
            emit(scalar)
        } else if (hangulFirstSyllable...hangulLastSyllable).contains(scalar.value) {
            decomposeHangul(scalar.value, emit)
        } else if let decomposition = table[scalar.value] {
            decomposition.forEach(emit)
        } else {
            emit(scalar)
        }
    }

    /// The canonical combining class canonical ordering sorts by: 0 for scalars newer than the tables.
    static func combiningClass(_ scalar: Unicode.Scalar) -> UInt8 {
        if scalar.value < 0x300 { return 0 }
        let combiningClass = scalar.properties.canonicalCombiningClass.rawValue
        guard combiningClass != 0,
              CharacterClasses.isAssigned(scalar, byMajor: unicodeVersion.major, minor: unicodeVersion.minor) else { return 0 }
        return combiningClass
    }

    // Hangul syllables decompose algorithmically (The Unicode Standard, section 3.12).
    private static let hangulFirstSyllable: UInt32 = 0xAC00
    private static let hangulLastSyllable: UInt32 = 0xD7A3
    private static let leadingBase: UInt32 = 0x1100, vowelBase: UInt32 = 0x1161, trailingBase: UInt32 = 0x11A7
    private static let vowelCount: UInt32 = 21, trailingCount: UInt32 = 28

    private static func decomposeHangul(_ value: UInt32, _ emit: (Unicode.Scalar) -> Void) {
        let index = value - hangulFirstSyllable
        let leading = leadingBase + index / (vowelCount * trailingCount)
        let vowel = vowelBase + (index % (vowelCount * trailingCount)) / trailingCount
        let trailing = trailingBase + index % trailingCount
        // All three lie in the Hangul Jamo block, so the conversions cannot fail.
        if let leadingJamo = Unicode.Scalar(leading), let vowelJamo = Unicode.Scalar(vowel) {
            emit(leadingJamo)
            emit(vowelJamo)
        }
        if trailing != trailingBase, let trailingJamo = Unicode.Scalar(trailing) { emit(trailingJamo) }
    }

    /// The blocks holding every scalar with a canonical decomposition (Hangul syllables aside) up to Unicode 9.0.
    /// CharacterClassesTests checks every scalar, so a decomposition outside them would be caught.
    private static let blocksWithDecompositions: [ClosedRange<UInt32>] = [
        0x00C0...0x10FF, 0x1B00...0x1BFF, 0x1E00...0x23FF, 0x2A00...0x2AFF, 0x3000...0x30FF,
        0xF900...0xFBFF, 0x11000...0x115FF, 0x1D100...0x1D1FF, 0x2F800...0x2FAFF,
    ]

    /// Scalar → decomposition, for the ~2,000 scalars that have one; built once from Foundation's NFD.
    private static let table: [UInt32: [Unicode.Scalar]] = {
        var table: [UInt32: [Unicode.Scalar]] = [:]
        for block in blocksWithDecompositions {
            for value in block {
                guard let scalar = Unicode.Scalar(value),
                      CharacterClasses.isAssigned(scalar, byMajor: unicodeVersion.major, minor: unicodeVersion.minor) else { continue }
                let decomposed = Array(String(scalar).decomposedStringWithCanonicalMapping.unicodeScalars)
                if decomposed != [scalar] { table[value] = decomposed }
            }
        }
        return table
    }()
}
