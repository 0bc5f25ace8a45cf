/// The parsed form of a tokenizer.json regex: what the pattern says, before it is compiled for matching.
///
/// Python `tokenizers` compiles `Split` and `Replace` patterns with Oniguruma in its default Ruby syntax
/// (tokenizers/src/utils/onig.rs; the `onig` crate's `Regex::new`), so the syntax and meaning here are
/// Oniguruma's: `^`/`$` are line anchors, `.` is anything but `\n`, `\h` is a hex digit, `(?i)` folds case.
indirect enum RegexNode: Sendable {
    /// Matches the empty string.
    case empty
    /// One scalar from a set (a literal, a class, `.`, `\s`…).
    case scalarSet(ScalarSet)
    /// Each part in order.
    case concatenation([RegexNode])
    /// The first alternative that lets the whole pattern match (leftmost-first, like every backtracking engine).
    case alternation([RegexNode])
    /// `body` repeated `minimum` to `maximum` (nil: unbounded) times.
    case repetition(RegexNode, minimum: Int, maximum: Int?, mode: RepetitionMode)
    /// `(?>…)`: once the body matched, its alternatives are forgotten.
    case atomic(RegexNode)
    /// `(?=…)`, `(?!…)`, `(?<=…)`, `(?<!…)`: a zero-width test.
    case lookaround(RegexNode, direction: LookDirection, negated: Bool)
    /// A zero-width position test.
    case anchor(RegexAnchor)
}

/// How a quantifier chooses how many repetitions to try first.
enum RepetitionMode: Sendable {
    /// As many as possible first (`*`).
    case greedy
    /// As few as possible first (`*?`).
    case lazy
    /// As many as possible, never giving any back (`*+`).
    case possessive
}

/// Which side of the current position a lookaround looks at.
enum LookDirection: Sendable {
    case ahead, behind
}

/// Zero-width assertions in Oniguruma's Ruby syntax.
enum RegexAnchor: Sendable {
    /// `^`: at the start of the text or after `\n`.
    case lineStart
    /// `$`: at the end of the text or before `\n`.
    case lineEnd
    /// `\A`.
    case textStart
    /// `\z`.
    case textEnd
    /// `\Z`: at the end or before a final `\n`.
    case textEndOrFinalNewline
    /// `\b` (word characters as `\w`).
    case wordBoundary
    /// `\B`.
    case notWordBoundary
    /// `\G`: where the search started.
    case searchStart
}

/// A pattern Apus cannot compile, with where and why.
struct RegexSyntaxError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The whole pattern.
    let pattern: String
    /// Scalar offset of the problem in the pattern.
    let position: Int
    /// What is wrong there.
    let problem: String

    var description: String { "regex \(pattern.debugDescription) at position \(position): \(problem)" }
}

/// Reads a pattern into a `RegexNode` (recursive descent over the pattern's scalars).
struct RegexParser {
    private let pattern: String
    private let scalars: [Unicode.Scalar]
    private var position = 0
    private var caseInsensitive = false
    /// Groups and classes open around the current position.
    private var depth = 0
    /// Deepest nesting of groups and classes accepted, so a hostile pattern cannot exhaust the stack.
    static let maximumDepth = 100
    /// Largest expansion of counted repetitions allowed, so `a{1000}{1000}` is an error, not a huge program.
    static let maximumRepetitionCount = 1000

    init(_ pattern: String) {
        self.pattern = pattern
        scalars = Array(pattern.unicodeScalars)
    }

    /// Parses the whole pattern.
    static func parse(_ pattern: String) throws(RegexSyntaxError) -> RegexNode {
        var parser = RegexParser(pattern)
        let node = try parser.parseAlternation()
        if parser.position < parser.scalars.count {
            throw parser.error("unbalanced ')'")
        }
        return node
    }

    private func error(_ problem: String, at position: Int? = nil) -> RegexSyntaxError {
        RegexSyntaxError(pattern: pattern, position: position ?? self.position, problem: problem)
    }

    private var atEnd: Bool { position >= scalars.count }
    private var current: Unicode.Scalar? { atEnd ? nil : scalars[position] }

