import Foundation
import Testing

/// Runs `apus ner` on the tiny token-classification fixture (scripts/make_tiny_ner_fixtures.py) like a user would.
@Suite(.serialized)
struct NerCommandTests {
    typealias CLI = EmbedCommandTests

    static let fixture = CLI.repositoryRoot.appendingPathComponent("Tests/Fixtures/tiny-bert-ner").path

    struct Entity: Decodable, Equatable {
        let entity: String?
        let entityGroup: String?
        let score: Float
        let word: String
        let start: Int
        let end: Int
        let index: Int?
        enum CodingKeys: String, CodingKey { case entity, entityGroup = "entity_group", score, word, start, end, index }
    }

    struct Reference: Decodable {
        struct Case: Decodable {
            let text: String
            let entities: [String: [Entity]]
        }
        let cases: [Case]
    }

    struct Line: Decodable {
        let index: Int
        let entities: [Entity]
    }

    static func reference() throws -> Reference {
        try JSONDecoder().decode(Reference.self, from: Data(contentsOf: URL(fileURLWithPath: fixture + "/reference.json")))
    }

    static func lines(_ stdout: String) throws -> [Line] {
        try stdout.split(separator: "\n").map { try JSONDecoder().decode(Line.self, from: Data($0.utf8)) }
    }

    /// The printed entities equal the pipeline's, scores within 1e-5.
    static func expectSame(_ found: [Entity], _ expected: [Entity], _ context: String) {
        #expect(found.count == expected.count, "\(context)")
        for (entity, pipeline) in zip(found, expected) {
            #expect(entity.entity == pipeline.entity && entity.entityGroup == pipeline.entityGroup, "\(context)")
            #expect(entity.word == pipeline.word && entity.start == pipeline.start && entity.end == pipeline.end, "\(context)")
            #expect(entity.index == pipeline.index, "\(context)")
            #expect(abs(entity.score - pipeline.score) <= 1e-5, "\(context): \(entity.score) vs \(pipeline.score)")
        }
    }

    @Test func jsonLinesInInputOrderForEveryStrategy() throws {
        let apus = try CLI.apusBinary()
        let reference = try Self.reference()
        // Texts without newlines can go on the command line; all of them do here.
        let texts = reference.cases.map(\.text)
        for strategy in ["none", "simple", "first", "average", "max"] {
            let result = try CLI.run(apus, ["ner", "--model", Self.fixture, "--aggregation", strategy, "--batch-size", "3"] + texts)
            #expect(result.status == 0, "\(result.stderr)")
            let lines = try Self.lines(result.stdout)
            #expect(lines.map(\.index) == Array(texts.indices))
            for (line, item) in zip(lines, reference.cases) {
                Self.expectSame(line.entities, item.entities[strategy] ?? [], "\(strategy) \(item.text)")
            }
        }
    }

    @Test func defaultIsSimpleAndFilesWork() throws {
        let apus = try CLI.apusBinary()
        let reference = try Self.reference()
        let directory = try CLI.temporaryDirectory()
        let input = directory.appendingPathComponent("texts.jsonl"), output = directory.appendingPathComponent("entities.jsonl")
        try Data(reference.cases.map { "{\"text\": \(ClassifyCommandTests.quoted($0.text))}\n" }.joined().utf8).write(to: input)
        let result = try CLI.run(apus, ["ner", "--model", Self.fixture, "--input", input.path, "--output", output.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        let lines = try Self.lines(String(contentsOf: output, encoding: .utf8))
        #expect(lines.count == reference.cases.count)
        for (line, item) in zip(lines, reference.cases) {
            Self.expectSame(line.entities, item.entities["simple"] ?? [], "simple \(item.text)")
        }
    }

    @Test func errorsAreMessagesNotCrashes() throws {
        let apus = try CLI.apusBinary()
        let encoderOnly = CLI.repositoryRoot.appendingPathComponent("Tests/Fixtures/tiny-bert-gelu").path
        let noHead = try CLI.run(apus, ["ner", "--model", encoderOnly, "hi"])
        #expect(noHead.status != 0)
        #expect(noHead.stderr.contains("BertModel") && noHead.stderr.contains("BertForTokenClassification"), "\(noHead.stderr)")
        let badStrategy = try CLI.run(apus, ["ner", "--model", Self.fixture, "--aggregation", "longest", "a"])
        #expect(badStrategy.status != 0 && badStrategy.stderr.contains("--aggregation"), "\(badStrategy.stderr)")
        let badOutput = try CLI.run(apus, ["ner", "--model", Self.fixture, "--output", "x.json", "a"])
        #expect(badOutput.status != 0 && badOutput.stderr.contains(".jsonl"))
        let tooLong = try CLI.run(apus, ["ner", "--model", Self.fixture, "--max-length", "100", "a"])
        #expect(tooLong.status != 0 && tooLong.stderr.contains("max length"), "\(tooLong.stderr)")
        let noModel = try CLI.run(apus, ["ner", "--model", "/nonexistent/model", "a"])
        #expect(noModel.status != 0 && noModel.stderr.contains("/nonexistent/model"))
    }

    /// `--stride` reads long texts in overlapping windows: the entities of transformers' `pipeline("ner",
    /// stride=6)` at model_max_length 20 on a byte-level BPE model (scripts/make_family_e2e_fixtures.py).
    @Test func strideWindowsMatchThePipeline() throws {
        struct StrideReference: Decodable {
            struct Case: Decodable {
                let text: String
                let first: [Entity]
            }
            struct Stride: Decodable {
                let max_length: Int
                let stride: Int
                let cases: [Case]
            }
            let stride: Stride
        }
        let apus = try CLI.apusBinary()
        let fixture = CLI.repositoryRoot.appendingPathComponent("Tests/Fixtures/e2e/roberta-tokcls").path
        let reference = try JSONDecoder().decode(StrideReference.self, from: Data(contentsOf: URL(fileURLWithPath: fixture + "/reference.json"))).stride
        let result = try CLI.run(apus, ["ner", "--model", fixture, "--aggregation", "first", "--max-length", "\(reference.max_length)",
                                        "--stride", "\(reference.stride)"] + reference.cases.map(\.text))
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try Self.lines(result.stdout)
        #expect(lines.count == reference.cases.count)
        for (line, item) in zip(lines, reference.cases) {
            Self.expectSame(line.entities, item.first, "stride \(item.text)")
        }
        let refused = try CLI.run(apus, ["ner", "--model", fixture, "--aggregation", "none", "--stride", "4", "a b"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("--stride"))
    }
}
