import Testing
@testable import ApusTokenizers

/// GPT-2's byte alphabet, checked against values byte-level vocabularies are written with.
@Suite struct ByteLevelAlphabetTests {
    @Test func knownBytes() {
        #expect(ByteLevelAlphabet.scalar(for: 0x20) == "Ġ", "space")
        #expect(ByteLevelAlphabet.scalar(for: 0x0A) == "Ċ", "newline")
        #expect(ByteLevelAlphabet.scalar(for: 0x00) == "\u{100}")
        #expect(ByteLevelAlphabet.scalar(for: 0x41) == "A")
        #expect(ByteLevelAlphabet.scalar(for: 0xAD) == "\u{143}", "soft hyphen, the last byte remapped")
        #expect(ByteLevelAlphabet.scalar(for: 0xFF) == "ÿ")
    }

    @Test func roundTripsEveryByte() {
        var seen = Set<UInt32>()
        for byte in 0...255 {
            let scalar = ByteLevelAlphabet.scalar(for: UInt8(byte))
            seen.insert(scalar.value)
            #expect(ByteLevelAlphabet.byte(for: scalar) == UInt8(byte))
        }
        #expect(seen.count == 256)
        #expect(ByteLevelAlphabet.byte(for: " ") == nil)
        #expect(ByteLevelAlphabet.byte(for: "\u{144}") == nil)
        #expect(ByteLevelAlphabet.byte(for: "é") == 0xE9)
    }
}
