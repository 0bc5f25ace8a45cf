import ApusTensor
import Foundation
import Testing
@testable import ApusModels

/// The parity check every encoder family runs against its fixture's `reference.json`: last hidden states within
/// `BertModelTests.hiddenStateFP32` of PyTorch, one sequence at a time and all packed into one batch, on 1 and 2 threads.
func expectHiddenStatesMatchPyTorch(_ model: any TextEncoder, fixture directory: URL, label: String,
                                    sourceLocation: SourceLocation = #_sourceLocation) throws {
    let reference = try JSONDecoder().decode(BertModelTests.Reference.self,
                                             from: Data(contentsOf: directory.appendingPathComponent("reference.json")))
    for threads in [1, 2] {
        let pool = ThreadPool(threadCount: threads)
        for item in reference.cases {
            let hidden = try model.encode(TokenBatch(sequences: [(item.ids, item.typeIds)]), pool: pool)
            let difference = maxAbsoluteDifference(hidden.scalars, item.hiddenStates.flatMap { $0 })
            #expect(difference <= BertModelTests.hiddenStateFP32, "\(label), length \(item.ids.count), \(threads) threads: \(difference)",
                    sourceLocation: sourceLocation)
        }
        let packed = try model.encode(TokenBatch(sequences: reference.cases.map { ($0.ids, $0.typeIds) }), pool: pool)
        let expected = reference.cases.flatMap { $0.hiddenStates.flatMap { $0 } }
        #expect(maxAbsoluteDifference(packed.scalars, expected) <= BertModelTests.hiddenStateFP32, "\(label) packed, \(threads) threads",
                sourceLocation: sourceLocation)
    }
}
