/// A set of Unicode scalars a regex matches one of: a literal, a bracketed class, `.`, `\s`, `\p{L}`…
///
/// Membership of ASCII scalars is a precomputed 128-bit map; other scalars go through the items, whose
/// properties come from `RegexUnicodeData` (Oniguruma's Unicode version, which is what tokenizers matches with).
struct ScalarSet: Sendable {
    /// One part of a class; the set holds a scalar when any item does (and `negated` is false).
    indirect enum Item: Sendable {
        /// These scalars.
        case scalars([Unicode.Scalar])
        /// A range of scalar values.
        case range(ClosedRange<UInt32>)
        /// `\p{…}`, `\s`, `\w`…, or their negations.
        case property(UnicodeProperty, negated: Bool)
        /// A nested class `[a[bc]]`.
        case set(ScalarSet)
        /// `[a-z&&[^aeiou]]`: the scalars all the sets hold.
        case intersection([ScalarSet])
    }

    let items: [Item]
    let negated: Bool
    private let asciiLow: UInt64
    private let asciiHigh: UInt64

    /// The set of `items`, or of everything else when `negated`.
    init(items: [Item], negated: Bool = false) {
        self.items = items
        self.negated = negated
        var low: UInt64 = 0, high: UInt64 = 0
        for value in 0..<UInt32(128) where Self.slowContains(value, items: items) != negated {
            if value < 64 { low |= 1 << UInt64(value) } else { high |= 1 << UInt64(value - 64) }
        }
        asciiLow = low
        asciiHigh = high
    }

    /// The set holding only `scalar`.
    init(scalar: Unicode.Scalar) { self.init(items: [.scalars([scalar])]) }

    /// The one scalar this set holds, when it is a plain literal.
    var singleScalar: Unicode.Scalar? {
        guard !negated, items.count == 1, case .scalars(let scalars) = items[0], scalars.count == 1 else { return nil }
        return scalars[0]
    }

    /// Whether the set holds `scalar`.
    @inline(__always)
    func contains(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if value < 64 { return asciiLow &>> UInt64(value) & 1 != 0 }
        if value < 128 { return asciiHigh &>> UInt64(value - 64) & 1 != 0 }
        return Self.slowContains(value, items: items) != negated
    }

    /// Whether the set holds an ASCII scalar `value` (below 128).
    @inline(__always)
    func containsASCII(_ value: UInt32) -> Bool {
        value < 64 ? asciiLow &>> UInt64(value) & 1 != 0 : asciiHigh &>> UInt64(value - 64) & 1 != 0
    }

    private static func slowContains(_ value: UInt32, items: [Item]) -> Bool {
        for item in items {
            switch item {
            case .scalars(let scalars):
                if scalars.contains(where: { $0.value == value }) { return true }
            case .range(let range):
                if range.contains(value) { return true }
            case .property(let property, let negated):
                if RegexUnicodeData.has(property, value) != negated { return true }
            case .set(let set):
                if let scalar = Unicode.Scalar(value), set.contains(scalar) { return true }
            case .intersection(let sets):
                if let scalar = Unicode.Scalar(value), sets.allSatisfy({ $0.contains(scalar) }) { return true }
            }
        }
        return false
    }
}

/// The character properties a pattern can name, as Oniguruma defines them for Unicode text.
enum UnicodeProperty: Sendable, Equatable {
    /// General categories, as a mask over `RegexUnicodeData.Category` raw values (`\p{L}`, `\p{Nd}`, `\p{Cn}`).
    case categories(UInt32)
    /// `\s`: White_Space.
    case whitespace
    /// `\w` outside a bracketed class: Alphabetic, marks, decimal digits, connector punctuation, and below U+0100
    /// what Oniguruma's Latin-1 table adds (see `RegexUnicodeData`).
    case word
    /// `\w` inside a bracketed class (`[\w-]`): Alphabetic, marks, decimal digits, connector punctuation.
    case wordInClass
    /// `\d`: decimal digits (Nd), not only ASCII.
    case decimalDigit
    /// `\h`: ASCII hex digits.
    case hexDigit
    /// Alphabetic (`\p{Alpha}`).
    case alphabetic
    /// Every scalar (`\p{Any}`).
    case any
    /// Every scalar assigned in Oniguruma's Unicode version (`\p{Assigned}`).
    case assigned
    /// A script (`\p{Han}`): sorted [first, last] scalar value pairs from `RegexUnicodeData.scriptRanges`.
    case script([UInt32])

