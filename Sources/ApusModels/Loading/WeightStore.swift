import ApusTensor
import Foundation

/// The weights of a model directory, handed out by name with strict bookkeeping.
///
/// Model code asks for each tensor where it builds the layer, in the checkpoint's spelling, and says which
/// shape it expects; `finish()` then reports every tensor no layer asked for, so a checkpoint of another
/// architecture cannot load silently:
///
///     let weights = try WeightStore(directory: modelDirectory)
///     let query = try weights.scope("encoder.layer.0").scope("attention.self").tensor("query.weight", shape: [384, 384])
///     weights.markUnused(prefix: "pooler.")
///     try weights.finish()
///
/// `@unchecked Sendable`: the tensor table is immutable; the consumed names and unused prefixes change only
/// under `lock`, so layers may load from several threads.
public final class WeightStore: @unchecked Sendable {
    /// The file name of a single-file checkpoint, preferred over a sharded one.
    public static let singleFileName = "model.safetensors"
    /// Extensions of weight files, named in `noWeights` errors to show what the directory has instead.
    static let otherWeightExtensions: Set<String> = ["bin", "pt", "pth", "ckpt", "h5", "msgpack", "onnx", "gguf", "safetensors"]

    /// The directory (or file) the weights came from, for messages.
    public let source: String
    /// The files the tensors are read from.
    public let files: [any TensorFile]
    private let owners: [String: any TensorFile]
    private let lock = NSLock()
    private var consumed: Set<String> = []
    private var unusedPrefixes: [String] = []

    /// Opens `directory/model.safetensors`, else the shards listed in `model.safetensors.index.json`, else the
    /// PyTorch checkpoint `pytorch_model.bin` or its shards (`pytorch_model.bin.index.json`) — transformers'
    /// preference order.
    public convenience init(directory: URL) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw LoadingError.cannotOpen(file: directory.path, reason: "no such directory")
        }
        func exists(_ name: String) -> URL? {
            let url = directory.appendingPathComponent(name)
            return FileManager.default.fileExists(atPath: url.path) ? url : nil
        }
        if let single = exists(Self.singleFileName) {
            try self.init(files: [SafetensorsFile(url: single)], source: directory.path)
        } else if let index = exists(ShardedCheckpoint.indexFileName) {
            try self.init(files: ShardedCheckpoint(index: index).shards, source: directory.path)
        } else if let single = exists(PyTorchCheckpoint.singleFileName) {
            try self.init(files: [PyTorchCheckpoint(url: single)], source: directory.path)
        } else if let index = exists(PyTorchCheckpoint.indexFileName) {
            try self.init(files: ShardedCheckpoint(index: index, open: { try PyTorchCheckpoint(url: $0) }).shards, source: directory.path)
        } else {
            let contents = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            let others = contents.filter { Self.otherWeightExtensions.contains(($0 as NSString).pathExtension.lowercased()) }
            throw LoadingError.noWeights(directory: directory.path,
                                         lookedFor: [Self.singleFileName, ShardedCheckpoint.indexFileName,
                                                     PyTorchCheckpoint.singleFileName, PyTorchCheckpoint.indexFileName],
                                         otherWeightFiles: others.sorted())
        }
    }

    /// Serves the tensors of `files` (of any format); a name present in two files is an error. `source` names
    /// the checkpoint in messages (by default the files' directory, or the file itself when there is one).
    public init(files: [any TensorFile], source: String? = nil) throws {
        var owners: [String: any TensorFile] = [:]
        for file in files {
            for name in file.tensorNames {
                if let existing = owners[name] {
                    throw LoadingError.duplicateTensorAcrossFiles(tensor: name, files: [existing.url.path, file.url.path])
                }
                owners[name] = file
            }
        }
        self.owners = owners
        self.files = files
        self.source = source ?? Self.describe(files)
    }

    /// One file's path, else the directory all files share, else every path.
    private static func describe(_ files: [any TensorFile]) -> String {
        if files.count == 1 { return files[0].url.path }
        let directories = Set(files.map { $0.url.deletingLastPathComponent().path })
        if directories.count == 1, let directory = directories.first { return directory }
        return files.map(\.url.path).joined(separator: ", ")
    }

    /// The unprefixed view of the store.
    public var root: WeightScope { WeightScope(store: self, prefix: "") }

    /// A view whose names are prefixed with `prefix` and a dot: `scope("encoder.layer.3")`.
    public func scope(_ prefix: String) -> WeightScope { root.scope(prefix) }

    /// Every tensor name, sorted.
    public var tensorNames: [String] { owners.keys.sorted() }

    /// Whether the checkpoint has a tensor called `name`.
    public func contains(_ name: String) -> Bool { owners[name] != nil }

    /// The entry of tensor `name` (dtype, shape, bytes), or nil when there is none. Does not mark it consumed.
    public func info(_ name: String) -> TensorDescription? { owners[name]?.tensorDescription(of: name) }

    /// Declares that tensors whose names start with `prefix` are deliberately not used (e.g. `"pooler."`), so
    /// `finish()` does not report them.
    public func markUnused(prefix: String) {
        locked { unusedPrefixes.append(prefix) }
    }

    /// Tensors neither consumed nor declared unused so far, sorted.
    public var unconsumedTensorNames: [String] {
        locked {
            owners.keys.filter { name in !consumed.contains(name) && !unusedPrefixes.contains { name.hasPrefix($0) } }
        }.sorted()
    }

    /// Throws `unusedTensors` listing every tensor that was neither consumed nor declared unused.
    public func finish() throws {
        let leftovers = unconsumedTensorNames
        if !leftovers.isEmpty { throw LoadingError.unusedTensors(names: leftovers, source: source) }
    }

    /// Tensor `name` as fp32, checked to have exactly `shape`; marks it consumed.
    func tensor(named name: String, shape: [Int]) throws -> Tensor {
        guard let file = owners[name], let info = file.tensorDescription(of: name) else {
            throw LoadingError.missingTensor(tensor: name, file: source, similar: TensorNameSuggestions.closest(to: name, in: owners.keys))
        }
        guard info.shape == shape else {
            throw LoadingError.unexpectedShape(tensor: name, expected: shape, actual: info.shape, file: file.url.path)
        }
        let tensor = try file.floatTensor(named: name)
        _ = locked { consumed.insert(name) }
        return tensor
    }

    /// Runs `body` holding `lock` (`NSLock.withLock` needs macOS 14; the package supports 13).
    private func locked<Result>(_ body: () -> Result) -> Result {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }
}

