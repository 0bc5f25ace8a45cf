import Testing
@testable import ApusTokenizers

/// The decoders of byte-level and SentencePiece-style BPE files, and the small ones they chain with.
@Suite struct BPEFamilyDecodersTests {
    @Test func byteLevelReadsTheAlphabetBackAsUTF8() {
        let decoder = ByteLevelDecoder()
        #expect(decoder.decode(["Hello", "Ġworld", "Ċ"]) == "Hello world\n")
        #expect(decoder.decode(["æĿ", "±"]) == "東", "a scalar's bytes may span tokens")
        #expect(Array(decoder.decode(["æĿ"]).unicodeScalars) == ["\u{FFFD}"], "an incomplete sequence becomes U+FFFD")
        #expect(decoder.decode(["東京", "Ġa"]) == "東京 a", "a token outside the alphabet keeps its own bytes")
    }

    @Test func byteFallbackJoinsByteRuns() {
        let decoder = ByteFallbackDecoder()
        #expect(decoder.decodeChain(["<0xE6>", "<0x9D>", "<0xB1>", "x"]) == ["東", "x"])
        #expect(decoder.decodeChain(["<0xE6>", "x", "<0x41>"]) == ["\u{FFFD}", "x", "A"])
        #expect(decoder.decodeChain(["<0xE6>", "<0x9D>"]) == ["\u{FFFD}", "\u{FFFD}"], "one U+FFFD per byte of an invalid run")
        #expect(decoder.decodeChain(["<0x4>", "<0xZZ>", "<0x+A>"]) == ["<0x4>", "<0xZZ>", "\n"], "Rust's from_str_radix takes a sign")
    }

    @Test func stripRemovesAtMostTheCountsGiven() {
        let decoder = StripDecoder(content: " ", start: 1, stop: 2)
        #expect(decoder.decodeChain(["  a  ", " b", "c   ", "   "]) == [" a", "b", "c ", ""])
    }

    @Test func replaceFuseAndTheLlamaChain() {
        let llama = DecoderSequence(decoders: [ReplaceDecoder(pattern: "▁", content: " "), ByteFallbackDecoder(), FuseDecoder(),
                                               StripDecoder(content: " ", start: 1, stop: 0)])
        #expect(llama.decode(["▁Hello", "▁w", "or", "ld", "<0xE6>", "<0x9D>", "<0xB1>", "▁▁x"]) == "Hello world東  x")
        #expect(FuseDecoder().decodeChain(["a", "b"]) == ["ab"])
    }

    @Test func bpeDecoderTurnsTheSuffixIntoSpaces() {
        #expect(BPEDecoder().decode(["hel", "lo</w>", "world</w>"]) == "hello world")
        #expect(BPEDecoder().decode([]) == "")
    }

    @Test func ctcCollapsesRepeatsAndDropsPadding() {
        let decoder = CTCDecoder()
        #expect(decoder.decode(["<pad>", "h", "h", "e", "<pad>", "l", "l", "<pad>", "l", "o", "|", "w", "|", "|", "."]) == "hello w .")
        #expect(CTCDecoder(cleanup: false).decodeChain(["a", "|", "a"]) == ["a", "|", "a"])
    }
}

extension BPEFamilyDecodersTests {
    @Test func replaceTakesRegexPatterns() throws {
        let json = #"{"type": "Replace", "pattern": {"Regex": "\\s+"}, "content": "_"}"#
        let value = try Array(json.utf8).withUnsafeBufferPointer { try JSONValue.parse($0) }
        let decoder = try ReplaceDecoder(json: JSONObject(value, path: "decoder", file: "t"))
        #expect(decoder.decodeChain(["a  b", " c\t"]) == ["a_b", "_c_"])
    }
}
