import Foundation
import Testing

/// Runs `apus classify` on the tiny classification fixtures (scripts/make_tiny_head_fixtures.py) like a user would.
@Suite(.serialized)
struct ClassifyCommandTests {
    typealias CLI = EmbedCommandTests

    static func fixture(_ kind: String) -> String {
        CLI.repositoryRoot.appendingPathComponent("Tests/Fixtures/tiny-bert-seqcls-\(kind)").path
    }

    struct Reference: Decodable {
        struct Case: Decodable {
            let text: String
            let pair: String?
            let logits: [Float]
        }
        let labels: [String]
        let cases: [Case]
    }

    static func reference(_ kind: String) throws -> Reference {
        try JSONDecoder().decode(Reference.self, from: Data(contentsOf: URL(fileURLWithPath: fixture(kind) + "/reference.json")))
    }

    struct Line: Decodable, Equatable {
        struct Entry: Decodable, Equatable { let label: String; let score: Float }
        let index: Int
        let labels: [Entry]
        let logits: [Float]?
    }

    static func lines(_ stdout: String) throws -> [Line] {
        try stdout.split(separator: "\n").map { try JSONDecoder().decode(Line.self, from: Data($0.utf8)) }
    }

    /// Softmax in Double, for comparing the printed probabilities with PyTorch's logits.
    static func softmax(_ logits: [Float]) -> [Float] {
        let largest = logits.max() ?? 0
        let exponentials = logits.map { Foundation.exp(Double($0 - largest)) }
        let total = exponentials.reduce(0, +)
        return exponentials.map { Float($0 / total) }
    }

    @Test func jsonLinesInInputOrderWithScoresFromPyTorchLogits() throws {
        let apus = try CLI.apusBinary()
        let reference = try Self.reference("single")
        let singles = reference.cases.filter { $0.pair == nil }
        let result = try CLI.run(apus, ["classify", "--model", Self.fixture("single"), "--batch-size", "2", "--logits"] + singles.map(\.text))
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try Self.lines(result.stdout)
        #expect(lines.map(\.index) == Array(singles.indices))
        for (line, item) in zip(lines, singles) {
            let expected = Self.softmax(item.logits)
            #expect(line.labels.count == 3)
            #expect(zip(line.labels, line.labels.dropFirst()).allSatisfy { $0.score >= $1.score }, "\(item.text)")
            for entry in line.labels {
                let id = try #require(reference.labels.firstIndex(of: entry.label))
                #expect(abs(entry.score - expected[id]) <= 1e-4, "\(item.text) \(entry.label)")
            }
            let logits = try #require(line.logits)
            #expect(zip(logits, item.logits).allSatisfy { abs($0 - $1) <= 1e-4 }, "\(item.text)")
        }

        // The same texts from a JSONL file into an --output file, best label only.
        let directory = try CLI.temporaryDirectory()
        let input = directory.appendingPathComponent("texts.jsonl"), output = directory.appendingPathComponent("labels.jsonl")
        try Data(singles.map { "{\"text\": \(Self.quoted($0.text))}\n" }.joined().utf8).write(to: input)
        let toFile = try CLI.run(apus, ["classify", "--model", Self.fixture("single"), "--input", input.path, "--top-k", "1",
                                        "--output", output.path])
        #expect(toFile.status == 0, "\(toFile.stderr)")
        #expect(toFile.stdout.isEmpty)
        let fromFile = try Self.lines(String(contentsOf: output, encoding: .utf8))
        #expect(fromFile.map(\.labels) == lines.map { Array($0.labels.prefix(1)) })
    }

