/// Hand-written matchers for the split patterns most byte-level tokenizers use, chosen when a pattern string is
/// exactly one of them. Each gives the leftmost-first match the general engine gives (checked on the parity
/// texts and random strings by KnownSplitPatternTests); they exist for speed, as llama.cpp's `unicode.cpp` does.
enum KnownSplitPattern: Sendable, Equatable {
    /// GPT-2 (tokenizers/src/pre_tokenizers/byte_level.rs, openai/gpt-2 `encoder.py`); also RoBERTa, BART, GPT-J…
    case gpt2
    /// Llama 3 and OpenAI cl100k (`\p{N}{1,3}`), or Qwen2 (`\p{N}`, a `maximumDigits` of 1).
    case llama3(maximumDigits: Int)

    static let gpt2Pattern = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    static let llama3Pattern = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    static let qwen2Pattern = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    /// The matcher for `pattern`, if it is one of the known ones (compared scalar for scalar).
    init?(pattern: String) {
        if pattern.unicodeScalars.elementsEqual(Self.gpt2Pattern.unicodeScalars) {
            self = .gpt2
        } else if pattern.unicodeScalars.elementsEqual(Self.llama3Pattern.unicodeScalars) {
            self = .llama3(maximumDigits: 3)
        } else if pattern.unicodeScalars.elementsEqual(Self.qwen2Pattern.unicodeScalars) {
            self = .llama3(maximumDigits: 1)
        } else {
            return nil
        }
    }

    // Classes of a scalar: \p{L}, \p{N}, \s; "other" is none of them.
    private static let letter: UInt8 = 1, number: UInt8 = 2, space: UInt8 = 4

    private static let asciiClasses: [UInt8] = (0..<UInt32(128)).map { value in
        var classes: UInt8 = 0
        if RegexUnicodeData.has(.categories(letterMask), value) { classes |= letter }
        if RegexUnicodeData.has(.categories(numberMask), value) { classes |= number }
        if RegexUnicodeData.has(.whitespace, value) { classes |= space }
        return classes
    }

    private static let letterMask: UInt32 = {
        typealias C = RegexUnicodeData.Category
        return [C.Lu, .Ll, .Lt, .Lm, .Lo].reduce(0) { $0 | 1 << $1.rawValue }
    }()
    private static let numberMask: UInt32 = {
        typealias C = RegexUnicodeData.Category
        return [C.Nd, .Nl, .No].reduce(0) { $0 | 1 << $1.rawValue }
    }()

    @inline(__always)
    private static func classes(_ scalar: Unicode.Scalar) -> UInt8 {
        let value = scalar.value
        if value < 128 { return asciiClasses[Int(value)] }
        var classes: UInt8 = 0
        if RegexUnicodeData.has(.categories(letterMask), value) { classes |= letter }
        if RegexUnicodeData.has(.categories(numberMask), value) { classes |= number }
        if RegexUnicodeData.has(.whitespace, value) { classes |= space }
        return classes
    }

    /// Scalars Llama 3's `(?i:…)` contractions accept after the apostrophe, by folded letter.
    private static let foldedContractionLetters: [Unicode.Scalar: Unicode.Scalar] = {
        var map: [Unicode.Scalar: Unicode.Scalar] = [:]
        for letter in ["s", "t", "r", "e", "v", "m", "l", "d"] as [Unicode.Scalar] {
            for variant in CaseFolding.variants(of: letter) { map[variant] = letter }
        }
        return map
    }()

    /// The end of the match starting at `start` (these patterns match at every position, never emptily).
    func matchEnd(at start: Int, in text: UnsafeBufferPointer<Unicode.Scalar>) -> Int {
        switch self {
        case .gpt2: return Self.gpt2MatchEnd(at: start, in: text)
        case .llama3(let maximumDigits): return Self.llama3MatchEnd(at: start, in: text, maximumDigits: maximumDigits)
        }
    }

