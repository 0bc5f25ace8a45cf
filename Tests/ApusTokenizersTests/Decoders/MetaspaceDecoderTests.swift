import Testing
@testable import ApusTokenizers

/// The Metaspace decoder: ▁ → space, dropped in the first token unless the prepend scheme is "never".
@Suite struct MetaspaceDecoderTests {
    static func decoder(_ scheme: String) throws -> MetaspaceDecoder {
        let json = try Array("{\"type\": \"Metaspace\", \"replacement\": \"▁\", \"prepend_scheme\": \"\(scheme)\"}".utf8).withUnsafeBufferPointer { try JSONValue.parse($0) }
        return try MetaspaceDecoder(json: JSONObject(json, path: "decoder", file: "t.json"))
    }

    @Test func replacementsBecomeSpaces() throws {
        #expect(try Self.decoder("always").decode(["▁Hello", "▁wor", "ld", "▁▁!"]) == "Hello world  !")
        #expect(try Self.decoder("first").decode(["▁▁a", "▁b"]) == "a b")
        #expect(try Self.decoder("never").decode(["▁a", "▁b"]) == " a b")
    }

    @Test func tokenizerDecodeSkipsSpecialTokens() throws {
        let tokenizer = try TinyUnigram.make()
        let ids = tokenizer.encode("ab abc").ids
        #expect(tokenizer.decode(ids) == "ab abc")
        #expect(tokenizer.decode(ids, skipSpecialTokens: false) == "<s> ab abc</s>")
    }
}
