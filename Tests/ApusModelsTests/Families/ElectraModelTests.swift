import ApusTensor
import Foundation
import Testing
@testable import ApusModels

/// ELECTRA against PyTorch on a tiny random checkpoint (scripts/make_tiny_factorised_fixtures.py): 16-wide
/// embeddings projected to 32, saved as a classification checkpoint (`electra.` prefix, head beside it).
struct ElectraModelTests {
    static let directory = BertModelTests.fixtures.appendingPathComponent("tiny-electra")

    @Test func hiddenStatesMatchPyTorch() throws {
        let model = try ModelRegistry.loadEncoder(directory: Self.directory)
        #expect(model is ElectraModel)
        #expect(model.hiddenSize == 32)
        try expectHiddenStatesMatchPyTorch(model, fixture: Self.directory, label: "electra")
    }
}