    /// End of the run from `position` of scalars whose classes satisfy `accept`.
    @inline(__always)
    private static func run(from position: Int, in text: UnsafeBufferPointer<Unicode.Scalar>, _ accept: (UInt8) -> Bool) -> Int {
        var end = position
        while end < text.count && accept(classes(text[end])) { end += 1 }
        return end
    }

    private static func isOther(_ classes: UInt8) -> Bool { classes == 0 }

    private static func gpt2MatchEnd(at start: Int, in text: UnsafeBufferPointer<Unicode.Scalar>) -> Int {
        let count = text.count
        let first = text[start]
        // 's|'t|'re|'ve|'m|'ll|'d
        if first == "'" && start + 1 < count {
            switch text[start + 1] {
            case "s", "t", "m", "d": return start + 2
            case "r", "v":
                if start + 2 < count && text[start + 2] == "e" { return start + 3 }
            case "l":
                if start + 2 < count && text[start + 2] == "l" { return start + 3 }
            default: break
            }
        }
        //  ?\p{L}+ |  ?\p{N}+ |  ?[^\s\p{L}\p{N}]+ — after the optional space, the first scalar picks the branch.
        let body = first == " " && start + 1 < count ? start + 1 : start
        let bodyClasses = classes(text[body])
        if bodyClasses & letter != 0 { return run(from: body + 1, in: text) { $0 & letter != 0 } }
        if bodyClasses & number != 0 { return run(from: body + 1, in: text) { $0 & number != 0 } }
        if isOther(bodyClasses) { return run(from: body + 1, in: text, isOther) }
        return whitespaceMatchEnd(at: start, in: text)
    }

    /// `\s+(?!\S)|\s+` from a whitespace scalar: the run, less its last scalar when a non-space follows and the
    /// run is longer than one.
    @inline(__always)
    private static func whitespaceMatchEnd(at start: Int, in text: UnsafeBufferPointer<Unicode.Scalar>) -> Int {
        let end = run(from: start + 1, in: text) { $0 & space != 0 }
        return end < text.count && end - start > 1 ? end - 1 : end
    }

    private static func llama3MatchEnd(at start: Int, in text: UnsafeBufferPointer<Unicode.Scalar>, maximumDigits: Int) -> Int {
        let count = text.count
        let first = text[start]
        // (?i:'s|'t|'re|'ve|'m|'ll|'d)
        if first == "'" && start + 1 < count, let letter = foldedContractionLetters[text[start + 1]] {
            switch letter {
            case "s", "t", "m", "d": return start + 2
            case "r", "v":
                if start + 2 < count && foldedContractionLetters[text[start + 2]] == "e" { return start + 3 }
            case "l":
                if start + 2 < count && foldedContractionLetters[text[start + 2]] == "l" { return start + 3 }
            default: break
            }
        }
        let firstClasses = classes(first)
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if firstClasses & letter != 0 { return run(from: start + 1, in: text) { $0 & letter != 0 } }
        if firstClasses & number == 0 && first != "\r" && first != "\n" && start + 1 < count && classes(text[start + 1]) & letter != 0 {
            return run(from: start + 2, in: text) { $0 & letter != 0 }
        }
        // \p{N}{1,3}
        if firstClasses & number != 0 {
            var end = start + 1
            while end < count && end - start < maximumDigits && classes(text[end]) & number != 0 { end += 1 }
            return end
        }
        //  ?[^\s\p{L}\p{N}]+[\r\n]*
        let body = first == " " && start + 1 < count ? start + 1 : start
        if isOther(classes(text[body])) {
            var end = run(from: body + 1, in: text, isOther)
            while end < count && (text[end] == "\r" || text[end] == "\n") { end += 1 }
            return end
        }
        // \s*[\r\n]+ : through the last line break of the whitespace run.
        let runEnd = run(from: start, in: text) { $0 & space != 0 }
        var lastBreak = runEnd - 1
        while lastBreak >= start && text[lastBreak] != "\r" && text[lastBreak] != "\n" { lastBreak -= 1 }
        if lastBreak >= start { return lastBreak + 1 }
        // \s+(?!\S)|\s+
        return whitespaceMatchEnd(at: start, in: text)
    }
}
