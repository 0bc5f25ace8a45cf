import Foundation

/// Turns what a user passes as `--model` into a path on disk, in this order:
/// 1. an existing local folder or file (a model folder, a `.gguf`, a `tokenizer.json`);
/// 2. a Hub id (`org/name`, `org/name@revision`, `org/name/file.gguf`) already in the shared cache — no request;
/// 3. the same id downloaded into the cache (unless `HF_HUB_OFFLINE=1`).
///
/// ```swift
/// let folder = try ModelResolver().resolve("sentence-transformers/all-MiniLM-L6-v2")
/// // ~/.cache/huggingface/hub/models--sentence-transformers--all-MiniLM-L6-v2/snapshots/<commit>
/// ```
public struct ModelResolver: Sendable {
    /// Endpoint, cache, token and offline switch.
    public let environment: HubEnvironment
    /// Receives download progress; `nil` for silence.
    public let progress: (any DownloadProgress)?

    /// A resolver reading the process environment, reporting downloads on stderr.
    public init(environment: HubEnvironment = HubEnvironment(), progress: (any DownloadProgress)? = TerminalProgress()) {
        self.environment = environment
        self.progress = progress
    }

    /// The local folder or file `spec` names; downloads it first when it is a Hub id missing from the cache.
    public func resolve(_ spec: String) throws -> URL {
        let path = (spec as NSString).expandingTildeInPath
        if FileManager.default.fileExists(atPath: path) { return URL(fileURLWithPath: path) }
        guard HubModelID.looksLikeHubID(spec) else { throw HubError.localPathNotFound(path: spec) }
        let id = try HubModelID(parsing: spec)
        if let cached = cachedModel(id) { return cached }
        if environment.offline {
            throw HubError.notInCache(model: id.description, cache: environment.cacheDirectory.path, missing: missingDescription(id))
        }
        return try HubDownloader(environment: environment, progress: progress).download(id)
    }

    /// The cached snapshot (or `.gguf` file) for `id`, when the cache holds a complete one; never makes a request.
    ///
    /// A branch or tag resolves through `refs/`, so a model stays at the commit first fetched until that ref is
    /// updated (by Apus with `@commit`, or by Python's huggingface_hub, which rewrites refs on every online call).
    public func cachedModel(_ id: HubModelID) -> URL? {
        let cache = HubCache(root: environment.cacheDirectory)
        guard let commit = cache.commit(id.repository, revision: id.effectiveRevision) else { return nil }
        if let file = id.file { return cache.existingFile(id.repository, commit: commit, file: file) }
        // A GGUF-only repository named without its file is not looked up here: the cache cannot tell whether
        // the repository has other .gguf files, so the listing decides (name the file to skip the request).
        let snapshot = cache.snapshotFolder(id.repository, commit: commit)
        return HubFileSelection.isComplete(snapshot: snapshot) ? snapshot : nil
    }

    /// What the cache lacks for `id`, for the offline error.
    func missingDescription(_ id: HubModelID) -> String {
        let cache = HubCache(root: environment.cacheDirectory)
        let folder = cache.repositoryFolder(id.repository)
        guard FileManager.default.fileExists(atPath: folder.path) else { return "no \(folder.lastPathComponent) folder" }
        guard let commit = cache.commit(id.repository, revision: id.effectiveRevision) else {
            return "no refs/\(id.effectiveRevision) in \(folder.lastPathComponent)"
        }
        if let file = id.file { return "snapshot \(commit) has no \(file)" }
        return "snapshot \(commit) lacks config.json or complete weights"
    }
}
