/// A tokenizer.json regex (`Split` and `Replace` patterns, ByteLevel's GPT-2 split), matched over Unicode scalars
/// as Python `tokenizers` matches it: with Oniguruma, Ruby syntax, finding matches as the `onig` crate's
/// `find_iter` does (tokenizers/src/utils/onig.rs).
///
/// ```swift
/// let regex = try TokenizerRegex(#"\s+|\p{N}"#)
/// regex.matches(in: Array("a  12".unicodeScalars))   // [1..<3, 3..<4, 4..<5]
/// ```
///
/// The GPT-2 and Llama 3 / Qwen2 split patterns, written exactly as those tokenizer.json files write them, run on
/// hand-written matchers (`KnownSplitPattern`) that give the general engine's matches several times faster.
struct TokenizerRegex: Sendable {
    /// The pattern as written (for a literal, the literal).
    let pattern: String
    private let engine: Engine

    private enum Engine: Sendable {
        case known(KnownSplitPattern)
        case general(RegexProgram)
    }

    /// Compiles `pattern`; `allowingFastPath: false` keeps the general engine even for a known pattern (tests
    /// compare the two).
    init(_ pattern: String, allowingFastPath: Bool = true) throws(RegexSyntaxError) {
        self.pattern = pattern
        if allowingFastPath, let known = KnownSplitPattern(pattern: pattern) {
            engine = .known(known)
            return
        }
        engine = .general(try RegexProgram(try RegexParser.parse(pattern), pattern: pattern))
    }

    /// A pattern matching exactly `literal` (tokenizers' `String` patterns, which it escapes with
    /// `regex::escape` before compiling).
    init(literal: String) {
        pattern = literal
        let node = RegexNode.concatenation(literal.unicodeScalars.map { .scalarSet(ScalarSet(scalar: $0)) })
        // A concatenation of literals always compiles: no lookbehind, no repetition.
        engine = .general((try? RegexProgram(node, pattern: literal)) ?? Self.emptyProgram)
    }

    private static let emptyProgram: RegexProgram = {
        guard let program = try? RegexProgram(.empty, pattern: "") else { preconditionFailure("the empty program compiles") }
        return program
    }()

    /// Whether a hand-written matcher runs this pattern.
    var usesFastPath: Bool {
        if case .known = engine { return true }
        return false
    }

    /// Calls `body` with each match in order, as `find_iter` yields them: leftmost-first matches searched from
    /// the end of the previous one; an empty match right where the previous match ended is skipped.
    func forEachMatch(in text: UnsafeBufferPointer<Unicode.Scalar>, _ body: (Range<Int>) -> Void) {
        switch engine {
        case .known(let known):
            // These patterns match at every position and never match the empty string.
            var position = 0
            while position < text.count {
                let end = known.matchEnd(at: position, in: text)
                body(position..<end)
                position = end
            }
        case .general(let program):
            var scratch = RegexProgram.Scratch(registerCount: program.registerCount)
            var searchFrom = 0
            var lastMatchEnd = -1
            while searchFrom <= text.count {
                guard let match = Self.search(program, in: text, from: searchFrom, scratch: &scratch) else { return }
                if match.isEmpty && match.upperBound == lastMatchEnd {
                    searchFrom += 1
                    continue
                }
                body(match)
                searchFrom = match.upperBound
                lastMatchEnd = match.upperBound
            }
        }
    }

    /// The leftmost match starting at or after `start`.
    private static func search(_ program: RegexProgram, in text: UnsafeBufferPointer<Unicode.Scalar>, from start: Int,
                               scratch: inout RegexProgram.Scratch) -> Range<Int>? {
        var position = start
        while position <= text.count {
            if let first = program.firstScalars {
                while position < text.count && !first.contains(text[position]) { position += 1 }
                if position == text.count { return nil }
            }
            if let end = program.execute(from: 0, at: position, in: text, searchStart: start, lookbehindEnd: -1, scratch: &scratch) {
                return position..<end
            }
            position += 1
        }
        return nil
    }

    /// Every match in `scalars`, in order.
    func matches(in scalars: [Unicode.Scalar]) -> [Range<Int>] {
        var result: [Range<Int>] = []
        scalars.withUnsafeBufferPointer { text in forEachMatch(in: text) { result.append($0) } }
        return result
    }

    /// `scalars` cut into consecutive pieces, each a match or the text between two (tokenizers'
    /// `Pattern::find_matches`). Empty matches are pieces too; an empty text is one empty non-match.
    func pieces(in scalars: [Unicode.Scalar]) -> [(range: Range<Int>, isMatch: Bool)] {
        guard !scalars.isEmpty else { return [(0..<0, false)] }
        var pieces: [(range: Range<Int>, isMatch: Bool)] = []
        var previous = 0
        scalars.withUnsafeBufferPointer { text in
            forEachMatch(in: text) { match in
                if previous != match.lowerBound { pieces.append((previous..<match.lowerBound, false)) }
                pieces.append((match, true))
                previous = match.upperBound
            }
        }
        if previous != scalars.count { pieces.append((previous..<scalars.count, false)) }
        return pieces
    }
}
