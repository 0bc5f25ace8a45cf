import Foundation

/// Which files of a repository Apus needs, from the repository's file list: configs and tokenizer first,
/// then one set of weights, safetensors preferred over PyTorch pickles, and the same again inside every
/// sentence-transformers module folder that `modules.json` names. ONNX, OpenVINO, TF, Flax and other
/// repositories' extras are never fetched.
public enum HubFileSelection {
    /// Small files read next to the weights (transformers, tokenizers and sentence-transformers read these).
    static let companionFiles = [
        "config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json",
        "tokenizer.model", "sentencepiece.bpe.model", "spiece.model", "vocab.txt", "vocab.json", "merges.txt",
        "added_tokens.json", "chat_template.jinja", "chat_template.json",
        "modules.json", "config_sentence_transformers.json", "sentence_bert_config.json",
    ]

    /// Weight sets in order of preference: a single file, else an index and its shards.
    static let weightFormats: [(file: String, index: String)] = [
        ("model.safetensors", "model.safetensors.index.json"),
        ("pytorch_model.bin", "pytorch_model.bin.index.json"),
    ]

    /// The files to fetch, small ones first, module weights next and the model's own weights last, so that weights
    /// at the top of a snapshot mean the rest is there too.
    ///
    /// - Parameters:
    ///   - files: every file of the revision.
    ///   - readJSON: reads a small JSON file of the repository (`modules.json`, a shard index) once it is needed.
    ///   - model: for error messages.
    public static func select(from files: [String], model: String, readJSON: (String) throws -> Data) throws -> [String] {
        let available = Set(files)
        var small: [String] = [], moduleWeights: [String] = [], rootWeights: [String] = []
        var folders = [""]
        if available.contains("modules.json"),
           let modules = try JSONSerialization.jsonObject(with: readJSON("modules.json")) as? [[String: Any]] {
            for module in modules {
                guard let path = module["path"] as? String, !path.isEmpty else { continue }
                let folder = path.hasSuffix("/") ? String(path.dropLast()) : path
                try HubPath.validate(folder, context: "module path in \(model)/modules.json")
                if !folders.contains(folder) { folders.append(folder) }
            }
        }
        for folder in folders {
            let prefix = folder.isEmpty ? "" : folder + "/"
            if !folder.isEmpty {
                // A module folder (1_Pooling, 2_Dense, 0_Transformer): every JSON and text file directly in it.
                for file in files where file.hasPrefix(prefix) && !file.dropFirst(prefix.count).contains("/")
                    && [".json", ".txt", ".model", ".jinja"].contains(where: file.hasSuffix) && !small.contains(file) {
                    small.append(file)
                }
            }
            for name in companionFiles where available.contains(prefix + name) && !small.contains(prefix + name) {
                small.append(prefix + name)
            }
            var weights: [String] = []
            for format in weightFormats {
                if available.contains(prefix + format.file) {
                    weights.append(prefix + format.file)
                    break
                }
                if available.contains(prefix + format.index) {
                    small.append(prefix + format.index)
                    for shard in try shards(of: prefix + format.index, model: model, readJSON: readJSON) {
                        let name = prefix + shard
                        guard available.contains(name) else {
                            throw HubError.invalidResponse(model: model, reason: "\(prefix + format.index) names \(shard), which the repository does not have")
                        }
                        if !weights.contains(name) { weights.append(name) }
                    }
                    break
                }
            }
            if folder.isEmpty { rootWeights = weights } else { moduleWeights += weights }
        }
        guard !rootWeights.isEmpty || !moduleWeights.isEmpty else {
            throw HubError.noUsableFiles(model: model, files: files)
        }
        return small + moduleWeights + rootWeights
    }

    /// The `.gguf` files of a repository, for repositories that ship only GGUF.
    public static func ggufFiles(in files: [String]) -> [String] {
        files.filter { $0.lowercased().hasSuffix(".gguf") }.sorted()
    }

    /// The shard file names of a `*.index.json` (its `weight_map` values), validated as file names.
    static func shards(of index: String, model: String, readJSON: (String) throws -> Data) throws -> [String] {
        guard let object = try JSONSerialization.jsonObject(with: readJSON(index)) as? [String: Any],
              let weightMap = object["weight_map"] as? [String: String] else {
            throw HubError.invalidResponse(model: model, reason: "\(index) has no weight_map")
        }
        var shards: [String] = []
        for shard in weightMap.values.sorted() where !shards.contains(shard) {
            try HubPath.validate(shard, context: "shard in \(model)/\(index)")
            shards.append(shard)
        }
        return shards
    }

    /// True when `snapshot` holds a usable model: `config.json` and a complete set of weights (all shards of an index)
    /// at the top, or in the folder of the `Transformer` module `modules.json` names (older sentence-transformers
    /// models keep it in `0_Transformer/`). Apus writes those weights last, so a snapshot it left half-done fails this
    /// check and is completed by the next run.
    public static func isComplete(snapshot: URL) -> Bool {
        if hasConfigurationAndWeights(snapshot) { return true }
        guard let data = try? Data(contentsOf: snapshot.appendingPathComponent("modules.json")),
              let modules = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else { return false }
        for module in modules {
            guard let type = module["type"] as? String, type.hasSuffix(".Transformer"),
                  let path = module["path"] as? String, !path.isEmpty, (try? HubPath.validate(path, context: "")) != nil else { continue }
            return hasConfigurationAndWeights(snapshot.appendingPathComponent(path))
        }
        return false
    }

    private static func hasConfigurationAndWeights(_ folder: URL) -> Bool {
        let manager = FileManager.default
        func exists(_ name: String) -> Bool { manager.fileExists(atPath: folder.appendingPathComponent(name).path) }
        guard exists("config.json") else { return false }
        for format in weightFormats {
            if exists(format.file) { return true }
            if exists(format.index) {
                guard let data = try? Data(contentsOf: folder.appendingPathComponent(format.index)),
                      let shards = try? shards(of: format.index, model: "", readJSON: { _ in data }) else { return false }
                return shards.allSatisfy(exists)
            }
        }
        return false
    }
}
