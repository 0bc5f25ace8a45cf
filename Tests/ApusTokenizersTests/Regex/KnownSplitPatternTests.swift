import Testing
@testable import ApusTokenizers

/// The hand-written GPT-2 / Llama 3 / Qwen2 matchers against the general engine on the same patterns.
@Suite struct KnownSplitPatternTests {
    static let patterns = [KnownSplitPattern.gpt2Pattern, KnownSplitPattern.llama3Pattern, KnownSplitPattern.qwen2Pattern]

    @Test(arguments: patterns) func fastPathIsChosenForTheExactPattern(pattern: String) throws {
        #expect(try TokenizerRegex(pattern).usesFastPath)
        #expect(try !TokenizerRegex(pattern + "|x").usesFastPath)
        #expect(try !TokenizerRegex(pattern, allowingFastPath: false).usesFastPath)
    }

    @Test(arguments: patterns) func sameMatchesAsTheGeneralEngineOnTheParityTexts(pattern: String) throws {
        let fast = try TokenizerRegex(pattern)
        let general = try TokenizerRegex(pattern, allowingFastPath: false)
        for text in try Fixtures.parityTexts() {
            let scalars = PreTokenizerFixtures.scalars(text)
            #expect(fast.matches(in: scalars) == general.matches(in: scalars), "\(text.debugDescription)")
        }
    }

    /// Random strings over an alphabet that exercises every branch: contractions in both cases, letters, digits
    /// of several scripts, punctuation, every kind of whitespace, marks, emoji, `\r\n`.
    @Test(arguments: patterns) func sameMatchesAsTheGeneralEngineOnRandomStrings(pattern: String) throws {
        let fast = try TokenizerRegex(pattern)
        let general = try TokenizerRegex(pattern, allowingFastPath: false)
        let alphabet: [Unicode.Scalar] = ["'", "'", "s", "S", "t", "T", "r", "R", "e", "E", "v", "V", "m", "l", "L", "d", "D",
                                          "ſ", "k", "a", "é", "Ж", "中", "1", "2", "٣", "½", "Ⅻ", ".", ",", "!", "-", " ", " ",
                                          " ", "\t", "\n", "\r", "\u{A0}", "\u{3000}", "\u{85}", "\u{301}", "😀", "\u{200D}", "_", "/"]
        var generator = SeededGenerator(seed: 0x5eed)
        for _ in 0..<3000 {
            let length = Int.random(in: 0...24, using: &generator)
            let scalars = (0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }
            let fastMatches = fast.matches(in: scalars)
            let generalMatches = general.matches(in: scalars)
            #expect(fastMatches == generalMatches, "\(String(String.UnicodeScalarView(scalars)).debugDescription)")
            if fastMatches != generalMatches { break }
        }
    }
}

/// A small deterministic random number generator (SplitMix64), so failures reproduce.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
