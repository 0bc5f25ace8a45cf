import Foundation
import Testing

/// Runs `apus bench generate` on the tiny chat model (scripts/make_tiny_generation_fixtures.py): the report's shape
/// and the bytes a decoding step reads, counted by hand from the fixture's config.json.
@Suite(.serialized)
struct BenchGenerateCommandTests {
    typealias CLI = EmbedCommandTests

    static let fixture = CLI.repositoryRoot.appendingPathComponent("Tests/Fixtures/tiny-generation").path

    struct Report: Decodable {
        struct Result: Decodable {
            let threads: Int
            let promptSeconds, decodeSeconds: [Double]
            let decodeTokensPerSecond: Double
            let machineGbPerSecond: Double?
        }
        let promptTokens, newTokens: Int
        let weightBytesPerStep, bytesPerStep: Double
        let kvCacheBytes: Int
        let promptIds, greedyIds: [Int]
        let results: [Result]
    }

    static func report(_ precision: String) throws -> Report {
        let result = try CLI.run(try CLI.apusBinary(), [
            "bench", "generate", "--model", fixture, "--precision", precision, "--prompt-tokens", "8", "--new-tokens", "4",
            "--threads", "1,2", "--repeats", "2", "--no-bandwidth-probe", "--json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Report.self, from: Data(result.stdout.utf8))
    }

    /// Hidden 32, 2 layers, 4 heads and 2 key-value heads of 8, intermediate 64, vocabulary 400, tied lm_head:
    /// 9216 linear weights per layer and 12800 in lm_head, 160 norm weights and one embedding row of 32 (fp32).
    @Test(arguments: [("fp32", 4), ("bf16", 2)])
    func reportsFixedStepsAndTheBytesAStepReads(precision: String, linearBytes: Int) throws {
        let report = try Self.report(precision)
        let weights = Double((2 * 9216 + 12800) * linearBytes + (160 + 32) * 4)
        #expect(report.weightBytesPerStep == weights)
        // Keys and values: 2 layers × 2 heads × 8 × 2 × 4 bytes per position, at 8 + (4 + 1) / 2 positions on average.
        #expect(report.bytesPerStep == weights + 256 * 10.5)
        #expect(report.promptTokens == 8 && report.promptIds.count == 8 && report.newTokens == 4)
        #expect(report.greedyIds.count == 5, "the prefill's token and exactly 4 steps, EOS or not")
        #expect(report.greedyIds.allSatisfy { (0..<400).contains($0) })
        #expect(report.kvCacheBytes > 0)
        #expect(report.results.map(\.threads) == [1, 2])
        for result in report.results {
            #expect(result.promptSeconds.count == 2 && result.decodeSeconds.count == 2)
            #expect(result.decodeTokensPerSecond > 0)
            #expect(result.machineGbPerSecond == nil, "--no-bandwidth-probe")
        }
    }
}
