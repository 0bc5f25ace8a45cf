import ApusModels
import Foundation
import Testing
@testable import ApusPipelines

/// The tokenizer.json rebuilt from GGUF metadata against the one transformers writes for the same file, compared
/// as JSON: the tiny Llama of Tests/Fixtures/gguf in full, and the real SmolLM2 file through a summary (vocabulary
/// and merges by count and FNV-1a hash, everything else verbatim; scripts/make_smollm2_fixtures.py).
///
/// One deliberate difference: for llama.cpp's `smollm` pre-tokenizer Apus writes the Hub tokenizer's
/// `Sequence[Digits(individual_digits), ByteLevel]` where transformers falls back to `ByteLevel` alone.
/// Token-level checks run once ApusTokenizers reads BPE (the tokenizer helpers' work).
struct GGUFTokenizerTests {
    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let smolLM2 = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(".cache/models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")

    static var digitsThenByteLevel: [String: Any] { ["type": "Sequence", "pretokenizers": [
        ["type": "Digits", "individual_digits": true],
        ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true],
    ]] }

    /// A JSON value as comparable text (booleans and numbers by value: Foundation on Linux may return either as NSNumber).
    static func normalized(_ value: Any) -> String {
        switch value {
        case let flag as Bool where !(value is Int && !(value is Bool)): return flag ? "1" : "0"
        case let number as NSNumber: return String(number.doubleValue)
        case let text as String: return "\"" + text + "\""
        case let array as [Any]: return "[" + array.map(normalized).joined(separator: ",") + "]"
        case let object as [String: Any]: return "{" + object.keys.sorted().map { $0 + ":" + normalized(object[$0] ?? NSNull()) }.joined(separator: ",") + "}"
        default: return "null"
        }
    }

    static func object(_ data: Data) throws -> [String: Any] { try #require(JSONSerialization.jsonObject(with: data) as? [String: Any]) }

    /// FNV-1a 64 over the UTF-8 of `lines`, as scripts/make_smollm2_fixtures.py computes it.
    static func fnv1a64(_ lines: [String]) -> String {
        var value: UInt64 = 0xCBF2_9CE4_8422_2325
        for line in lines {
            for byte in line.utf8 {
                value ^= UInt64(byte)
                value = value &* 0x0000_0100_0000_01B3
            }
        }
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    @Test func tinyLlamaMatchesTransformers() throws {
        let directory = Self.fixtures.appendingPathComponent("gguf")
        let gguf = try GGUFTokenizer(file: GGUFFile(url: directory.appendingPathComponent("tiny-llama.gguf")))
        var ours = try Self.object(gguf.json)
        let theirs = try Self.object(Data(contentsOf: directory.appendingPathComponent("tiny-llama-expected/tokenizer.json")))
        #expect(Self.normalized(ours["pre_tokenizer"] ?? NSNull()) == Self.normalized(Self.digitsThenByteLevel))
        ours["pre_tokenizer"] = theirs["pre_tokenizer"]
        #expect(Set(ours.keys) == Set(theirs.keys))
        for key in theirs.keys {
            #expect(Self.normalized(ours[key] ?? NSNull()) == Self.normalized(theirs[key] ?? NSNull()), "\(key)")
        }
        #expect(gguf.bosTokenID == 1 && gguf.eosTokenID == 2 && gguf.paddingTokenID == 2 && gguf.unknownTokenID == 0)
        #expect(!gguf.addsBOS && !gguf.addsEOS)
        #expect(gguf.chatTemplate?.hasPrefix("{% for m in messages %}") == true)
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: smolLM2.path), "SmolLM2 GGUF absent: run scripts/fetch-smollm2.sh"))
    func smolLM2MatchesTransformers() throws {
        let gguf = try GGUFTokenizer(file: GGUFFile(url: Self.smolLM2))
        var ours = try Self.object(gguf.json)
        let theirs = try Self.object(Data(contentsOf: Self.fixtures.appendingPathComponent("gguf-smollm2/tokenizer.json.summary.json")))
        #expect(Self.normalized(ours["pre_tokenizer"] ?? NSNull()) == Self.normalized(Self.digitsThenByteLevel))
        ours["pre_tokenizer"] = theirs["pre_tokenizer"]

        var model = try #require(ours["model"] as? [String: Any])
        let vocabulary = try #require(model.removeValue(forKey: "vocab") as? [String: Int])
        let merges = try #require(model.removeValue(forKey: "merges") as? [[String]])
        model["vocab_count"] = vocabulary.count
        model["vocab_fnv1a64"] = Self.fnv1a64(vocabulary.sorted { $0.value < $1.value }.map { "\($0.key)\t\($0.value)\n" })
        model["merges_count"] = merges.count
        model["merges_fnv1a64"] = Self.fnv1a64(merges.map { $0.joined(separator: " ") + "\n" })
        ours["model"] = model

        #expect(Set(ours.keys) == Set(theirs.keys))
        for key in theirs.keys {
            #expect(Self.normalized(ours[key] ?? NSNull()) == Self.normalized(theirs[key] ?? NSNull()), "\(key)")
        }
        #expect(gguf.bosTokenID == 1 && gguf.eosTokenID == 2 && !gguf.addsBOS)
        #expect(gguf.chatTemplate?.contains("<|im_start|>") == true)
    }

    @Test func sentencePieceMatchesTransformers() throws {
        let directory = Self.fixtures.appendingPathComponent("gguf")
        let gguf = try GGUFTokenizer(file: GGUFFile(url: directory.appendingPathComponent("tiny-sentencepiece.gguf")))
        let ours = try Self.object(gguf.json)
        let theirs = try Self.object(Data(contentsOf: directory.appendingPathComponent("tiny-sentencepiece-expected/tokenizer.json")))
        #expect(Set(ours.keys) == Set(theirs.keys))
        for key in theirs.keys {
            #expect(Self.normalized(ours[key] ?? NSNull()) == Self.normalized(theirs[key] ?? NSNull()), "\(key)")
        }
        #expect(gguf.addsBOS && gguf.addsEOS)
    }

    @Test func generatedMergesFollowScoresThenLengths() {
        // "ab" (score -1), "bc" (-1.5), "abc" (-2): best score first; among equal scores the longer left piece first.
        let tokens = ["a", "b", "c", "ab", "bc", "abc"]
        let ids = Dictionary(uniqueKeysWithValues: tokens.enumerated().map { (GGUFTokenizer.TokenKey($1), $0) })
        let merges = GGUFTokenizer.generatedMerges(tokens: tokens, scores: [0, 0, 0, -1, -1.5, -2], ids: ids)
        #expect(merges.map { "\($0.0) \($0.1)" } == ["a b", "b c", "ab c", "a bc"])
    }

    @Test func phi3SentencePieceIsNotConvertedYet() throws {
        // A GGUF v3 with no tensors and two string keys.
        func le<Value: FixedWidthInteger>(_ value: Value) -> [UInt8] { withUnsafeBytes(of: value.littleEndian, Array.init) }
        func string(_ text: String) -> [UInt8] { le(UInt64(text.utf8.count)) + Array(text.utf8) }
        var bytes = Array("GGUF".utf8) + le(UInt32(3)) + le(UInt64(0)) + le(UInt64(2))
        bytes += string("general.architecture") + le(UInt32(8)) + string("phi3")
        bytes += string("tokenizer.ggml.model") + le(UInt32(8)) + string("llama")
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("apus-gguf-\(UUID().uuidString).gguf")
        try Data(bytes).write(to: scratch)
        defer { try? FileManager.default.removeItem(at: scratch) }
        #expect(throws: GGUFError.self) { _ = try GGUFTokenizer(file: GGUFFile(url: scratch)) }
    }

    /// Any local GGUF's tokenizer against the tokenizer.json of its transformers conversion (neither committed; Gemma's
    /// licence forbids it): set `APUS_GGUF_REFERENCE_FILE` and `APUS_GGUF_REFERENCE_DIRECTORY` (see LocalGGUFReferenceTests).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["APUS_GGUF_REFERENCE_DIRECTORY"] != nil, "set APUS_GGUF_REFERENCE_FILE and APUS_GGUF_REFERENCE_DIRECTORY"))
    func localFileMatchesItsConversion() throws {
        let environment = ProcessInfo.processInfo.environment
        let file = try GGUFFile(url: URL(fileURLWithPath: try #require(environment["APUS_GGUF_REFERENCE_FILE"])))
        let directory = URL(fileURLWithPath: try #require(environment["APUS_GGUF_REFERENCE_DIRECTORY"]))
        var ours = try Self.object(GGUFTokenizer(file: file).json)
        let theirs = try Self.object(Data(contentsOf: directory.appendingPathComponent("tokenizer.json")))
        if try file.string("tokenizer.ggml.pre") == "smollm" { ours["pre_tokenizer"] = theirs["pre_tokenizer"] } // the known difference
        #expect(Set(ours.keys) == Set(theirs.keys))
        for key in theirs.keys where key != "model" {
            #expect(Self.normalized(ours[key] ?? NSNull()) == Self.normalized(theirs[key] ?? NSNull()), "\(key)")
        }
        var ourModel = try #require(ours["model"] as? [String: Any]), theirModel = try #require(theirs["model"] as? [String: Any])
        let ourMerges = try #require(ourModel.removeValue(forKey: "merges") as? [[String]])
        let theirMerges = try #require(theirModel.removeValue(forKey: "merges") as? [[String]])
        #expect(ourMerges.count == theirMerges.count)
        // By bytes: Swift's String equality would call canonically equivalent tokens equal.
        let ourMergeBytes = ourMerges.map { $0.map { Array($0.utf8) } }, theirMergeBytes = theirMerges.map { $0.map { Array($0.utf8) } }
        #expect(ourMergeBytes == theirMergeBytes)
        let firstDifference = zip(ourMerges, theirMerges).enumerated().first { $0.element.0 != $0.element.1 }
        #expect(firstDifference == nil, "merge \(firstDifference.map { "\($0.offset): \($0.element.0) vs \($0.element.1)" } ?? "")")
        #expect((ourModel["vocab"] as? [String: Int]) == (theirModel["vocab"] as? [String: Int]))
        ourModel["vocab"] = nil
        theirModel["vocab"] = nil
        #expect(Self.normalized(ourModel) == Self.normalized(theirModel))
    }

    @Test func postProcessorAddsBOSAndEOSLikeTransformers() {
        let document = GGUFTokenizer.templateProcessing(bos: ("<s>", 1), eos: ("</s>", 2)).text
        #expect(document == #"{"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}], "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}, {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}, {"SpecialToken": {"id": "</s>", "type_id": 1}}], "special_tokens": {"</s>": {"id": "</s>", "ids": [2], "tokens": ["</s>"]}, "<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}}"#)
    }

    @Test func byteAlphabetIsGPT2s() {
        #expect(GGUFTokenizer.byteCharacters.count == 256 && GGUFTokenizer.byteAlphabet.count == 256)
        #expect(GGUFTokenizer.byteCharacters[32] == "Ġ" && GGUFTokenizer.byteCharacters[10] == "Ċ" && GGUFTokenizer.byteCharacters[65] == "A")
    }
}