    private func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        position + offset < scalars.count ? scalars[position + offset] : nil
    }

    private mutating func consume(_ scalar: Unicode.Scalar) -> Bool {
        guard current == scalar else { return false }
        position += 1
        return true
    }

    // MARK: Structure

    private mutating func parseAlternation() throws(RegexSyntaxError) -> RegexNode {
        // A flag group without a body, `(?i)`, lasts to the end of the enclosing group, across alternatives.
        let savedCaseInsensitive = caseInsensitive
        defer { caseInsensitive = savedCaseInsensitive }
        var alternatives = [try parseConcatenation()]
        while consume("|") { alternatives.append(try parseConcatenation()) }
        return alternatives.count == 1 ? alternatives[0] : .alternation(alternatives)
    }

    private mutating func parseConcatenation() throws(RegexSyntaxError) -> RegexNode {
        var parts: [RegexNode] = []
        while let scalar = current, scalar != "|", scalar != ")" {
            let atomStart = position
            guard let atom = try parseAtom() else { continue }
            parts.append(try parseQuantifiers(atom, atomStart: atomStart))
        }
        switch parts.count {
        case 0: return .empty
        case 1: return parts[0]
        default: return .concatenation(parts)
        }
    }

    private mutating func parseQuantifiers(_ atom: RegexNode, atomStart: Int) throws(RegexSyntaxError) -> RegexNode {
        var node = atom
        while let scalar = current {
            let quantifierStart = position
            var minimum: Int, maximum: Int?
            var reversedInterval = false
            switch scalar {
            case "*": minimum = 0; maximum = nil; position += 1
            case "+": minimum = 1; maximum = nil; position += 1
            case "?": minimum = 0; maximum = 1; position += 1
            case "{":
                guard let interval = try parseInterval() else { return node }
                (minimum, maximum, reversedInterval) = interval
            default: return node
            }
            if case .anchor = node { throw error("target of repeat operator is invalid", at: quantifierStart) }
            if case .lookaround = node { throw error("target of repeat operator is invalid", at: quantifierStart) }
            var mode = RepetitionMode.greedy
            if reversedInterval {
                mode = .possessive
            } else if consume("?") {
                mode = .lazy
            } else if scalar != "{", consume("+") {
                // Ruby syntax makes `*+`, `++`, `?+` possessive; `{n,m}+` is a repetition of a repetition.
                mode = .possessive
            }
            node = .repetition(node, minimum: minimum, maximum: maximum, mode: mode)
        }
        return node
    }

    /// `{n}`, `{n,}`, `{n,m}`, `{,m}`; nil (and nothing consumed) when the brace is a literal, as Oniguruma reads it.
    /// Oniguruma reads `{n,m}` with n > m as the possessive `{m,n}` (regparse.c, `fetch_interval`): `reversed`.
    private mutating func parseInterval() throws(RegexSyntaxError) -> (Int, Int?, reversed: Bool)? {
        let start = position
        position += 1
        let low = parseNumber()
        var high: Int?
        if consume(",") {
            high = parseNumber()
            if low == nil && high == nil { position = start; return nil }
        } else {
            guard low != nil else { position = start; return nil }
            high = low
        }
        guard consume("}") else { position = start; return nil }
        var minimum = low ?? 0
        var reversed = false
        if let upper = high, upper < minimum {
            (minimum, high, reversed) = (upper, minimum, true)
        }
        if minimum > Self.maximumRepetitionCount || (high ?? 0) > Self.maximumRepetitionCount {
            throw error("repetition count above \(Self.maximumRepetitionCount)", at: start)
        }
        return (minimum, high, reversed)
    }

    private mutating func parseNumber() -> Int? {
        var value: Int?
        while let scalar = current, ("0"..."9").contains(scalar) {
            value = min((value ?? 0) * 10 + Int(scalar.value) - 48, 1_000_000)
            position += 1
        }
        return value
    }

    /// One atom, or nil for a construct that only changes flags (`(?i)`).
    private mutating func parseAtom() throws(RegexSyntaxError) -> RegexNode? {
        guard let scalar = current else { throw error("unexpected end of pattern") }
        let start = position
        position += 1
        if scalar == "(" || scalar == "[" {
            depth += 1
            defer { depth -= 1 }
            guard depth <= Self.maximumDepth else { throw error("groups or classes nested deeper than \(Self.maximumDepth)", at: start) }
            return scalar == "(" ? try parseGroup(start: start) : .scalarSet(try parseClass(start: start))
        }
        switch scalar {
        case ".": return .scalarSet(ScalarSet(items: [.scalars(["\n"])], negated: true))
        case "^": return .anchor(.lineStart)
        case "$": return .anchor(.lineEnd)
        case "\\": return try parseEscape(start: start)
        case "*", "+", "?": throw error("target of repeat operator is not specified", at: start)
        default: return literal(scalar)
        }
    }

    private func literal(_ scalar: Unicode.Scalar) -> RegexNode {
        guard caseInsensitive else { return .scalarSet(ScalarSet(scalar: scalar)) }
        let variants = CaseFolding.variants(of: scalar)
        return .scalarSet(variants.count == 1 ? ScalarSet(scalar: scalar) : ScalarSet(items: [.scalars(variants)]))
    }

    private mutating func parseGroup(start: Int) throws(RegexSyntaxError) -> RegexNode? {
        guard consume("?") else { return try parseGroupBody(start: start) }
        guard let kind = current else { throw error("end pattern in group", at: start) }
        position += 1
        switch kind {
        case ":": return try parseGroupBody(start: start)
        case ">": return .atomic(try parseGroupBody(start: start))
        case "=": return .lookaround(try parseGroupBody(start: start), direction: .ahead, negated: false)
        case "!": return .lookaround(try parseGroupBody(start: start), direction: .ahead, negated: true)
        case "#":
            while let scalar = current, scalar != ")" { position += 1 }
            guard consume(")") else { throw error("end pattern in group", at: start) }
            return nil
        case "<":
            if consume("=") { return .lookaround(try parseGroupBody(start: start), direction: .behind, negated: false) }
            if consume("!") { return .lookaround(try parseGroupBody(start: start), direction: .behind, negated: true) }
            try skipGroupName(until: ">", start: start)
            return try parseGroupBody(start: start)
        case "'", "P":
            if kind == "P" && !consume("<") { throw error("undefined group option", at: start) }
            try skipGroupName(until: kind == "'" ? "'" : ">", start: start)
            return try parseGroupBody(start: start)
        default:
            position -= 1
            return try parseFlagGroup(start: start)
        }
    }

    /// A named group is matched as an unnamed one: tokenizers never reads captures.
    private mutating func skipGroupName(until terminator: Unicode.Scalar, start: Int) throws(RegexSyntaxError) {
        let nameStart = position
        while let scalar = current, scalar != terminator {
            guard scalar.properties.isAlphabetic || scalar == "_" || (scalar.isASCII && scalar.properties.numericType != nil) else {
                throw error("invalid group name", at: nameStart)
            }
            position += 1
        }
        guard consume(terminator), position - 1 > nameStart else { throw error("invalid group name", at: nameStart) }
    }

    /// `(?i)`, `(?-i)`, `(?i:…)`, `(?mx-i:…)`. Oniguruma's Ruby syntax: `m` is dot-all, `x` extended.
    private mutating func parseFlagGroup(start: Int) throws(RegexSyntaxError) -> RegexNode? {
        var enable = true
        var newCaseInsensitive = caseInsensitive
        while let scalar = current {
            position += 1
            switch scalar {
            case "-": enable = false
            case "i": newCaseInsensitive = enable
            case ")":
                caseInsensitive = newCaseInsensitive
                return nil
            case ":":
                let saved = caseInsensitive
                caseInsensitive = newCaseInsensitive
                defer { caseInsensitive = saved }
                return try parseGroupBody(start: start)
            case "m", "x", "a", "u", "d", "l":
                throw error("the (?\(scalar)) option is not supported", at: position - 1)
            default:
                throw error("undefined group option", at: position - 1)
            }
        }
        throw error("end pattern in group", at: start)
    }

    private mutating func parseGroupBody(start: Int) throws(RegexSyntaxError) -> RegexNode {
        let body = try parseAlternation()
        guard consume(")") else { throw error("end pattern with unmatched parenthesis", at: start) }
        return body
    }

    // MARK: Escapes

    private mutating func parseEscape(start: Int) throws(RegexSyntaxError) -> RegexNode {
        guard let scalar = current else { throw error("end pattern at escape", at: start) }
        position += 1
        switch scalar {
        case "A": return .anchor(.textStart)
        case "z": return .anchor(.textEnd)
        case "Z": return .anchor(.textEndOrFinalNewline)
        case "b": return .anchor(.wordBoundary)
        case "B": return .anchor(.notWordBoundary)
        case "G": return .anchor(.searchStart)
        default: break
        }
        position -= 1
        switch try parseEscapedItem(start: start, inClass: false) {
        case .item(let item): return .scalarSet(ScalarSet(items: [item]))
        case .scalar(let literalScalar): return literal(literalScalar)
        }
    }

    private enum EscapedItem {
        case scalar(Unicode.Scalar)
        case item(ScalarSet.Item)
    }

    /// The escape after a backslash (the position is on the scalar after it), inside or outside a class.
    private mutating func parseEscapedItem(start: Int, inClass: Bool) throws(RegexSyntaxError) -> EscapedItem {
        guard let scalar = current else { throw error("end pattern at escape", at: start) }
        position += 1
        switch scalar {
        case "s": return .item(.property(.whitespace, negated: false))
        case "S": return .item(.property(.whitespace, negated: true))
        case "d": return .item(.property(.decimalDigit, negated: false))
        case "D": return .item(.property(.decimalDigit, negated: true))
        case "w": return .item(.property(inClass ? .wordInClass : .word, negated: false))
        case "W": return .item(.property(inClass ? .wordInClass : .word, negated: true))
        case "h": return .item(.property(.hexDigit, negated: false))
        case "H": return .item(.property(.hexDigit, negated: true))
        case "p", "P": return .item(try parseProperty(start: start, negated: scalar == "P", inClass: inClass))
        case "t": return .scalar("\t")
        case "n": return .scalar("\n")
        case "r": return .scalar("\r")
        case "f": return .scalar("\u{0C}")
        case "v": return .scalar("\u{0B}")
        case "a": return .scalar("\u{07}")
        case "e": return .scalar("\u{1B}")
        case "x": return .scalar(try parseHexEscape(start: start))
        case "u": return .scalar(try parseFixedHex(digits: 4, start: start))
        case "0":
            var value: UInt32 = 0
            var digits = 0
            while digits < 2, let next = current, ("0"..."7").contains(next) {
                value = value * 8 + next.value - 48
                position += 1
                digits += 1
            }
            return .scalar(Unicode.Scalar(UInt8(value)))
        default:
            if scalar.isASCII && (scalar.properties.isAlphabetic || ("1"..."9").contains(scalar)) {
                throw error("the escape \\\(scalar) is not supported", at: start)
            }
            // Any other escaped scalar stands for itself (`\.`, `\\`, `\ `, `\'`).
            return .scalar(scalar)
        }
    }

    private mutating func parseHexEscape(start: Int) throws(RegexSyntaxError) -> Unicode.Scalar {
        if consume("{") {
            var value: UInt32 = 0
            var digits = 0
            while let scalar = current, let digit = Self.hexValue(scalar) {
                value = value &* 16 &+ digit
                digits += 1
                position += 1
                guard digits <= 8 else { throw error("too long code point in \\x{…}", at: start) }
            }
            guard digits > 0, consume("}"), let result = Unicode.Scalar(value) else {
                throw error("invalid code point value in \\x{…}", at: start)
            }
            return result
        }
        var value: UInt32 = 0
        var digits = 0
        while digits < 2, let scalar = current, let digit = Self.hexValue(scalar) {
            value = value * 16 + digit
            digits += 1
            position += 1
        }
        guard digits > 0 else { throw error("invalid \\x escape", at: start) }
        // Oniguruma reads `\xHH` as a raw byte; above 0x7F that is not a whole UTF-8 character.
        guard value < 0x80 else { throw error("\\x\(String(value, radix: 16)) is a raw byte, not a character", at: start) }
        return Unicode.Scalar(UInt8(value))
    }

    private mutating func parseFixedHex(digits: Int, start: Int) throws(RegexSyntaxError) -> Unicode.Scalar {
        var value: UInt32 = 0
        for _ in 0..<digits {
            guard let scalar = current, let digit = Self.hexValue(scalar) else { throw error("invalid \\u escape", at: start) }
            value = value * 16 + digit
            position += 1
        }
        guard let result = Unicode.Scalar(value) else { throw error("invalid code point in \\u escape", at: start) }
        return result
    }

    private static func hexValue(_ scalar: Unicode.Scalar) -> UInt32? {
        switch scalar {
        case "0"..."9": return scalar.value - 48
        case "a"..."f": return scalar.value - 87
        case "A"..."F": return scalar.value - 55
        default: return nil
        }
    }

    /// `\p{L}`, `\p{^L}`, `\P{Lu}`, `\pL`.
    private mutating func parseProperty(start: Int, negated: Bool, inClass: Bool) throws(RegexSyntaxError) -> ScalarSet.Item {
        var negated = negated
        var name = ""
        if consume("{") {
            if consume("^") { negated.toggle() }
            while let scalar = current, scalar != "}" {
                name.unicodeScalars.append(scalar)
                position += 1
            }
            guard consume("}") else { throw error("invalid character property name {\(name)", at: start) }
        } else {
            guard let scalar = current else { throw error("invalid character property name", at: start) }
            name.unicodeScalars.append(scalar)
            position += 1
        }
        guard let property = UnicodeProperty(name: name) else {
            throw error("invalid character property name {\(name)}", at: start)
        }
        return .property(inClass && property == .word ? .wordInClass : property, negated: negated)
    }

    // MARK: Classes

    /// `[…]` after its `[`: items, ranges, nested classes, `&&` intersections, `[:alpha:]` is not supported.
    private mutating func parseClass(start: Int) throws(RegexSyntaxError) -> ScalarSet {
        let negated = consume("^")
        var items: [ScalarSet.Item] = []
        var intersected: [ScalarSet] = []
        var first = true
        while true {
            guard let scalar = current else { throw error("premature end of char-class", at: start) }
            if scalar == "]" && !first { position += 1; break }
            first = false
            if scalar == "&" && peek(1) == "&" {
                position += 2
                intersected.append(ScalarSet(items: items))
                items = []
                continue
            }
            if scalar == "[" {
                if peek(1) == ":" { throw error("POSIX bracket expressions are not supported", at: position) }
                let nestedStart = position
                position += 1
                depth += 1
                defer { depth -= 1 }
                guard depth <= Self.maximumDepth else { throw error("classes nested deeper than \(Self.maximumDepth)", at: nestedStart) }
                items.append(.set(try parseClass(start: nestedStart)))
                continue
            }
            let itemStart = position
            let low: Unicode.Scalar
            switch try parseClassAtom(start: itemStart) {
            case .item(let item):
                items.append(item)
                continue
            case .scalar(let scalar):
                low = scalar
            }
            // A range `a-z`; a '-' before ']' or after a class escape is literal.
            if current == "-", let next = peek(1), next != "]" {
                position += 1
                let highStart = position
                guard case .scalar(let high) = try parseClassAtom(start: highStart) else {
                    throw error("char-class value at end of range", at: highStart)
                }
                guard low.value <= high.value else { throw error("empty range in char class", at: itemStart) }
                items.append(caseInsensitive ? .set(CaseFolding.rangeSet(low...high)) : .range(low.value...high.value))
            } else {
                items.append(caseInsensitive ? .scalars(CaseFolding.variants(of: low)) : .scalars([low]))
            }
        }
        if !intersected.isEmpty {
            intersected.append(ScalarSet(items: items))
            return ScalarSet(items: [.intersection(intersected)], negated: negated)
        }
        return ScalarSet(items: items, negated: negated)
    }

    private mutating func parseClassAtom(start: Int) throws(RegexSyntaxError) -> EscapedItem {
        guard let scalar = current else { throw error("premature end of char-class", at: start) }
        position += 1
        guard scalar == "\\" else { return .scalar(scalar) }
        if current == "b" { position += 1; return .scalar("\u{08}") }
        return try parseEscapedItem(start: start, inClass: true)
    }
}
