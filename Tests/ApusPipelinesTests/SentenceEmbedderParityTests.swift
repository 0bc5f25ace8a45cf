import ApusTensor
import Foundation
import Testing
@testable import ApusPipelines

/// all-MiniLM-L6-v2 against sentence-transformers: ids, last hidden states, pooled and normalised vectors.
/// The reference outputs come from scripts/make_minilm_fixtures.py (see Tests/Fixtures/minilm/README.md).
@Suite(.serialized)
struct SentenceEmbedderParityTests {
    /// Loaded once for the suite: loading maps the weights and takes a few milliseconds.
    static let shared: Result<SentenceEmbedder, any Error> = Result {
        try SentenceEmbedder(modelDirectory: TestResources.minilmDirectory(), threads: 2)
    }

    struct IdsLine: Decodable { let index: Int; let ids: [Int] }
    struct HiddenStatesIndex: Decodable { let indices: [Int]; let lengths: [Int] }

    @Test func tokenIdsMatchSentenceTransformers() throws {
        let embedder = try Self.shared.get()
        let texts = try TestResources.loadParityTexts()
        #expect(texts.count >= 200)
        let lines = try String(contentsOf: TestResources.minilmFixtures.appendingPathComponent("input_ids.jsonl"), encoding: .utf8)
            .split(separator: "\n").map { try JSONDecoder().decode(IdsLine.self, from: Data($0.utf8)) }
        #expect(lines.count == texts.count)
        var mismatches = 0
        for line in lines {
            let ids = try embedder.tokenize(texts[line.index]).ids
            if ids != line.ids {
                mismatches += 1
                Issue.record("text \(line.index) \(texts[line.index].prefix(60).debugDescription): ids \(ids.prefix(40)) ≠ expected \(line.ids.prefix(40))")
            }
        }
        #expect(mismatches == 0)
    }

    @Test func lastHiddenStatesMatchPyTorch() throws {
        let embedder = try Self.shared.get()
        let texts = try TestResources.loadParityTexts()
        let index = try TestResources.json(HiddenStatesIndex.self, "hidden_states.json")
        let reference = try NpyFile.read(contentsOf: TestResources.minilmFixtures.appendingPathComponent("hidden_states.npy"))
        let width = embedder.encoder.hiddenSize
        #expect(reference.shape == [index.lengths.reduce(0, +), width])
        var row = 0
        var worst: Float = 0
        for (textIndex, length) in zip(index.indices, index.lengths) {
            let hidden = try embedder.tokenEmbeddings(texts[textIndex])
            #expect(hidden.shape == [length, width], "text \(textIndex)")
            let expected = Array(reference.values[(row * width)..<((row + length) * width)])
            if hidden.count == expected.count {
                let difference = maxAbsoluteDifference(hidden.scalars, expected)
                worst = max(worst, difference)
                #expect(difference <= Tolerance.hiddenStateFP32, "text \(textIndex): max |Δ| \(difference)")
            }
            row += length
        }
        print("hidden states: worst max |Δ| = \(worst) over \(index.indices.count) texts")
    }

    @Test(arguments: [(normalized: true, file: "embeddings.npy"), (normalized: false, file: "embeddings-unnormalized.npy")])
    func embeddingsMatchSentenceTransformers(normalized: Bool, file: String) throws {
        let embedder = try Self.shared.get()
        let texts = try TestResources.loadParityTexts()
        let reference = try NpyFile.read(contentsOf: TestResources.minilmFixtures.appendingPathComponent(file))
        #expect(reference.shape == [texts.count, embedder.dimension])
        let vectors = try embedder.embed(texts, batchSize: 32, normalize: normalized)
        var worstDifference: Float = 0, worstCosine: Float = 1
        for (index, vector) in vectors.enumerated() {
            let expected = Array(reference.values[(index * embedder.dimension)..<((index + 1) * embedder.dimension)])
            let difference = maxAbsoluteDifference(vector, expected)
            let similarity = cosine(vector, expected)
            worstDifference = max(worstDifference, difference)
            worstCosine = min(worstCosine, similarity)
            #expect(difference <= Tolerance.embeddingComponent, "text \(index): max |Δ| \(difference)")
            #expect(similarity >= Tolerance.embeddingCosine, "text \(index): cosine \(similarity)")
        }
        print("\(file): worst max |Δ| = \(worstDifference), worst cosine = \(worstCosine) over \(texts.count) texts")
    }