/// A prefix into a `WeightStore`: where a layer finds its tensors, named in the checkpoint's spelling.
///
///     let attention = weights.scope("encoder.layer.3").scope("attention.self") // "encoder.layer.3.attention.self"
///     let query = try attention.tensor("query.weight", shape: [384, 384])
public struct WeightScope: Sendable, Equatable, CustomStringConvertible {
    let store: WeightStore
    /// Dotted prefix of every name in this scope ("" at the root).
    public let prefix: String

    /// The full checkpoint name of `name` in this scope.
    public func qualified(_ name: String) -> String { prefix.isEmpty ? name : name.isEmpty ? prefix : prefix + "." + name }

    /// A nested scope: `scope("a").scope("b")` reads `a.b.*`.
    public func scope(_ name: String) -> WeightScope { WeightScope(store: store, prefix: qualified(name)) }

    /// Whether this scope has a tensor called `name`.
    public func contains(_ name: String) -> Bool { store.contains(qualified(name)) }

    /// Tensor `name` in this scope as fp32, checked to have exactly `shape`; marks it consumed.
    /// Throws `missingTensor` (with the closest names the checkpoint has), `unexpectedShape` or `unexpectedDType`.
    public func tensor(_ name: String, shape: [Int]) throws -> Tensor {
        try store.tensor(named: qualified(name), shape: shape)
    }

    /// The prefix, or `<root>`.
    public var description: String { prefix.isEmpty ? "<root>" : prefix }

    /// Same store, same prefix.
    public static func == (lhs: WeightScope, rhs: WeightScope) -> Bool { lhs.store === rhs.store && lhs.prefix == rhs.prefix }
}
