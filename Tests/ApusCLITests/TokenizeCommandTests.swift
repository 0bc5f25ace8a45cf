import Foundation
import Testing

/// Runs `apus tokenize` and `apus detokenize` on the XLM-R-style SentencePiece fixture
/// (scripts/make_sentencepiece_tokenizer_fixtures.py); expected values from Python `tokenizers`.
@Suite(.serialized)
struct TokenizeCommandTests {
    typealias CLI = EmbedCommandTests

    static let tokenizerFile = CLI.repositoryRoot.appendingPathComponent("Tests/Fixtures/tokenizers/sentencepiece/xlm-roberta.tokenizer.json")
    static let helloIds = "[0,8,166,10,148,15,19,88,15,18,23,17,118,2]"

    @Test func tokenizeAcceptsAFileOrADirectoryHoldingOnlyTheTokenizer() throws {
        let apus = try CLI.apusBinary()
        let fromFile = try CLI.run(apus, ["tokenize", "--model", Self.tokenizerFile.path, "Hello, world!"])
        #expect(fromFile.status == 0, "\(fromFile.stderr)")
        #expect(fromFile.stdout == "{\"ids\": \(Self.helloIds)}\n")

        let directory = try CLI.temporaryDirectory()
        try FileManager.default.copyItem(at: Self.tokenizerFile, to: directory.appendingPathComponent("tokenizer.json"))
        let fromDirectory = try CLI.run(apus, ["tokenize", "--model", directory.path, "--tokens", "--offsets", "Hello, world!"])
        #expect(fromDirectory.status == 0, "\(fromDirectory.stderr)")
        #expect(fromDirectory.stdout == "{\"ids\": \(Self.helloIds), "
            + "\"tokens\": [\"<s>\",\"▁\",\"H\",\"e\",\"ll\",\"o\",\",\",\"▁w\",\"o\",\"r\",\"l\",\"d\",\"!\",\"</s>\"], "
            + "\"offsets\": [[0,0],[0,1],[0,1],[1,2],[2,4],[4,5],[5,6],[6,8],[8,9],[9,10],[10,11],[11,12],[12,13],[0,0]]}\n")
    }

    @Test func tokenizeAPair() throws {
        let apus = try CLI.apusBinary()
        let pair = try CLI.run(apus, ["tokenize", "--model", Self.tokenizerFile.path, "--pair", "Ça va?", "Hello, world!"])
        #expect(pair.status == 0, "\(pair.stderr)")
        #expect(pair.stdout == "{\"ids\": [0,8,166,10,148,15,19,88,15,18,23,17,118,2,2,8,3,13,8,62,13,56,2], "
            + "\"type_ids\": [\(Array(repeating: "0", count: 23).joined(separator: ","))]}\n")
    }

    @Test func detokenizeArgumentsAndJSONLines() throws {
        let apus = try CLI.apusBinary()
        let pairIds = "[0,8,166,10,148,15,19,88,15,18,23,17,118,2,2,8,3,13,8,62,13,56,2]"
        let skipped = try CLI.run(apus, ["detokenize", "--model", Self.tokenizerFile.path, pairIds])
        #expect(skipped.status == 0, "\(skipped.stderr)")
        #expect(skipped.stdout == "{\"text\": \"Hello, world! <unk>a va?\"}\n")
        let kept = try CLI.run(apus, ["detokenize", "--model", Self.tokenizerFile.path, "--keep-special-tokens"],
                               stdin: "{\"ids\": \(pairIds)}\n{\"ids\": []}\n")
        #expect(kept.status == 0, "\(kept.stderr)")
        #expect(kept.stdout == "{\"text\": \"<s> Hello, world!</s></s> <unk>a va?</s>\"}\n{\"text\": \"\"}\n")
        let bad = try CLI.run(apus, ["detokenize", "--model", Self.tokenizerFile.path, "[1, x]"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("'x' is not a token id"))
        let missing = try CLI.run(apus, ["tokenize", "--model", "/nonexistent/tokenizer.json", "hi"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("/nonexistent/tokenizer.json"))
    }
}
