import Foundation
import Testing

/// Runs `apus fill-mask` and `apus rerank` on the tiny fixtures (scripts/make_tiny_mlm_fixtures.py) like a user would.
@Suite(.serialized)
struct FillMaskCommandTests {
    typealias CLI = EmbedCommandTests

    static func fixture(_ name: String) -> String {
        CLI.repositoryRoot.appendingPathComponent("Tests/Fixtures/\(name)").path
    }

    struct Prediction: Decodable, Equatable {
        let score: Float
        let token: Int
        let tokenString: String
        let sequence: String
        enum CodingKeys: String, CodingKey { case score, token, tokenString = "token_str", sequence }
    }

    struct MaskReference: Decodable {
        struct Case: Decodable {
            let text: String
            let fillMask: [[Prediction]]
            let fillMaskTargets: [[Prediction]]
            enum CodingKeys: String, CodingKey { case text, fillMask = "fill_mask", fillMaskTargets = "fill_mask_targets" }
        }
        let targets: [String]
        let cases: [Case]
    }

    struct FillMaskLine: Decodable {
        let index: Int
        let masks: [[Prediction]]
    }

    @Test func fillMaskWritesThePipelinePredictionsInInputOrder() throws {
        let apus = try CLI.apusBinary()
        let reference = try JSONDecoder().decode(MaskReference.self, from: Data(contentsOf: URL(
            fileURLWithPath: Self.fixture("tiny-bert-mlm") + "/reference.json")))
        let result = try CLI.run(apus, ["fill-mask", "--model", Self.fixture("tiny-bert-mlm"), "--batch-size", "2"]
                                 + reference.cases.map(\.text))
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try result.stdout.split(separator: "\n").map { try JSONDecoder().decode(FillMaskLine.self, from: Data($0.utf8)) }
        #expect(lines.map(\.index) == Array(reference.cases.indices))
        for (line, item) in zip(lines, reference.cases) {
            #expect(line.masks.map { $0.map(\.token) } == item.fillMask.map { $0.map(\.token) }, "\(item.text)")
            #expect(line.masks.map { $0.map(\.tokenString) } == item.fillMask.map { $0.map(\.tokenString) }, "\(item.text)")
            #expect(line.masks.map { $0.map(\.sequence) } == item.fillMask.map { $0.map(\.sequence) }, "\(item.text)")
            for (got, expected) in zip(line.masks.joined(), item.fillMask.joined()) {
                #expect(abs(got.score - expected.score) <= 1e-5, "\(item.text)")
            }
        }

        // From a JSONL file into an --output file, two candidates per mask.
        let directory = try CLI.temporaryDirectory()
        let input = directory.appendingPathComponent("texts.jsonl"), output = directory.appendingPathComponent("out.jsonl")
        try Data(reference.cases.map { "{\"text\": \(Self.quoted($0.text))}\n" }.joined().utf8).write(to: input)
        let toFile = try CLI.run(apus, ["fill-mask", "--model", Self.fixture("tiny-bert-mlm"), "--input", input.path,
                                        "--top-k", "2", "--output", output.path])
        #expect(toFile.status == 0, "\(toFile.stderr)")
        let fromFile = try String(contentsOf: output, encoding: .utf8).split(separator: "\n")
            .map { try JSONDecoder().decode(FillMaskLine.self, from: Data($0.utf8)) }
        #expect(fromFile.map { $0.masks.map { $0.map(\.token) } } == lines.map { $0.masks.map { Array($0.prefix(2).map(\.token)) } })
    }

    @Test func targetsRestrictTheCandidates() throws {
        let apus = try CLI.apusBinary()
        let reference = try JSONDecoder().decode(MaskReference.self, from: Data(contentsOf: URL(
            fileURLWithPath: Self.fixture("tiny-bert-mlm") + "/reference.json")))
        let result = try CLI.run(apus, ["fill-mask", "--model", Self.fixture("tiny-bert-mlm"), "--top-k", "3", "--targets"]
                                 + reference.targets + ["--"] + reference.cases.map(\.text))
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try result.stdout.split(separator: "\n").map { try JSONDecoder().decode(FillMaskLine.self, from: Data($0.utf8)) }
        #expect(lines.count == reference.cases.count)
        for (line, item) in zip(lines, reference.cases) {
            #expect(line.masks.map { $0.map(\.token) } == item.fillMaskTargets.map { $0.map(\.token) }, "\(item.text)")
        }
    }

