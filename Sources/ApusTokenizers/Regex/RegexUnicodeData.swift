/// Unicode character properties as the Oniguruma inside Python `tokenizers` 0.23 sees them.
///
/// Its tables are Unicode 16.0; Swift's may be newer, so a scalar assigned after 16.0 counts as unassigned (Cn)
/// and has no other property, and the one category change since (U+0295, Ll until 17.0) is listed by hand.
/// Oniguruma's `\w` is Alphabetic, marks, Nd and Pc — not Join_Control; outside a bracketed class it tests scalars
/// below U+0100 with its Latin-1 table, which also counts the superscript digits and vulgar fractions. Tests/ApusTokenizersTests/Regex/RegexUnicodeDataTests.swift checks every scalar
/// against tokenizers' own Split pre-tokenizer (fixture made by scripts/make_pretokenizer_fixtures.py).
enum RegexUnicodeData {
    /// The Unicode version of Oniguruma's tables.
    static let unicodeVersion = (major: 16, minor: 0)

    /// General categories; the raw value is a bit index in `UnicodeProperty.categories` masks.
    enum Category: UInt8, CaseIterable, Sendable {
        case Lu, Ll, Lt, Lm, Lo, Mn, Mc, Me, Nd, Nl, No, Pc, Pd, Ps, Pe, Pi, Pf, Po, Sm, Sc, Sk, So, Zs, Zl, Zp,
             Cc, Cf, Cs, Co, Cn
    }

    // Per-scalar record: the category in the low 5 bits, then these flags.
    private static let whitespaceFlag: UInt16 = 1 << 5
    private static let wordFlag: UInt16 = 1 << 6
    private static let alphabeticFlag: UInt16 = 1 << 7
    private static let latin1WordFlag: UInt16 = 1 << 8
    private static let categoryBits: UInt16 = 0x1F

    /// Records of the Basic Multilingual Plane, computed once (about 25 ms); other planes (emoji, rare CJK) are
    /// computed on each call, which costs more per scalar than building a larger cache at first use would save.
    private static let cachedCount: UInt32 = 0x10000
    private static let cachedRecords: [UInt16] = (0..<cachedCount).map(computeRecord)

    @inline(__always)
    private static func record(_ value: UInt32) -> UInt16 {
        value < cachedCount ? cachedRecords[Int(value)] : computeRecord(value)
    }

    private static func computeRecord(_ value: UInt32) -> UInt16 {
        guard let scalar = Unicode.Scalar(value) else { return UInt16(Category.Cs.rawValue) }
        guard CharacterClasses.isAssigned(scalar, byMajor: unicodeVersion.major, minor: unicodeVersion.minor) else {
            return UInt16(Category.Cn.rawValue)
        }
        let properties = scalar.properties
        let category = value == 0x295 ? .Ll : Self.category(properties.generalCategory)
        var record = UInt16(category.rawValue)
        if CharacterClasses.isWhitespace(scalar) { record |= whitespaceFlag }
        if properties.isAlphabetic { record |= alphabeticFlag }
        switch category {
        case .Mn, .Mc, .Me, .Nd, .Pc: record |= wordFlag
        default: if properties.isAlphabetic { record |= wordFlag }
        }
        if record & wordFlag != 0 || [0xB2, 0xB3, 0xB9, 0xBC, 0xBD, 0xBE].contains(value) { record |= latin1WordFlag }
        return record
    }

    /// The general category of scalar `value`.
    @inline(__always)
    static func category(of value: UInt32) -> Category {
        Category(rawValue: UInt8(record(value) & categoryBits)) ?? .Cn
    }

    /// Whether scalar `value` has `property`.
    @inline(__always)
    static func has(_ property: UnicodeProperty, _ value: UInt32) -> Bool {
        switch property {
        case .categories(let mask): return mask &>> UInt32(record(value) & categoryBits) & 1 != 0
        case .whitespace: return record(value) & whitespaceFlag != 0
        case .word: return record(value) & latin1WordFlag != 0
        case .wordInClass: return record(value) & wordFlag != 0
        case .alphabetic: return record(value) & alphabeticFlag != 0
        case .decimalDigit: return record(value) & categoryBits == UInt16(Category.Nd.rawValue)
        case .hexDigit: return (0x30...0x39).contains(value) || (0x41...0x46).contains(value) || (0x61...0x66).contains(value)
        case .any: return true
        case .assigned: return record(value) & categoryBits != UInt16(Category.Cn.rawValue)
        case .script(let ranges): return inRanges(value, ranges)
        }
    }

