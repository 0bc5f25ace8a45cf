import Foundation

/// A checkpoint split over several files, listed by `model.safetensors.index.json` (or, for PyTorch shards,
/// `pytorch_model.bin.index.json`, which has the same form):
///
///     {"metadata": {"total_size": 12345}, "weight_map": {"lm_head.weight": "model-00002-of-00002.safetensors", …}}
///
/// (written by transformers' `save_pretrained`, read by `load_sharded_checkpoint` in
/// https://github.com/huggingface/transformers/blob/main/src/transformers/modeling_utils.py). Every shard is
/// opened and validated; each tensor the index maps must be in its shard. `metadata` is not used.
public struct ShardedCheckpoint: Sendable {
    /// The file name transformers gives the index.
    public static let indexFileName = "model.safetensors.index.json"

    /// The index file.
    public let indexURL: URL
    /// Tensor name → shard file name, as the index states it.
    public let weightMap: [String: String]
    /// Every shard the index names, sorted by file name.
    public let shards: [any TensorFile]

    /// Reads the index at `url` and opens the shards it names, which must be plain file names beside it, with
    /// `open` (safetensors by default; `PyTorchCheckpoint.init` for a `.bin` index).
    public init(index url: URL, open: (URL) throws -> any TensorFile = { try SafetensorsFile(url: $0) }) throws {
        let path = url.path
        let indexFile = try MappedFile(url: url)
        let weightMap = try withExtendedLifetime(indexFile) { try Self.parseWeightMap(indexFile.bytes, index: path) }

        // Validate every name first, in tensor order, so the error names the first tensor at fault.
        let directory = url.deletingLastPathComponent()
        var shardURLs: [String: URL] = [:]
        for (tensor, shard) in weightMap.sorted(by: { $0.key < $1.key }) where shardURLs[shard] == nil {
            guard Self.isPlainFileName(shard) else { throw LoadingError.shardNameNotPlain(shard: shard, tensor: tensor, index: path) }
            let shardURL = directory.appendingPathComponent(shard)
            guard FileManager.default.fileExists(atPath: shardURL.path) else {
                throw LoadingError.missingShard(shard: shard, tensor: tensor, index: path)
            }
            shardURLs[shard] = shardURL
        }
        var shards: [String: any TensorFile] = [:]
        for (shard, shardURL) in shardURLs { shards[shard] = try open(shardURL) }
        for (tensor, shard) in weightMap.sorted(by: { $0.key < $1.key }) where shards[shard]?.tensorDescription(of: tensor) == nil {
            throw LoadingError.tensorNotInShard(tensor: tensor, shard: shard, index: path)
        }
        indexURL = url
        self.weightMap = weightMap
        self.shards = shards.keys.sorted().compactMap { shards[$0] }
    }

    private static func parseWeightMap(_ bytes: UnsafeRawBufferPointer, index: String) throws(LoadingError) -> [String: String] {
        let json: JSONValue
        do {
            json = try JSONValue.parse(bytes)
        } catch {
            switch error {
            case .invalidUTF8(let offset): throw .invalidIndex(index: index, reason: "not valid UTF-8 at byte \(offset)")
            case .syntax(let offset, let problem): throw .invalidIndex(index: index, reason: "not valid JSON: \(problem) at byte \(offset)")
            }
        }
        guard case .object(let members) = json else { throw .invalidIndex(index: index, reason: "the file is \(json.kind)") }
        let weightMapFields = members.filter { $0.key == "weight_map" }
        guard weightMapFields.count == 1, case .object(let entries) = weightMapFields[0].value else {
            throw .invalidIndex(index: index, reason: weightMapFields.isEmpty ? "no 'weight_map'"
                : weightMapFields.count > 1 ? "'weight_map' appears twice" : "'weight_map' is \(weightMapFields[0].value.kind)")
        }
        guard !entries.isEmpty else { throw .invalidIndex(index: index, reason: "'weight_map' is empty") }
        var weightMap: [String: String] = [:]
        for entry in entries {
            guard case .string(let shard) = entry.value else {
                throw .invalidIndex(index: index, reason: "'weight_map' maps tensor '\(entry.key)' to \(entry.value.kind), not a shard file name")
            }
            guard weightMap[entry.key] == nil else {
                throw .invalidIndex(index: index, reason: "'weight_map' lists tensor '\(entry.key)' twice")
            }
            weightMap[entry.key] = shard
        }
        return weightMap
    }

    /// A name that stays inside the index's directory: no separators, not `.` or `..`, not empty.
    static func isPlainFileName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && !name.contains("/") && !name.contains("\\") && !name.contains("\0")
    }
}
