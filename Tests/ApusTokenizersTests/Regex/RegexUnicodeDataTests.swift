import Testing
@testable import ApusTokenizers

/// Every scalar's membership in the classes patterns use, against Oniguruma inside tokenizers.
@Suite struct RegexUnicodeDataTests {
    struct ClassFixture: Decodable {
        let classes: [String: [[UInt32]]]
        let digits_numeric: [[UInt32]]
    }

    /// The scalars of `ranges` ([first, last] pairs) that `predicate` gets wrong, as "U+XXXX".
    static func mismatches(_ ranges: [[UInt32]], _ predicate: (Unicode.Scalar) -> Bool) -> [String] {
        var mismatches: [String] = []
        var next = 0
        for value in UInt32(0)..<0x110000 {
            guard let scalar = Unicode.Scalar(value) else { continue }
            while next < ranges.count && ranges[next][1] < value { next += 1 }
            let expected = next < ranges.count && ranges[next][0] <= value
            if predicate(scalar) != expected { mismatches.append("U+\(String(value, radix: 16, uppercase: true))") }
        }
        return mismatches
    }

    @Test func digitsPreTokenizerNumericScalars() throws {
        let fixture = try PreTokenizerFixtures.load("regex-unicode-classes.json", as: ClassFixture.self)
        let mismatches = Self.mismatches(fixture.digits_numeric, Digits.isNumeric)
        #expect(mismatches.isEmpty, "\(mismatches.count) scalars differ: \(mismatches.prefix(20))")
    }

    @Test func everyScalarMatchesTheClassesAsTokenizersDoes() throws {
        let fixture = try PreTokenizerFixtures.load("regex-unicode-classes.json", as: ClassFixture.self)
        #expect(fixture.classes.count >= 40)
        for (pattern, ranges) in fixture.classes.sorted(by: { $0.key < $1.key }) {
            guard case .scalarSet(let set) = try RegexParser.parse(pattern) else {
                Issue.record("\(pattern) is not a single class")
                continue
            }
            // A lone property is tested through RegexUnicodeData directly: the same answer, and fast in debug builds.
            var property: UnicodeProperty?
            if set.items.count == 1, case .property(let single, false) = set.items[0], !set.negated { property = single }
            let mismatches = Self.mismatches(ranges) { scalar in
                property.map { RegexUnicodeData.has($0, scalar.value) } ?? set.contains(scalar)
            }
            #expect(mismatches.isEmpty, "\(pattern): \(mismatches.count) scalars differ: \(mismatches.prefix(20))")
        }
    }

    @Test func wordInsideAClassLeavesOutTheLatin1Extras() throws {
        let bare = try TokenizerRegex(#"\w"#), inClass = try TokenizerRegex(#"[\w]"#)
        #expect(bare.matches(in: ["²"]) == [0..<1])
        #expect(inClass.matches(in: ["²"]).isEmpty)
        #expect(bare.matches(in: ["\u{200D}"]).isEmpty, "Join_Control is not a word character for Oniguruma")
    }
}
