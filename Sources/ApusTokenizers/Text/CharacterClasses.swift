/// The character classes Hugging Face `tokenizers` uses, with the Unicode versions its tables come from.
///
/// `tokenizers` asks three different libraries, each frozen at its own Unicode version:
/// - Rust's `char::is_whitespace` and `char::to_lowercase`, and the `regex` crate's `\s`: Swift's scalar
///   properties answer these the same way; the `regex` crate's `\w` uses Unicode 16.0 tables, so scalars added
///   in 17.0 (which Swift 6.3 knows) are not word characters there.
/// - the `unicode_categories` crate 0.1 (Unicode 8.0 tables) for control characters (`is_other`: Cc, Cf, Co
///   — not Cn), punctuation (`is_punctuation`) and nonspacing marks (`is_mark_nonspacing`). A scalar assigned
///   after Unicode 8.0 is in none of them: U+2E5D (Pd since 14.0) is not punctuation there, U+08E2 (Cf since
///   9.0) is not a control character.
/// - `unicode-normalization-alignments` (Unicode 9.0 tables) for NFD (see `CanonicalDecomposition`) and for the
///   combining marks (M*) the `StripAccents` normalizer removes.
///
/// Tests/ApusTokenizersTests/Text/CharacterClassesTests.swift checks every scalar against `tokenizers`.
enum CharacterClasses {
    /// White_Space: Rust's `char::is_whitespace` and regex `\s`. BERT's `\t`, `\n`, `\r` special case is
    /// already inside it.
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII { return scalar == " " || (0x09...0x0D).contains(scalar.value) }
        return scalar.properties.isWhitespace
    }

    /// BERT's `is_control` (normalizers/bert.rs): Cc, Cf or Co in Unicode 8.0, except `\t`, `\n`, `\r`.
    static func isBertControl(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == "\t" || scalar == "\n" || scalar == "\r" { return false }
        if scalar.value < 0x20 || scalar.value == 0x7F { return true }
        if scalar.value < 0xA0 { return scalar.value >= 0x80 }
        switch unicode8Category(scalar) {
        case .control?, .format?, .privateUse?: return true
        default: return false
        }
    }

    /// BERT's `is_bert_punc` (pre_tokenizers/bert.rs): ASCII punctuation (which includes symbols such as
    /// `$`, `+`, `<`, `^`, `` ` ``, `|`, `~`) or any punctuation category (P*) in Unicode 8.0.
    static func isBertPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            switch scalar.value {
            case 33...47, 58...64, 91...96, 123...126: return true
            default: return false
            }
        }
        switch unicode8Category(scalar) {
        case .connectorPunctuation?, .dashPunctuation?, .openPunctuation?, .closePunctuation?,
             .initialPunctuation?, .finalPunctuation?, .otherPunctuation?:
            return true
        default:
            return false
        }
    }

    /// A nonspacing mark (Mn) in Unicode 8.0: what `strip_accents` removes after NFD.
    static func isNonspacingMark(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value < 0x300 { return false }
        return unicode8Category(scalar) == .nonspacingMark
    }

    /// A combining mark (Mn, Mc or Me) in Unicode 9.0: what the `StripAccents` normalizer removes
    /// (`unicode_normalization_alignments::char::is_combining_mark`).
    static func isCombiningMark(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value < 0x300 { return false }
        switch scalar.value {
        case 0x111C9: return false // SHARADA SANDHI MARK: Po until Unicode 13.0
        case 0x1CF2, 0x1CF3: return true // VEDIC SIGN ARDHAVISARGA, ROTATED ARDHAVISARGA: Mc until Unicode 10.0
        default: break
        }
        guard isAssigned(scalar, byMajor: 9, minor: 0) else { return false }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return false
        }
    }

    /// The CJK ideograph blocks BERT surrounds with spaces (`is_chinese_char` in normalizers/bert.rs). Hangul,
    /// Hiragana and Katakana are not among them: those scripts separate words with spaces.
    static func isChineseCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
             0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }

    /// The `regex` crate's Unicode `\w`: Alphabetic, marks, decimal digits, connector punctuation and
    /// Join_Control, by its Unicode 16.0 tables. `single_word` added tokens must not touch one.
    static func isWordCharacter(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            switch scalar.value {
            case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x5F: return true
            default: return false
            }
        }
        guard isAssigned(scalar, byMajor: 16, minor: 0) else { return false }
        let properties = scalar.properties
        if properties.isAlphabetic || properties.isJoinControl { return true }
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
        default: return false
        }
    }

    /// The general category `scalar` had in Unicode 8.0, nil if it was unassigned then.
    ///
    /// Swift knows today's category and the version each scalar was assigned in; the few scalars whose category
    /// has changed since 8.0 in a way that moves them into or out of the classes above are listed by hand.
    static func unicode8Category(_ scalar: Unicode.Scalar) -> Unicode.GeneralCategory? {
        switch scalar.value {
        case 0x166D: return .otherPunctuation // CANADIAN SYLLABICS CHI SIGN: So since Unicode 12.0
        case 0x111C9: return .otherPunctuation // SHARADA SANDHI MARK: Mn since 13.0
        case 0x1734: return .nonspacingMark // HANUNOO SIGN PAMUDPOD: Mc since 14.0
        case 0x1171E: return .nonspacingMark // AHOM CONSONANT SIGN MEDIAL RA: Mc since 14.0
        case 0x1885, 0x1886: return .otherLetter // MONGOLIAN LETTER ALI GALI (THREE) BALUDA: Mn since 9.0
        case 0xA9BD: return .spacingMark // JAVANESE CONSONANT SIGN KERET: Mn since 12.0
        default: break
        }
        guard isAssigned(scalar, byMajor: 8, minor: 0) else { return nil }
        return scalar.properties.generalCategory
    }

    /// Whether `scalar` was assigned in Unicode `major.minor` or earlier.
    static func isAssigned(_ scalar: Unicode.Scalar, byMajor major: Int, minor: Int) -> Bool {
        guard let age = scalar.properties.age else { return false }
        return age.major < major || (age.major == major && age.minor <= minor)
    }
}
