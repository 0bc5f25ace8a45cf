import Testing
@testable import ApusTokenizers

/// Metaspace: spaces become ▁, the prepend schemes, splitting with runs of ▁ merged into the next word.
@Suite struct MetaspaceTests {
    static func words(_ text: String, _ metaspace: Metaspace, shift: Int = 0) -> [(String, Range<Int>)] {
        var normalized = NormalizedText(text)
        if shift > 0 { normalized = NormalizedText(String(repeating: "x", count: shift) + text).slice(shift..<(shift + normalized.count)) }
        return metaspace.split(normalized).map { ($0.string, $0.originalRange(of: 0..<$0.count)) }
    }

    @Test func alwaysPrependsAndSplitsBeforeRunsOfReplacement() {
        let words = Self.words("Hey  friend", Metaspace())
        #expect(words.map(\.0) == ["▁Hey", "▁▁friend"])
        #expect(words.map(\.1) == [0..<3, 3..<11])
    }

    @Test func prependSchemes() {
        #expect(Self.words("a b", Metaspace(prependScheme: .never)).map(\.0) == ["a", "▁b"])
        #expect(Self.words("a b", Metaspace(prependScheme: .first)).map(\.0) == ["▁a", "▁b"])
        // A piece that does not start the input (after an added token, say) gets nothing under "first".
        #expect(Self.words("a b", Metaspace(prependScheme: .first), shift: 3).map(\.0) == ["a", "▁b"])
        #expect(Self.words("a b", Metaspace(prependScheme: .always), shift: 3).map(\.0) == ["▁a", "▁b"])
        // Text already starting with the replacement gets no second one.
        #expect(Self.words(" a", Metaspace()).map(\.0) == ["▁a"])
    }

    @Test func withoutSplitTheTextStaysWhole() {
        #expect(Self.words("a b  c", Metaspace(split: false)).map(\.0) == ["▁a▁b▁▁c"])
        #expect(Self.words("", Metaspace(split: false)).isEmpty)
    }

    @Test func legacyAndInvalidFields() throws {
        func metaspace(_ fields: String) throws -> Metaspace {
            let json = try Array("{\"type\": \"Metaspace\", \(fields)}".utf8).withUnsafeBufferPointer { try JSONValue.parse($0) }
            return try Metaspace(json: JSONObject(json, path: "pre_tokenizer", file: "t.json"))
        }
        #expect(try metaspace(#""replacement": "▁", "add_prefix_space": false, "prepend_scheme": "never""#).prependScheme == .never)
        #expect(try metaspace(#""replacement": "▁""#).prependScheme == .always)
        #expect(try metaspace(#""replacement": "▁""#).split)
        #expect(throws: TokenizerError.self) { try metaspace(#""replacement": "▁", "add_prefix_space": false"#) }
        #expect(throws: TokenizerError.self) { try metaspace(#""replacement": "▁▁""#) }
        #expect(throws: TokenizerError.self) { try metaspace(#""replacement": "▁", "prepend_scheme": "sometimes""#) }
    }
}
