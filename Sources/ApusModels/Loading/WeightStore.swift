import ApusTensor
import Foundation

/// The weights of a model directory, handed out by name with strict bookkeeping.
///
/// Model code asks for each tensor where it builds the layer, in the checkpoint's spelling
/// (`weights.scope("encoder.layer.3").scope("attention.self")` then `tensor("weight", shape: ...)`). Every
/// request checks the shape; `finish()` then reports any tensor no layer asked for, so a checkpoint of the
/// wrong architecture cannot load silently.
public final class WeightStore: @unchecked Sendable {
    /// The directory (or description) the weights came from, for messages.
    public let source: String
    private let owners: [String: SafetensorsFile]
    private let lock = NSLock()
    private var consumed: Set<String> = []
    private var unusedPrefixes: [String] = []

    /// Opens `model.safetensors`, or the shards listed in `model.safetensors.index.json`.
    public convenience init(directory: URL) throws {
        let single = directory.appendingPathComponent("model.safetensors")
        let index = directory.appendingPathComponent("model.safetensors.index.json")
        if FileManager.default.fileExists(atPath: single.path) {
            try self.init(files: [SafetensorsFile(url: single)], source: directory.path)
        } else if FileManager.default.fileExists(atPath: index.path) {
            try self.init(files: ShardedCheckpoint.open(index: index), source: directory.path)
        } else {
            throw LoadingError.noWeights(directory: directory.path, lookedFor: ["model.safetensors", "model.safetensors.index.json"])
        }
    }

    /// Serves the tensors of `files`; a name present in two files is an error.
    public init(files: [SafetensorsFile], source: String) throws {
        var owners: [String: SafetensorsFile] = [:]
        for file in files {
            for name in file.tensors.keys {
                if let existing = owners[name] {
                    throw LoadingError.invalidIndex(file: source, reason: "tensor '\(name)' appears in both \(existing.url.lastPathComponent) and \(file.url.lastPathComponent)")
                }
                owners[name] = file
            }
        }
        self.owners = owners
        self.source = source
    }

    /// The unprefixed view of the store.
    public var root: WeightScope { WeightScope(store: self, prefix: "") }

    /// A view whose names are prefixed with `prefix` and a dot.
    public func scope(_ prefix: String) -> WeightScope { root.scope(prefix) }

    /// Every tensor name, sorted.
    public var tensorNames: [String] { owners.keys.sorted() }

    /// Whether the checkpoint has a tensor called `name`.
    public func contains(_ name: String) -> Bool { owners[name] != nil }

    /// Declares that tensors starting with `prefix` are deliberately not used (e.g. "pooler.").
    public func markUnused(prefix: String) {
        lock.withLock { unusedPrefixes.append(prefix) }
    }

    /// Throws listing every tensor that was neither consumed nor declared unused.
    public func finish() throws {
        let leftovers = lock.withLock {
            owners.keys.filter { name in !consumed.contains(name) && !unusedPrefixes.contains { name.hasPrefix($0) } }.sorted()
        }
        if !leftovers.isEmpty { throw LoadingError.unusedTensors(names: leftovers, directory: source) }
    }

    /// Tensor `name` as fp32 with exactly `shape`; marks it consumed.
    func tensor(_ name: String, shape: [Int]) throws -> Tensor {
        guard let file = owners[name] else {
            throw LoadingError.missingTensor(tensor: name, file: source, similar: similarNames(to: name))
        }
        let actual = file.tensors[name]?.shape ?? []
        guard actual == shape else {
            throw LoadingError.unexpectedShape(tensor: name, expected: shape, actual: actual, file: file.url.path)
        }
        let tensor = try file.floatTensor(named: name)
        _ = lock.withLock { consumed.insert(name) }
        return tensor
    }

    /// Names sharing the last two components with `name` (catches prefix differences such as `bert.`).
    private func similarNames(to name: String) -> [String] {
        let suffix = name.split(separator: ".").suffix(2).joined(separator: ".")
        return owners.keys.filter { $0.hasSuffix(suffix) }.sorted().prefix(5).map { $0 }
    }
}

/// A prefix into a `WeightStore`: where a layer finds its tensors.
public struct WeightScope: Sendable {
    let store: WeightStore
    /// Dotted prefix of every name in this scope ("" at the root).
    public let prefix: String

    /// The full checkpoint name of `name` in this scope.
    public func qualified(_ name: String) -> String { prefix.isEmpty ? name : prefix + "." + name }

    /// A nested scope: `scope("encoder").scope("layer.0")` reads `encoder.layer.0.*`.
    public func scope(_ name: String) -> WeightScope {
        name.isEmpty ? self : WeightScope(store: store, prefix: qualified(name))
    }

    /// Whether this scope has a tensor called `name`.
    public func contains(_ name: String) -> Bool { store.contains(qualified(name)) }

    /// Tensor `name` in this scope, checked to have `shape`.
    public func tensor(_ name: String, shape: [Int]) throws -> Tensor {
        try store.tensor(qualified(name), shape: shape)
    }
}

/// A checkpoint split over several safetensors files by `model.safetensors.index.json`.
public enum ShardedCheckpoint {
    private struct Index: Decodable {
        let weightMap: [String: String]
        enum CodingKeys: String, CodingKey { case weightMap = "weight_map" }
    }

    /// Opens every shard the index names, checking that each mapped tensor is in its shard.
    public static func open(index url: URL) throws -> [SafetensorsFile] {
        let index: Index
        do {
            index = try JSONDecoder().decode(Index.self, from: Data(contentsOf: url))
        } catch {
            throw LoadingError.invalidIndex(file: url.path, reason: "expected a JSON object with a 'weight_map' of tensor name → shard file")
        }
        let directory = url.deletingLastPathComponent()
        var shards: [String: SafetensorsFile] = [:]
        for shardName in Set(index.weightMap.values).sorted() {
            guard !shardName.isEmpty, !shardName.contains("/"), !shardName.contains("\\"), shardName != "..", shardName != "." else {
                throw LoadingError.invalidIndex(file: url.path, reason: "shard name '\(shardName)' is not a plain file name in the model directory")
            }
            let shardURL = directory.appendingPathComponent(shardName)
            guard FileManager.default.fileExists(atPath: shardURL.path) else {
                throw LoadingError.invalidIndex(file: url.path, reason: "shard '\(shardName)' is missing")
            }
            shards[shardName] = try SafetensorsFile(url: shardURL)
        }
        for (tensor, shardName) in index.weightMap.sorted(by: { $0.key < $1.key }) where shards[shardName]?.tensors[tensor] == nil {
            throw LoadingError.invalidIndex(file: url.path, reason: "tensor '\(tensor)' is mapped to '\(shardName)' but that shard does not contain it")
        }
        return shards.keys.sorted().compactMap { shards[$0] }
    }
}
