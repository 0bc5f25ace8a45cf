import Testing
@testable import ApusTokenizers

/// Alignments survive every kind of rewrite, so tokens can report offsets into the original text.
@Suite struct NormalizedTextTests {
    func ranges(_ pairs: [(Int, Int)]) -> [Range<Int>] { pairs.map { $0.0..<$0.1 } }

    @Test func startsAlignedOneToOne() {
        let text = NormalizedText("e\u{301}😀")
        #expect(text.scalars == ["e", "\u{301}", "😀"], "scalars, not Characters: é is two, the emoji one")
        #expect(text.alignments == ranges([(0, 1), (1, 2), (2, 3)]))
        #expect(text.string == "e\u{301}😀")
    }

    @Test func rewriteGivesEveryEmittedScalarTheSourceAlignment() {
        var text = NormalizedText("aXb")
        text.rewrite { scalar, emit in
            if scalar == "X" { emit("y"); emit("z") } else if scalar != "b" { emit(scalar) }
        }
        #expect(text.string == "ayz")
        #expect(text.alignments == ranges([(0, 1), (1, 2), (1, 2)]))
    }

    @Test func removeAllDropsAlignmentsToo() {
        var text = NormalizedText("a\u{0}b\u{0}")
        text.removeAll { $0 == "\u{0}" }
        #expect(text.string == "ab" && text.alignments == ranges([(0, 1), (2, 3)]))
        #expect(text.originalRange(of: 0..<2) == 0..<3, "a token spanning a removed scalar covers it")
    }

    @Test func slicesKeepOriginalPositions() {
        let slice = NormalizedText("hello world").slice(6..<11)
        #expect(slice.string == "world" && slice.originalRange(of: 0..<5) == 6..<11)
        #expect(slice.originalRange(of: 5..<5) == 11..<11)
    }

    @Test func reorderingKeepsAlignmentsInPlace() {
        var text = NormalizedText("abc")
        text.reorderScalars(in: 1..<3, to: ["c", "b"])
        #expect(text.string == "acb" && text.alignments == ranges([(0, 1), (1, 2), (2, 3)]))
    }
}