    /// The property named `name` in `\p{name}`; Oniguruma ignores case, spaces, `_` and `-` in names.
    init?(name: String) {
        let key = String(String.UnicodeScalarView(name.unicodeScalars.filter { $0 != " " && $0 != "_" && $0 != "-" })).lowercased()
        if let mask = Self.categoryNames[key] {
            self = .categories(mask)
            return
        }
        switch key {
        case "space", "whitespace": self = .whitespace
        case "word": self = .word
        case "digit": self = .decimalDigit
        case "xdigit": self = .hexDigit
        case "alpha", "alphabetic": self = .alphabetic
        case "any": self = .any
        case "assigned": self = .assigned
        default:
            guard let ranges = RegexUnicodeData.scriptRanges[key] else { return nil }
            self = .script(ranges)
        }
    }

    private static let categoryNames: [String: UInt32] = {
        typealias C = RegexUnicodeData.Category
        func mask(_ categories: [C]) -> UInt32 { categories.reduce(0) { $0 | 1 << $1.rawValue } }
        let letters: [C] = [.Lu, .Ll, .Lt, .Lm, .Lo], marks: [C] = [.Mn, .Mc, .Me], numbers: [C] = [.Nd, .Nl, .No]
        let punctuation: [C] = [.Pc, .Pd, .Ps, .Pe, .Pi, .Pf, .Po], symbols: [C] = [.Sm, .Sc, .Sk, .So]
        let separators: [C] = [.Zs, .Zl, .Zp], others: [C] = [.Cc, .Cf, .Cs, .Co, .Cn]
        var names: [String: UInt32] = [
            "l": mask(letters), "letter": mask(letters), "lc": mask([.Lu, .Ll, .Lt]), "casedletter": mask([.Lu, .Ll, .Lt]),
            "m": mask(marks), "mark": mask(marks), "combiningmark": mask(marks),
            "n": mask(numbers), "number": mask(numbers),
            "p": mask(punctuation), "punctuation": mask(punctuation),
            "s": mask(symbols), "symbol": mask(symbols),
            "z": mask(separators), "separator": mask(separators),
            "c": mask(others), "other": mask(others),
        ]
        let long: [(C, String)] = [
            (.Lu, "uppercaseletter"), (.Ll, "lowercaseletter"), (.Lt, "titlecaseletter"), (.Lm, "modifierletter"),
            (.Lo, "otherletter"), (.Mn, "nonspacingmark"), (.Mc, "spacingmark"), (.Me, "enclosingmark"),
            (.Nd, "decimalnumber"), (.Nl, "letternumber"), (.No, "othernumber"), (.Pc, "connectorpunctuation"),
            (.Pd, "dashpunctuation"), (.Ps, "openpunctuation"), (.Pe, "closepunctuation"), (.Pi, "initialpunctuation"),
            (.Pf, "finalpunctuation"), (.Po, "otherpunctuation"), (.Sm, "mathsymbol"), (.Sc, "currencysymbol"),
            (.Sk, "modifiersymbol"), (.So, "othersymbol"), (.Zs, "spaceseparator"), (.Zl, "lineseparator"),
            (.Zp, "paragraphseparator"), (.Cc, "control"), (.Cf, "format"), (.Cs, "surrogate"), (.Co, "privateuse"),
            (.Cn, "unassigned"),
        ]
        for (category, name) in long {
            names[name] = 1 << category.rawValue
            names["\(category)".lowercased()] = 1 << category.rawValue
        }
        return names
    }()
}
