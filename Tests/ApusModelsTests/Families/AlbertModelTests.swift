import ApusTensor
import Foundation
import Testing
@testable import ApusModels

/// ALBERT against PyTorch on a tiny random checkpoint (scripts/make_tiny_albert_fixtures.py): 16-wide
/// embeddings projected to 32, four passes over two groups of two shared layers, a masked-LM checkpoint (`albert.` prefix).
struct AlbertModelTests {
    static let directory = BertModelTests.fixtures.appendingPathComponent("tiny-albert")

    @Test func hiddenStatesMatchPyTorch() throws {
        let reference = try JSONDecoder().decode(BertModelTests.Reference.self,
                                                 from: Data(contentsOf: Self.directory.appendingPathComponent("reference.json")))
        let model = try ModelRegistry.loadEncoder(directory: Self.directory)
        #expect(model is AlbertModel)
        #expect(model.hiddenSize == 32)
        for threads in [1, 2] {
            let pool = ThreadPool(threadCount: threads)
            for item in reference.cases {
                let hidden = try model.encode(TokenBatch(sequences: [(item.ids, item.typeIds)]), pool: pool)
                let difference = maxAbsoluteDifference(hidden.scalars, item.hiddenStates.flatMap { $0 })
                #expect(difference <= BertModelTests.hiddenStateFP32, "length \(item.ids.count), \(threads) threads: \(difference)")
            }
            let packed = try model.encode(TokenBatch(sequences: reference.cases.map { ($0.ids, $0.typeIds) }), pool: pool)
            let expected = reference.cases.flatMap { $0.hiddenStates.flatMap { $0 } }
            #expect(maxAbsoluteDifference(packed.scalars, expected) <= BertModelTests.hiddenStateFP32, "packed, \(threads) threads")
        }
    }
}
