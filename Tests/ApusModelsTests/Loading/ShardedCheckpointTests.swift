import ApusTensor
import Foundation
import Testing
@testable import ApusModels

/// `model.safetensors.index.json` with its shards: the good case and each way an index can be wrong.
struct ShardedCheckpointTests {
    typealias Writer = SafetensorsWriter
    static let firstShard = "model-00001-of-00002.safetensors"
    static let secondShard = "model-00002-of-00002.safetensors"

    /// Two shards (`a.weight` in the first, `b.weight` and `b.bias` in the second) and the given index text.
    func shardedDirectory(index: String) throws -> ScratchDirectory {
        let scratch = try ScratchDirectory()
        try scratch.write(Writer.file([.init(name: "a.weight", dtype: .float32, shape: [2], bytes: Writer.float32Bytes([1, 2]))]),
                          to: Self.firstShard)
        try scratch.write(Writer.file([
            .init(name: "b.weight", dtype: .bfloat16, shape: [1], bytes: [0x40, 0x40]),
            .init(name: "b.bias", dtype: .float32, shape: [1], bytes: Writer.float32Bytes([4])),
        ]), to: Self.secondShard)
        try scratch.write(index, to: ShardedCheckpoint.indexFileName)
        return scratch
    }

    static let goodIndex = """
        {"metadata": {"total_size": 14}, "weight_map": {"a.weight": "\(firstShard)", "b.weight": "\(secondShard)", "b.bias": "\(secondShard)"}}
        """

    @Test func shardedCheckpointLoads() throws {
        let scratch = try shardedDirectory(index: Self.goodIndex)
        let checkpoint = try ShardedCheckpoint(index: scratch.url.appendingPathComponent(ShardedCheckpoint.indexFileName))
        #expect(checkpoint.shards.map(\.url.lastPathComponent) == [Self.firstShard, Self.secondShard])
        #expect(checkpoint.weightMap["b.bias"] == Self.secondShard)

        let store = try WeightStore(directory: scratch.url)
        #expect(store.tensorNames == ["a.weight", "b.bias", "b.weight"])
        #expect(try store.scope("a").tensor("weight", shape: [2]).scalars == [1, 2])
        #expect(try store.scope("b").tensor("weight", shape: [1]).scalars == [3])
        #expect(try store.root.tensor("b.bias", shape: [1]).scalars == [4])
        try store.finish()
    }

    @Test func singleFileIsPreferredOverAnIndex() throws {
        let scratch = try shardedDirectory(index: Self.goodIndex)
        try scratch.write(Writer.file([.init(name: "only", dtype: .float32, shape: [], bytes: Writer.float32Bytes([5]))]),
                          to: WeightStore.singleFileName)
        #expect(try WeightStore(directory: scratch.url).tensorNames == ["only"])
    }

    /// Expects opening the sharded directory made from `index` to throw `expected(indexPath)`.
    func expectRefused(index: String, mentioning mentions: [String] = [], sourceLocation: SourceLocation = #_sourceLocation,
                       _ expected: (String) -> LoadingError) throws {
        let scratch = try shardedDirectory(index: index)
        let indexPath = scratch.url.appendingPathComponent(ShardedCheckpoint.indexFileName).path
        expectLoadingError(expected(indexPath), mentioning: mentions, sourceLocation: sourceLocation) { _ = try WeightStore(directory: scratch.url) }
    }

    @Test func missingShard() throws {
        try expectRefused(index: #"{"weight_map": {"a.weight": "model-00001-of-00003.safetensors"}}"#, mentioning: ["model-00001-of-00003.safetensors"]) {
            .missingShard(shard: "model-00001-of-00003.safetensors", tensor: "a.weight", index: $0)
        }
    }

    @Test func tensorMissingInItsShard() throws {
        try expectRefused(index: #"{"weight_map": {"a.weight": "\#(Self.firstShard)", "b.weight": "\#(Self.firstShard)"}}"#,
                          mentioning: [Self.firstShard]) {
            .tensorNotInShard(tensor: "b.weight", shard: Self.firstShard, index: $0)
        }
    }

    @Test func shardNamesMustStayInTheDirectory() throws {
        for shard in ["../\(Self.firstShard)", "/tmp/\(Self.firstShard)", "sub/\(Self.firstShard)", "..", ".", "", "a\\\\b"] {
            let unescaped = shard.replacingOccurrences(of: "\\\\", with: "\\")
            try expectRefused(index: #"{"weight_map": {"a.weight": "\#(shard)"}}"#, mentioning: ["'\(unescaped)'", "plain file name"]) {
                .shardNameNotPlain(shard: unescaped, tensor: "a.weight", index: $0)
            }
        }
    }

    @Test func malformedIndexes() throws {
        let cases: [(index: String, reason: String)] = [
            ("{\"weight_map\": ", "not valid JSON: expected a value, found the end of the input at byte 15"),
            ("[]", "the file is an array"),
            (#"{"weights": {}}"#, "no 'weight_map'"),
            (#"{"weight_map": []}"#, "'weight_map' is an array"),
            (#"{"weight_map": {}}"#, "'weight_map' is empty"),
            (#"{"weight_map": {"a.weight": 1}}"#, "'weight_map' maps tensor 'a.weight' to a number, not a shard file name"),
            (#"{"weight_map": {"a.weight": "x", "a.weight": "y"}}"#, "'weight_map' lists tensor 'a.weight' twice"),
            (#"{"weight_map": {"a.weight": "x"}, "weight_map": {}}"#, "'weight_map' appears twice"),
        ]
        for (index, reason) in cases {
            try expectRefused(index: index, mentioning: ["weight_map"]) { .invalidIndex(index: $0, reason: reason) }
        }
    }

    @Test func brokenShardIsNamed() throws {
        let scratch = try shardedDirectory(index: Self.goodIndex)
        let shard = try scratch.write([1, 2, 3], to: Self.secondShard)
        expectLoadingError(.fileTooSmall(file: shard.path, byteCount: 3)) { _ = try WeightStore(directory: scratch.url) }
    }
}
