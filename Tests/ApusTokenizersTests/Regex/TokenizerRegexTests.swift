import Testing
@testable import ApusTokenizers

/// Matches of the general engine against Oniguruma's, as tokenizers finds them.
@Suite struct TokenizerRegexTests {
    struct MatchFixture: Decodable {
        struct Pattern: Decodable {
            let pattern: String
            let matches: [String: [Int]]?
            let ends: [String: [Int]]?
            let python_error: String?
        }
        struct Nullable: Decodable {
            let pattern: String
            let replaced: [String: String]
        }
        let extra_texts: [String]
        let patterns: [Pattern]
        let nullable: [Nullable]
    }

    /// Non-empty matches, flattened, as `Split(invert: true, behavior: removed)` reports them.
    static func nonEmptyMatches(_ regex: TokenizerRegex, _ text: String) -> [Int] {
        PreTokenizerFixtures.flatten(regex.matches(in: PreTokenizerFixtures.scalars(text)).filter { !$0.isEmpty })
    }

    @Test(arguments: [false, true]) func matchesAsOniguruma(allowingFastPath: Bool) throws {
        let fixture = try PreTokenizerFixtures.load("regex-matches.json", as: MatchFixture.self)
        let texts = try PreTokenizerFixtures.texts(extra: fixture.extra_texts)
        #expect(fixture.patterns.count > 30)
        for entry in fixture.patterns {
            if let pythonError = entry.python_error {
                #expect(throws: RegexSyntaxError.self, "\(entry.pattern): Oniguruma says \(pythonError)") {
                    try TokenizerRegex(entry.pattern)
                }
                continue
            }
            let regex: TokenizerRegex
            do {
                regex = try TokenizerRegex(entry.pattern, allowingFastPath: allowingFastPath)
            } catch {
                Issue.record("\(entry.pattern): \(error)")
                continue
            }
            var failures = 0
            for (key, expected) in entry.matches ?? [:] {
                guard let index = Int(key), failures < 3 else { continue }
                let actual = Self.nonEmptyMatches(regex, texts[index])
                if actual != expected {
                    failures += 1
                    Issue.record("\(entry.pattern) on text \(index) \(texts[index].debugDescription.prefix(80)): \(actual.prefix(20)) != \(expected.prefix(20))")
                }
            }
            for (key, expected) in entry.ends ?? [:] {
                guard let index = Int(key), failures < 3 else { continue }
                let actual = regex.matches(in: PreTokenizerFixtures.scalars(texts[index])).map(\.upperBound)
                if actual != expected {
                    failures += 1
                    Issue.record("\(entry.pattern) on text \(index) \(texts[index].debugDescription.prefix(80)): ends \(actual.prefix(20)) != \(expected.prefix(20))")
                }
            }
        }
    }

    @Test func emptyMatchesFallWhereOnigurumaPutsThem() throws {
        let fixture = try PreTokenizerFixtures.load("regex-matches.json", as: MatchFixture.self)
        let texts = try PreTokenizerFixtures.texts(extra: fixture.extra_texts)
        for entry in fixture.nullable {
            let regex = try TokenizerRegex(entry.pattern)
            for (key, expected) in entry.replaced {
                guard let index = Int(key) else { continue }
                let scalars = PreTokenizerFixtures.scalars(texts[index])
                var replaced = String.UnicodeScalarView()
                for piece in regex.pieces(in: scalars) {
                    if piece.isMatch { replaced.append(contentsOf: "<>".unicodeScalars) } else { replaced.append(contentsOf: scalars[piece.range]) }
                }
                #expect(String(replaced) == expected, "\(entry.pattern) on \(texts[index].debugDescription)")
            }
        }
    }

    @Test func syntaxErrorsNameThePatternAndPosition() {
        #expect(throws: RegexSyntaxError(pattern: "ab\\k<x>", position: 2, problem: "the escape \\k is not supported")) {
            try TokenizerRegex("ab\\k<x>")
        }
        #expect(throws: RegexSyntaxError.self) { try TokenizerRegex("[[:alpha:]]") }
        #expect(throws: RegexSyntaxError.self, "a script outside RegexScriptTable") { try TokenizerRegex("\\p{Ogham}") }
        #expect(throws: RegexSyntaxError.self) { try TokenizerRegex("(?<=a+)b") }
        #expect(throws: RegexSyntaxError.self) { try TokenizerRegex("[a") }
        #expect(throws: RegexSyntaxError.self, "nesting is bounded") { try TokenizerRegex(String(repeating: "(", count: 5000)) }
        #expect(throws: RegexSyntaxError.self, "nesting is bounded") { try TokenizerRegex(String(repeating: "[", count: 5000)) }
        #expect(throws: RegexSyntaxError.self, "expansion is bounded") { try TokenizerRegex("(?:(?:ab){1000}){1000}") }
        let error = RegexSyntaxError(pattern: "x(", position: 1, problem: "end pattern with unmatched parenthesis")
        #expect(error.description == "regex \"x(\" at position 1: end pattern with unmatched parenthesis")
    }

    @Test func semantics() throws {
        func matches(_ pattern: String, _ text: String) throws -> [String] {
            let scalars = PreTokenizerFixtures.scalars(text)
            return try TokenizerRegex(pattern).matches(in: scalars).map { String(String.UnicodeScalarView(scalars[$0])) }
        }
        #expect(try matches("a|ab", "ab") == ["a"], "leftmost-first, not longest")
        #expect(try matches("a+?", "aaa") == ["a", "a", "a"])
        #expect(try matches("a*+a", "aaa") == [], "possessive gives nothing back")
        #expect(try matches("(?i)straße", "STRAẞE") == ["STRAẞE"], "simple case folding: ẞ folds to ß")
        #expect(try matches("(?i:'s)", "'ſ") == ["'ſ"])
        #expect(try matches("e\u{301}", "é e\u{301}") == ["e\u{301}"], "scalars, not grapheme clusters")
        #expect(try matches(".", "a\nb") == ["a", "b"])
        #expect(try matches("a{2,1}", "aaaaa") == ["aa", "aa", "a"], "Oniguruma: a reversed interval is possessive")
        #expect(try matches("(a|)*b", "aab") == ["aab"], "a loop whose body matches empty ends")
        #expect(try matches("(?:a|a)+b", String(repeating: "a", count: 24)).isEmpty, "exponential backtracking is cut off")
    }
}
