import Foundation

/// Everything that can go wrong finding or fetching a model; each message names the model and what to do.
public enum HubError: Error, CustomStringConvertible, Equatable {
    /// The spec is neither an existing path nor a valid Hub id.
    case invalidModelID(spec: String, reason: String)
    /// A file name (from the user or the server) that would leave the snapshot folder.
    case unsafeFileName(name: String, context: String, reason: String)
    /// 404 / `RepoNotFound` on the Hub (or 401 without a token, which the Hub also answers for private repos).
    case repositoryNotFound(model: String, endpoint: String, hasToken: Bool)
    /// 401 / 403 on a gated or private repository.
    case accessDenied(model: String, status: Int, serverMessage: String?, hasToken: Bool)
    /// `RevisionNotFound`: the branch, tag or commit does not exist.
    case revisionNotFound(model: String, revision: String)
    /// A file the listing promised is missing (`EntryNotFound`).
    case fileNotFound(model: String, file: String)
    /// The spec names a file (a `.gguf`) the repository does not have.
    case noSuchFile(model: String, file: String, available: [String])
    /// The spec is neither an existing local path nor a Hub id.
    case localPathNotFound(path: String)
    /// Any other HTTP status.
    case httpStatus(model: String, url: String, status: Int, serverMessage: String?)
    /// No connection: refused, unreachable host, DNS, timeout.
    case connectionFailed(model: String, endpoint: String, reason: String)
    /// The server's answer broke the protocol (missing `X-Repo-Commit`, bad JSON, wrong size, bad checksum).
    case invalidResponse(model: String, reason: String)
    /// The repository has none of the weight files Apus reads.
    case noUsableFiles(model: String, files: [String])
    /// `HF_HUB_OFFLINE=1` (or no connection) and the cache does not have the model.
    case notInCache(model: String, cache: String, missing: String)
    /// Writing the cache failed (disk full, permissions).
    case cacheWriteFailed(model: String, path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidModelID(let spec, let reason):
            return "'\(spec)' is not a local path or a valid Hub id (\(reason)); use org/name or org/name@revision"
        case .unsafeFileName(let name, let context, let reason):
            return "refusing file name '\(name)' (\(context)): \(reason)"
        case .repositoryNotFound(let model, let endpoint, let hasToken):
            return "\(model): no local folder of that name and no such model on \(endpoint). Check the name"
                + (hasToken ? "." : "; if it is private or gated, set HF_TOKEN (or log in with `hf auth login`).")
        case .accessDenied(let model, let status, let serverMessage, let hasToken):
            let hint = hasToken
                ? "your token does not give access: accept the model's terms on its Hub page or use a token with read access"
                : "this model is gated or private: accept its terms on the Hub and set HF_TOKEN (or log in with `hf auth login`)"
            return "\(model): access denied (HTTP \(status)\(serverMessage.map { ": " + $0 } ?? "")); \(hint)"
        case .revisionNotFound(let model, let revision):
            return "\(model): revision '\(revision)' not found (use an existing branch, tag or full commit hash)"
        case .fileNotFound(let model, let file):
            return "\(model): \(file) is listed but the Hub says it does not exist"
        case .noSuchFile(let model, let file, let available):
            return "\(model): the repository has no file \(file)"
                + (available.isEmpty ? "" : "; it has " + available.prefix(12).joined(separator: ", "))
        case .localPathNotFound(let path):
            return "\(path): no such file or directory (give a local model folder, or a Hub id like org/name)"
        case .httpStatus(let model, let url, let status, let serverMessage):
            return "\(model): HTTP \(status) from \(url)\(serverMessage.map { ": " + $0 } ?? "")"
        case .connectionFailed(let model, let endpoint, let reason):
            return "\(model): cannot reach \(endpoint) (\(reason)). Check the connection or HF_ENDPOINT, "
                + "or set HF_HUB_OFFLINE=1 to use the cache only"
        case .invalidResponse(let model, let reason):
            return "\(model): unexpected answer from the Hub: \(reason)"
        case .noUsableFiles(let model, let files):
            return "\(model): no weights Apus can read (model.safetensors, pytorch_model.bin or a .gguf); the repository has "
                + (files.isEmpty ? "no files" : files.prefix(12).joined(separator: ", ") + (files.count > 12 ? ", …" : ""))
        case .notInCache(let model, let cache, let missing):
            return "\(model): not in the cache at \(cache) (\(missing)); unset HF_HUB_OFFLINE to download it, "
                + "or download it once with a connection"
        case .cacheWriteFailed(let model, let path, let reason):
            return "\(model): cannot write \(path) (\(reason)); free disk space or point HF_HOME / HF_HUB_CACHE elsewhere"
        }
    }
}
