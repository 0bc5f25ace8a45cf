import Foundation

/// `BertNormalizer`: clean control characters, space out CJK ideographs, strip accents, lowercase — in that
/// order, as tokenizers/src/normalizers/bert.rs does.
struct BertNormalizer: Normalizer {
    let cleanText: Bool
    let handleChineseChars: Bool
    let stripAccents: Bool
    let lowercase: Bool

    init(cleanText: Bool, handleChineseChars: Bool, stripAccents: Bool, lowercase: Bool) {
        self.cleanText = cleanText
        self.handleChineseChars = handleChineseChars
        self.stripAccents = stripAccents
        self.lowercase = lowercase
    }

    init(_ fields: JSONFields) throws {
        let lowercase = try fields.bool("lowercase", default: true)
        // `strip_accents: null` follows `lowercase` (uncased BERT strips accents, cased BERT keeps them).
        self.init(cleanText: try fields.bool("clean_text", default: true),
                  handleChineseChars: try fields.bool("handle_chinese_chars", default: true),
                  stripAccents: try fields.optionalBool("strip_accents") ?? lowercase,
                  lowercase: lowercase)
    }

    func normalize(_ text: inout NormalizedText) {
        if cleanText {
            text.transform { scalar in
                if scalar.value == 0 || scalar.value == 0xFFFD || isBertControl(scalar) { return [] }
                return isBertWhitespace(scalar) ? [" "] : [scalar]
            }
        }
        if handleChineseChars {
            text.transform { isChineseCharacter($0) ? [" ", $0, " "] : [$0] }
        }
        if stripAccents {
            text.transform { scalar in
                canonicalDecomposition(scalar).filter { $0.properties.generalCategory != .nonspacingMark }
            }
        }
        if lowercase {
            text.transform { scalar in
                if scalar.isASCII {
                    return [(0x41...0x5A).contains(scalar.value) ? Unicode.Scalar(scalar.value + 32)! : scalar]
                }
                return Array(scalar.properties.lowercaseMapping.unicodeScalars)
            }
        }
    }
}

/// Rust's `char::is_whitespace` (the White_Space property), counting \t \n \r as whitespace.
func isBertWhitespace(_ scalar: Unicode.Scalar) -> Bool {
    scalar == "\t" || scalar == "\n" || scalar == "\r" || scalar.properties.isWhitespace
}

/// Any "Other" category (Cc, Cf, Cs, Co, Cn) except \t \n \r, which count as whitespace.
func isBertControl(_ scalar: Unicode.Scalar) -> Bool {
    if scalar == "\t" || scalar == "\n" || scalar == "\r" { return false }
    switch scalar.properties.generalCategory {
    case .control, .format, .surrogate, .privateUse, .unassigned: return true
    default: return false
    }
}

/// The CJK Unified Ideograph blocks BERT surrounds with spaces (tokenizers' `is_chinese_char`).
func isChineseCharacter(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
         0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
        return true
    default:
        return false
    }
}

/// The canonical decomposition (NFD) of one scalar. Below U+00C0 nothing decomposes, which keeps ASCII fast.
func canonicalDecomposition(_ scalar: Unicode.Scalar) -> [Unicode.Scalar] {
    if scalar.value < 0xC0 { return [scalar] }
    return Array(String(scalar).decomposedStringWithCanonicalMapping.unicodeScalars)
}