    @Test func fillMaskErrorsAreMessages() throws {
        let apus = try CLI.apusBinary()
        let noMask = try CLI.run(apus, ["fill-mask", "--model", Self.fixture("tiny-bert-mlm"), "the cat sits"])
        #expect(noMask.status != 0 && noMask.stderr.contains("[MASK]"), "\(noMask.stderr)")
        let classifier = try CLI.run(apus, ["fill-mask", "--model", Self.fixture("tiny-bert-seqcls-single"), "a [MASK]"])
        #expect(classifier.status != 0 && classifier.stderr.contains("BertForMaskedLM"), "\(classifier.stderr)")
        let badTopK = try CLI.run(apus, ["fill-mask", "--model", Self.fixture("tiny-bert-mlm"), "--top-k", "0", "[MASK]"])
        #expect(badTopK.status != 0 && badTopK.stderr.contains("--top-k"))
    }

    struct RerankReference: Decodable {
        struct Ranked: Decodable {
            let corpusId: Int
            let score: Float
            enum CodingKeys: String, CodingKey { case corpusId = "corpus_id", score }
        }
        let query: String
        let documents: [String]
        let rank: [Ranked]
    }

    struct RerankLine: Decodable {
        let rank: Int
        let score: Float
        let index: Int
        let text: String
    }

    @Test func rerankSortsDocumentsLikeCrossEncoder() throws {
        let apus = try CLI.apusBinary()
        let reference = try JSONDecoder().decode(RerankReference.self, from: Data(contentsOf: URL(
            fileURLWithPath: Self.fixture("tiny-bert-rerank") + "/reference.json")))
        let directory = try CLI.temporaryDirectory()
        let documents = directory.appendingPathComponent("documents.txt")
        try Data(reference.documents.map { $0 + "\n" }.joined().utf8).write(to: documents)
        let result = try CLI.run(apus, ["rerank", "--model", Self.fixture("tiny-bert-rerank"), reference.query, documents.path])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try result.stdout.split(separator: "\n").map { try JSONDecoder().decode(RerankLine.self, from: Data($0.utf8)) }
        #expect(lines.map(\.rank) == Array(1...reference.documents.count))
        #expect(lines.map(\.index) == reference.rank.map(\.corpusId))
        #expect(lines.map(\.text) == reference.rank.map { reference.documents[$0.corpusId] })
        for (line, expected) in zip(lines, reference.rank) { #expect(abs(line.score - expected.score) <= 1e-5) }

        let top = try CLI.run(apus, ["rerank", "--model", Self.fixture("tiny-bert-rerank"), "--top-k", "2", reference.query,
                                     "--input", documents.path])
        #expect(top.status == 0, "\(top.stderr)")
        #expect(top.stdout.split(separator: "\n").count == 2)
        let fromStdin = try CLI.run(apus, ["rerank", "--model", Self.fixture("tiny-bert-rerank"), reference.query],
                                    stdin: reference.documents.joined(separator: "\n") + "\n")
        #expect(fromStdin.stdout == result.stdout)

        let both = try CLI.run(apus, ["rerank", "--model", Self.fixture("tiny-bert-rerank"), "q", documents.path, "--input", documents.path])
        #expect(both.status != 0 && both.stderr.contains("--input"))
        let threeLabels = try CLI.run(apus, ["rerank", "--model", Self.fixture("tiny-bert-seqcls-single"), "q", documents.path])
        #expect(threeLabels.status != 0 && threeLabels.stderr.contains("3 labels"), "\(threeLabels.stderr)")
    }

    static func quoted(_ text: String) -> String {
        String(decoding: (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8), as: UTF8.self)
    }
}
