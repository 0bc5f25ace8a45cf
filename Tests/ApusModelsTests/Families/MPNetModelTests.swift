import ApusTensor
import Foundation
import Testing
@testable import ApusModels

/// MPNet against PyTorch on a tiny random checkpoint (scripts/make_tiny_mpnet_fixtures.py): relative-position
/// buckets up to distance 269 and RoBERTa-style position ids with a pad id inside a sequence; one sequence at a
/// time and packed, 1 and 2 threads. (The attention tests cover the bias on the tiled path.)
struct MPNetModelTests {
    static let directory = BertModelTests.fixtures.appendingPathComponent("tiny-mpnet")

    @Test func hiddenStatesMatchPyTorch() throws {
        let model = try ModelRegistry.loadEncoder(directory: Self.directory)
        #expect(model is MPNetModel)
        #expect(model.maxPositions == 298) // 300 rows − pad_token_id − 1
        try expectHiddenStatesMatchPyTorch(model, fixture: Self.directory, label: "mpnet")
    }

    /// transformers' `MPNetEncoder.relative_position_bucket` (32 buckets, max distance 128) on these distances gives
    /// these buckets (computed with transformers 5.23): exact below 8, log-spaced to 15, keys after the query in the
    /// upper half.
    @Test func bucketsFollowTransformers() throws {
        let buckets = RelativeAttentionBuckets(weight: Tensor(zeros: [32, 1]))
        let expected: [(Int, Int)] = [(0, 0), (-1, 1), (-7, 7), (-8, 8), (-11, 8), (-12, 9), (-127, 15), (-128, 15), (-1000, 15),
                                      (1, 17), (7, 23), (8, 24), (16, 26), (200, 31)]
        for (distance, bucket) in expected {
            #expect(buckets.bucket(distance) == bucket, "distance \(distance)")
        }
    }
}