    /// Whether `value` lies in one of the sorted [first, last] pairs of `ranges`.
    static func inRanges(_ value: UInt32, _ ranges: [UInt32]) -> Bool {
        var low = 0, high = ranges.count / 2
        while low < high {
            let middle = (low + high) / 2
            if ranges[middle * 2 + 1] < value { low = middle + 1 } else { high = middle }
        }
        return low < ranges.count / 2 && ranges[low * 2] <= value
    }

    private static func category(_ category: Unicode.GeneralCategory) -> Category {
        switch category {
        case .uppercaseLetter: return .Lu
        case .lowercaseLetter: return .Ll
        case .titlecaseLetter: return .Lt
        case .modifierLetter: return .Lm
        case .otherLetter: return .Lo
        case .nonspacingMark: return .Mn
        case .spacingMark: return .Mc
        case .enclosingMark: return .Me
        case .decimalNumber: return .Nd
        case .letterNumber: return .Nl
        case .otherNumber: return .No
        case .connectorPunctuation: return .Pc
        case .dashPunctuation: return .Pd
        case .openPunctuation: return .Ps
        case .closePunctuation: return .Pe
        case .initialPunctuation: return .Pi
        case .finalPunctuation: return .Pf
        case .otherPunctuation: return .Po
        case .mathSymbol: return .Sm
        case .currencySymbol: return .Sc
        case .modifierSymbol: return .Sk
        case .otherSymbol: return .So
        case .spaceSeparator: return .Zs
        case .lineSeparator: return .Zl
        case .paragraphSeparator: return .Zp
        case .control: return .Cc
        case .format: return .Cf
        case .surrogate: return .Cs
        case .privateUse: return .Co
        case .unassigned: return .Cn
        @unknown default: return .Cn
        }
    }
}

/// Simple (one scalar to one scalar) Unicode case folding for `(?i)`.
///
/// Oniguruma also applies full case folding (`(?i)ss` matches "ß"); no tokenizer.json pattern seen so far
/// depends on that, and it is not implemented.
enum CaseFolding {
    /// `scalar` and every scalar with the same simple case folding ("k": "k", "K", U+212A KELVIN SIGN).
    static func variants(of scalar: Unicode.Scalar) -> [Unicode.Scalar] {
        let folded = fold(scalar)
        guard let group = groups[folded.value] else { return [scalar] }
        return group.contains(scalar) ? group : [scalar] + group
    }

    /// The scalars of `range` with all their case variants.
    static func rangeSet(_ range: ClosedRange<Unicode.Scalar>) -> ScalarSet {
        var extra: [Unicode.Scalar] = []
        for value in range.lowerBound.value...range.upperBound.value {
            guard let scalar = Unicode.Scalar(value) else { continue }
            for variant in variants(of: scalar) where !(range.lowerBound.value...range.upperBound.value).contains(variant.value) {
                extra.append(variant)
            }
        }
        return ScalarSet(items: [.range(range.lowerBound.value...range.upperBound.value), .scalars(extra)])
    }

    /// The simple case folding of `scalar`: lowercase of its uppercase, where both are single scalars.
    static func fold(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        let properties = scalar.properties
        guard properties.changesWhenCaseMapped else { return scalar }
        let upper = properties.uppercaseMapping.unicodeScalars
        let base = upper.count == 1 ? upper.first ?? scalar : scalar
        let lower = base.properties.lowercaseMapping.unicodeScalars
        if lower.count == 1, let single = lower.first { return single }
        let ownLower = properties.lowercaseMapping.unicodeScalars
        return ownLower.count == 1 ? ownLower.first ?? scalar : scalar
    }

    /// Folded scalar → every scalar folding to it, for groups of two or more; built once, on first use.
    private static let groups: [UInt32: [Unicode.Scalar]] = {
        var groups: [UInt32: [Unicode.Scalar]] = [:]
        for value in UInt32(0)..<0x20000 {
            guard let scalar = Unicode.Scalar(value), scalar.properties.changesWhenCaseMapped else { continue }
            groups[fold(scalar).value, default: []].append(scalar)
        }
        for (folded, group) in groups {
            if let scalar = Unicode.Scalar(folded), !group.contains(scalar) { groups[folded] = [scalar] + group }
        }
        return groups.filter { $0.value.count > 1 }
    }()
}
