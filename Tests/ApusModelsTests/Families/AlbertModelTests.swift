import ApusTensor
import Foundation
import Testing
@testable import ApusModels

/// ALBERT against PyTorch on a tiny random checkpoint (scripts/make_tiny_factorised_fixtures.py): 16-wide
/// embeddings projected to 32, four passes over two groups of two shared layers, a masked-LM checkpoint (`albert.` prefix).
struct AlbertModelTests {
    static let directory = BertModelTests.fixtures.appendingPathComponent("tiny-albert")

    @Test func hiddenStatesMatchPyTorch() throws {
        let model = try ModelRegistry.loadEncoder(directory: Self.directory)
        #expect(model is AlbertModel)
        #expect(model.hiddenSize == 32)
        try expectHiddenStatesMatchPyTorch(model, fixture: Self.directory, label: "albert")
    }
}