    @Test func pairsFromAFileOrOneForAll() throws {
        let apus = try CLI.apusBinary()
        let reference = try Self.reference("multi")
        let pairs = reference.cases.filter { $0.pair != nil }
        let directory = try CLI.temporaryDirectory()
        let second = directory.appendingPathComponent("second.txt")
        try Data(pairs.compactMap(\.pair).map { $0 + "\n" }.joined().utf8).write(to: second)
        let result = try CLI.run(apus, ["classify", "--model", Self.fixture("multi"), "--pair-input", second.path, "--logits"],
                                 stdin: pairs.map(\.text).joined(separator: "\n") + "\n")
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try Self.lines(result.stdout)
        #expect(lines.count == pairs.count)
        for (line, item) in zip(lines, pairs) {
            let logits = try #require(line.logits)
            #expect(zip(logits, item.logits).allSatisfy { abs($0 - $1) <= 1e-4 }, "\(item.text) | \(item.pair ?? "")")
            // Multi-label: independent sigmoids.
            for entry in line.labels {
                let id = try #require(reference.labels.firstIndex(of: entry.label))
                #expect(abs(entry.score - Float(1 / (1 + Foundation.exp(-Double(item.logits[id]))))) <= 1e-4)
            }
        }

        let first = try #require(pairs.first)
        let shared = try CLI.run(apus, ["classify", "--model", Self.fixture("multi"), "--pair", first.pair ?? "", "--logits", first.text])
        #expect(shared.status == 0, "\(shared.stderr)")
        #expect(try Self.lines(shared.stdout).first?.logits == lines.first?.logits)
    }

    @Test func jsonLinesMayCarryTextPairs() throws {
        let apus = try CLI.apusBinary()
        // Every case of the fixture, singles and pairs mixed, as transformers' {"text", "text_pair"} inputs.
        let reference = try Self.reference("multi")
        let directory = try CLI.temporaryDirectory()
        let input = directory.appendingPathComponent("mixed.jsonl")
        let lines = reference.cases.map { item in
            "{\"text\": \(Self.quoted(item.text))" + (item.pair.map { ", \"text_pair\": \(Self.quoted($0))" } ?? "") + "}\n"
        }
        try Data(lines.joined().utf8).write(to: input)
        let result = try CLI.run(apus, ["classify", "--model", Self.fixture("multi"), "--input", input.path, "--logits"])
        #expect(result.status == 0, "\(result.stderr)")
        let output = try Self.lines(result.stdout)
        #expect(output.count == reference.cases.count)
        #expect(reference.cases.contains { $0.pair == nil } && reference.cases.contains { $0.pair != nil })
        for (line, item) in zip(output, reference.cases) {
            let logits = try #require(line.logits)
            #expect(zip(logits, item.logits).allSatisfy { abs($0 - $1) <= 1e-4 }, "\(item.text) | \(item.pair ?? "")")
        }
        let conflicting = try CLI.run(apus, ["classify", "--model", Self.fixture("multi"), "--input", input.path, "--pair", "x"])
        #expect(conflicting.status != 0)
        #expect(conflicting.stderr.contains("text_pair"), "\(conflicting.stderr)")
    }

    @Test func errorsAreMessagesNotCrashes() throws {
        let apus = try CLI.apusBinary()
        let encoderOnly = CLI.repositoryRoot.appendingPathComponent("Tests/Fixtures/tiny-bert-gelu").path
        let noHead = try CLI.run(apus, ["classify", "--model", encoderOnly, "hi"])
        #expect(noHead.status != 0)
        #expect(noHead.stderr.contains("BertModel") && noHead.stderr.contains("BertForSequenceClassification"), "\(noHead.stderr)")

        let directory = try CLI.temporaryDirectory()
        let second = directory.appendingPathComponent("second.txt")
        try Data("only one\n".utf8).write(to: second)
        let mismatch = try CLI.run(apus, ["classify", "--model", Self.fixture("single"), "--pair-input", second.path, "a", "b"])
        #expect(mismatch.status != 0)
        #expect(mismatch.stderr.contains("1 texts") && mismatch.stderr.contains("2 texts"), "\(mismatch.stderr)")

        let both = try CLI.run(apus, ["classify", "--model", Self.fixture("single"), "--pair", "x", "--pair-input", second.path, "a"])
        #expect(both.status != 0 && both.stderr.contains("--pair-input"))
        let badOutput = try CLI.run(apus, ["classify", "--model", Self.fixture("single"), "--output", "x.npy", "a"])
        #expect(badOutput.status != 0 && badOutput.stderr.contains(".jsonl"))
        let badTopK = try CLI.run(apus, ["classify", "--model", Self.fixture("single"), "--top-k", "0", "a"])
        #expect(badTopK.status != 0 && badTopK.stderr.contains("--top-k"))
        let tooLong = try CLI.run(apus, ["classify", "--model", Self.fixture("single"), "--max-length", "100", "a"])
        #expect(tooLong.status != 0 && tooLong.stderr.contains("max length"), "\(tooLong.stderr)")
    }

    static func quoted(_ text: String) -> String {
        String(decoding: (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8), as: UTF8.self)
    }
}
