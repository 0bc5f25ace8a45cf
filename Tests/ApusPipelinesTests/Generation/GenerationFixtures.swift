import Foundation
import ApusTensor
@testable import ApusPipelines

/// The fixtures of scripts/make_generation_fixtures.py.
enum GenerationFixtures {
    static let directory = TestResources.repositoryRoot.appendingPathComponent("Tests/Fixtures/generation")

    /// One processor (or processor-list) case of cases.json.
    struct Case: Decodable {
        let row: Int
        let history: [Int]
        let processor: String?
        let arguments: Arguments?
        let pipeline: Pipeline?
        let processors: [String]?
        let greedy: Int?

        struct Arguments: Decodable {
            let penalty: Double?
            let temperature: Double?
            let topK: Int?
            let topP: Double?
            let minP: Double?
            let minTokensToKeep: Int?

            enum CodingKeys: String, CodingKey {
                case penalty, temperature, topK = "top_k", topP = "top_p", minP = "min_p", minTokensToKeep = "min_tokens_to_keep"
            }
        }

        /// generate() keyword arguments, decoded as a generation config.
        struct Pipeline: Decodable {
            let config: GenerationConfig
            init(from decoder: any Decoder) throws { config = try GenerationConfig(from: decoder) }
        }
    }

    /// Input rows `[rows][vocabulary]`, expected outputs `[cases][vocabulary]` and the cases.
    static func load() throws -> (inputs: [[Float]], outputs: [[Float]], cases: [Case]) {
        let inputs = try NpyFile.read(contentsOf: directory.appendingPathComponent("logits.npy"))
        let outputs = try NpyFile.read(contentsOf: directory.appendingPathComponent("processed.npy"))
        let cases = try JSONDecoder().decode([Case].self, from: Data(contentsOf: directory.appendingPathComponent("cases.json")))
        func rows(_ array: (shape: [Int], values: [Float])) -> [[Float]] {
            let width = array.shape[1]
            return (0..<array.shape[0]).map { Array(array.values[($0 * width)..<(($0 + 1) * width)]) }
        }
        return (rows(inputs), rows(outputs), cases)
    }
}

extension Tolerance {
    /// Max |Δ| relative to max(1, |expected|) of a processed logit against transformers (exp and sums are
    /// computed in a different order than PyTorch's vectorised kernels; removed tokens must match exactly).
    static let processedLogit: Float = 1e-6
}

/// Whether `actual` matches `expected`: the same removed (-inf) entries and finite values within tolerance.
func logitsMatch(_ actual: [Float], _ expected: [Float]) -> (matches: Bool, detail: String) {
    guard actual.count == expected.count else { return (false, "length \(actual.count) vs \(expected.count)") }
    for index in actual.indices {
        let (a, e) = (actual[index], expected[index])
        if e == -.infinity || a == -.infinity {
            if a != e { return (false, "token \(index): \(a) vs \(e)") }
        } else if abs(a - e) > Tolerance.processedLogit * max(1, abs(e)) {
            return (false, "token \(index): \(a) vs \(e)")
        }
    }
    return (true, "")
}

/// `logitsMatch`, except that removed tokens may differ among equal logits: top-p sorts with torch.sort, which is
/// not stable on CPU, so which of several tied tokens at the cut falls out depends on PyTorch's sort internals.
/// The same number of tokens must be removed, and every disagreement must be a token whose logit equals that of
/// a token removed on the other side.
func logitsMatchUpToTies(_ actual: [Float], _ expected: [Float], original: [Float]) -> (matches: Bool, detail: String) {
    let removedHere = Set(actual.indices.filter { actual[$0] == -.infinity })
    let removedThere = Set(expected.indices.filter { expected[$0] == -.infinity })
    guard removedHere.count == removedThere.count else {
        return (false, "\(removedHere.count) tokens removed, transformers removed \(removedThere.count)")
    }
    let disputed = removedHere.symmetricDifference(removedThere)
    let tiedValues = Set(disputed.map { original[$0] })
    guard tiedValues.count <= 1 else { return (false, "removed sets differ beyond one tie: \(disputed.sorted())") }
    var aligned = actual
    for index in disputed { aligned[index] = expected[index] }
    return logitsMatch(aligned, expected)
}
