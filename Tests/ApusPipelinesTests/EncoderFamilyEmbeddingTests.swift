import ApusModels
import Foundation
import Testing
@testable import ApusPipelines

/// The sentence pipeline on the RoBERTa and DistilBERT families: tiny random checkpoints with a tiny WordPiece
/// tokenizer against `SentenceTransformer(directory).encode` (scripts/make_tiny_encoder_fixtures.py). RoBERTa's
/// tokenizer maps unknown words to id 1, its pad id, so the pipeline also exercises its pad position rule.
struct EncoderFamilyEmbeddingTests {
    struct Reference: Decodable {
        struct Sentence: Decodable { let text: String; let ids: [Int]; let embedding: [Float] }
        let sentences: [Sentence]
    }

    @Test(arguments: ["tiny-roberta", "tiny-distilbert"])
    func embeddingsMatchSentenceTransformers(fixture: String) throws {
        let directory = TestResources.repositoryRoot.appendingPathComponent("Tests/Fixtures/\(fixture)")
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: directory.appendingPathComponent("reference.json")))
        let embedder = try SentenceEmbedder(modelDirectory: directory, threads: 2)
        // The texts' default limit is the encoder's: RoBERTa's 40 position rows hold 38 tokens.
        #expect(embedder.maxSequenceLength == (fixture == "tiny-roberta" ? 38 : 40))
        let vectors = try embedder.embed(reference.sentences.map(\.text), batchSize: 3)
        for (sentence, vector) in zip(reference.sentences, vectors) {
            // `sentence.ids` is the untruncated encoding; truncation keeps the head and the final [SEP] (id 3).
            let limit = embedder.maxSequenceLength
            let truncated = sentence.ids.count <= limit ? sentence.ids : Array(sentence.ids.prefix(limit - 1)) + [3]
            #expect(try embedder.tokenize(sentence.text).ids == truncated)
            let difference = maxAbsoluteDifference(vector, sentence.embedding)
            #expect(difference <= Tolerance.embeddingComponent, "\(fixture) \(sentence.text.prefix(30).debugDescription): \(difference)")
        }
    }
}