    /// bf16 linear layers against sentence-transformers' fp32 vectors: the accuracy the issue asks to report, and a
    /// floor (cosine ≥ 0.9999 on every text) so a broken bf16 path cannot pass. Runs the portable path where the
    /// CPU has no AVX-512 BF16 (same numbers, slower).
    @Test func bf16EmbeddingsStayCloseToFP32() throws {
        let embedder = try SentenceEmbedder(modelDirectory: TestResources.minilmDirectory(), threads: 2, precision: .bf16)
        let texts = try TestResources.loadParityTexts()
        let reference = try NpyFile.read(contentsOf: TestResources.minilmFixtures.appendingPathComponent("embeddings.npy"))
        let vectors = try embedder.embed(texts, batchSize: 32)
        var worstCosine: Float = 1, meanCosine: Float = 0, worstDifference: Float = 0
        for (index, vector) in vectors.enumerated() {
            let expected = Array(reference.values[(index * embedder.dimension)..<((index + 1) * embedder.dimension)])
            let similarity = cosine(vector, expected)
            worstCosine = min(worstCosine, similarity)
            meanCosine += similarity / Float(vectors.count)
            worstDifference = max(worstDifference, maxAbsoluteDifference(vector, expected))
            #expect(similarity >= 0.9999, "text \(index): bf16 cosine \(similarity)")
        }
        print("bf16 embeddings: worst cosine \(worstCosine), mean \(meanCosine), worst max |Δ| \(worstDifference) over \(texts.count) texts")
    }

    @Test func batchingDoesNotChangeVectors() throws {
        let embedder = try Self.shared.get()
        let texts = Array(try TestResources.loadParityTexts().prefix(40))
        let batched = try embedder.embed(texts, batchSize: 16)
        let reversedBatched = try embedder.embed(texts.reversed(), batchSize: 7)
        for (index, text) in texts.enumerated() {
            let alone = try embedder.embed([text])[0]
            #expect(maxAbsoluteDifference(alone, batched[index]) <= Tolerance.batchInvariance, "text \(index)")
            #expect(maxAbsoluteDifference(alone, reversedBatched[texts.count - 1 - index]) <= Tolerance.batchInvariance, "text \(index)")
        }
    }

    @Test(arguments: Pooling.Mode.allCases)
    func poolingModesMatchSentenceTransformers(mode: Pooling.Mode) throws {
        let embedder = try Self.shared.get()
        let texts = try TestResources.loadParityTexts()
        let index = try TestResources.json(HiddenStatesIndex.self, "hidden_states.json")
        let fileName: [Pooling.Mode: String] = [.cls: "cls", .max: "max", .mean: "mean", .meanSqrtLength: "mean_sqrt_len",
                                                .weightedMean: "weightedmean", .lastToken: "lasttoken"]
        let reference = try NpyFile.read(contentsOf: TestResources.minilmFixtures.appendingPathComponent("pooling/\(fileName[mode] ?? "").npy"))
        let pooling = Pooling(dimension: embedder.encoder.hiddenSize, modes: [mode])
        for (row, textIndex) in index.indices.enumerated() {
            let hidden = try embedder.tokenEmbeddings(texts[textIndex])
            let pooled = pooling(hidden, sequenceOffsets: [0, hidden.shape[0]])[0]
            let expected = Array(reference.values[(row * pooling.dimension)..<((row + 1) * pooling.dimension)])
            #expect(maxAbsoluteDifference(pooled, expected) <= Tolerance.hiddenStateFP32, "\(mode) text \(textIndex)")
        }
    }
}
