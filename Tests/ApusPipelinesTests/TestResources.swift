import Foundation

/// Where the tests find the real model and the committed fixtures.
enum TestResources {
    /// The repository root, found from this file's path.
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Committed PyTorch reference outputs for all-MiniLM-L6-v2.
    static let minilmFixtures = repositoryRoot.appendingPathComponent("Tests/Fixtures/minilm")

    /// The parity texts, one `{"text": ...}` per line.
    static let parityTexts = repositoryRoot.appendingPathComponent("Tests/Fixtures/texts/parity-texts.jsonl")

    struct MissingModel: Error, CustomStringConvertible {
        let path: String
        var description: String {
            "all-MiniLM-L6-v2 not found at \(path): run scripts/fetch-minilm.sh (or set APUS_MINILM_PATH)"
        }
    }

    /// sentence-transformers/all-MiniLM-L6-v2 in Hub layout: `$APUS_MINILM_PATH` or `.cache/models/all-MiniLM-L6-v2`.
    static func minilmDirectory() throws -> URL {
        let path = ProcessInfo.processInfo.environment["APUS_MINILM_PATH"]
            ?? repositoryRoot.appendingPathComponent(".cache/models/all-MiniLM-L6-v2").path
        guard FileManager.default.fileExists(atPath: URL(fileURLWithPath: path).appendingPathComponent("model.safetensors").path) else {
            throw MissingModel(path: path)
        }
        return URL(fileURLWithPath: path)
    }

    /// The parity texts in file order.
    static func loadParityTexts() throws -> [String] {
        let content = try String(contentsOf: parityTexts, encoding: .utf8)
        // JSONDecoder, not JSONSerialization: on Linux the latter drops a string's leading U+FEFF.
        struct Line: Decodable { let text: String }
        return try content.split(separator: "\n").map { try JSONDecoder().decode(Line.self, from: Data($0.utf8)).text }
    }

    /// A JSON fixture file decoded as `Value`.
    static func json<Value: Decodable>(_ type: Value.Type, _ name: String) throws -> Value {
        try JSONDecoder().decode(type, from: Data(contentsOf: minilmFixtures.appendingPathComponent(name)))
    }
}

/// Tolerances of the parity tests, as the issue states them.
enum Tolerance {
    /// Max |Δ| of fp32 last hidden states against PyTorch.
    static let hiddenStateFP32: Float = 1e-4
    /// Max |Δ| per component of a sentence embedding against sentence-transformers.
    static let embeddingComponent: Float = 1e-5
    /// Minimum cosine between an embedding and sentence-transformers' one.
    static let embeddingCosine: Float = 0.99999
    /// Max |Δ| between a text embedded alone and inside a batch (packing must not change results).
    static let batchInvariance: Float = 1e-6
    /// Max |Δ| of fp32 classification logits against PyTorch.
    static let logitsFP32: Float = 1e-4
    /// Max |Δ| of a fill-mask probability against transformers' pipeline.
    static let fillMaskScore: Float = 1e-5
    /// Max |Δ| of a reranking score (sigmoid of the logit) against sentence-transformers' CrossEncoder.
    static let rerankScore: Float = 1e-5
}

/// Largest absolute difference between two equally long vectors.
func maxAbsoluteDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

/// Cosine similarity computed in Double.
func cosine(_ a: [Float], _ b: [Float]) -> Float {
    var dot = 0.0, normA = 0.0, normB = 0.0
    for (x, y) in zip(a, b) {
        dot += Double(x) * Double(y)
        normA += Double(x) * Double(x)
        normB += Double(y) * Double(y)
    }
    return Float(dot / max((normA * normB).squareRoot(), 1e-30))
}
