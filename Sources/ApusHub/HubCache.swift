import Foundation

/// huggingface_hub's cache layout (file_download.py), so Python and Apus share one cache:
///
///     {cache}/models--{org}--{name}/
///         blobs/{etag}                 file contents, named by the Hub's ETag (the sha256 for LFS files)
///         blobs/{etag}.incomplete      a download in progress (resumed with Range by the next run)
///         refs/{revision}              the commit a branch or tag pointed to when last fetched
///         snapshots/{commit}/{file}    relative symlinks into ../../blobs (one more ../ per folder level)
///         .no_exist/{commit}/{file}    an empty marker: the Hub said this optional file does not exist
///     {cache}/.locks/models--{org}--{name}/{etag}.lock   flock held while one process writes that blob
public struct HubCache: Sendable {
    /// The cache root (`HF_HUB_CACHE`).
    public let root: URL

    /// A cache at `root`.
    public init(root: URL) { self.root = root }

    /// `models--org--name` (huggingface_hub's `repo_folder_name`).
    public static func folderName(repository: String) -> String {
        (["models"] + repository.split(separator: "/").map(String.init)).joined(separator: "--")
    }

    /// The repository's folder.
    public func repositoryFolder(_ repository: String) -> URL {
        root.appendingPathComponent(Self.folderName(repository: repository), isDirectory: true)
    }

    /// `snapshots/{commit}`.
    public func snapshotFolder(_ repository: String, commit: String) -> URL {
        repositoryFolder(repository).appendingPathComponent("snapshots", isDirectory: true).appendingPathComponent(commit, isDirectory: true)
    }

    /// `blobs/{etag}`.
    func blob(_ repository: String, etag: String) -> URL {
        repositoryFolder(repository).appendingPathComponent("blobs", isDirectory: true).appendingPathComponent(etag)
    }

    /// `.locks/models--org--name/{etag}.lock`.
    func lockFile(_ repository: String, etag: String) -> URL {
        root.appendingPathComponent(".locks", isDirectory: true).appendingPathComponent(Self.folderName(repository: repository), isDirectory: true)
            .appendingPathComponent(etag + ".lock")
    }

    /// `.no_exist/{commit}/{file}`.
    func noExistMarker(_ repository: String, commit: String, file: String) -> URL {
        repositoryFolder(repository).appendingPathComponent(".no_exist", isDirectory: true).appendingPathComponent(commit, isDirectory: true)
            .appendingPathComponent(file)
    }

    /// The commit a revision resolves to in the cache: itself for a full hash, else the content of `refs/{revision}`.
    public func commit(_ repository: String, revision: String) -> String? {
        if HubModelID.isCommitHash(revision) { return revision }
        let ref = repositoryFolder(repository).appendingPathComponent("refs", isDirectory: true).appendingPathComponent(revision)
        guard let text = try? String(contentsOf: ref, encoding: .utf8) else { return nil }
        let commit = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return HubModelID.isCommitHash(commit) ? commit : nil
    }

    /// Writes `refs/{revision}` atomically (temporary file + rename, as `_cache_commit_hash_for_specific_revision`
    /// does), without a trailing newline; nothing for a revision that is already the commit.
    func recordRef(_ repository: String, revision: String, commit: String) throws {
        guard revision != commit else { return }
        let ref = repositoryFolder(repository).appendingPathComponent("refs", isDirectory: true).appendingPathComponent(revision)
        if (try? String(contentsOf: ref, encoding: .utf8)) == commit { return }
        try FileManager.default.createDirectory(at: ref.deletingLastPathComponent(), withIntermediateDirectories: true)
        let temporary = ref.deletingLastPathComponent().appendingPathComponent(ref.lastPathComponent + "." + Self.shortUnique() + ".tmp")
        try Data(commit.utf8).write(to: temporary)
        guard rename(temporary.path, ref.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: reason])
        }
    }

    /// Points `snapshots/{commit}/{file}` at `blobs/{etag}` with a relative link, replacing what was there.
    func link(_ repository: String, commit: String, file: String, etag: String) throws {
        let pointer = snapshotFolder(repository, commit: commit).appendingPathComponent(file)
        try FileManager.default.createDirectory(at: pointer.deletingLastPathComponent(), withIntermediateDirectories: true)
        // snapshots/{commit}/a/b.json → ../../../blobs/{etag}: two levels for snapshots/{commit}, one per folder in file.
        let depth = 2 + file.split(separator: "/").count - 1
        let target = String(repeating: "../", count: depth) + "blobs/" + etag
        if (try? FileManager.default.destinationOfSymbolicLink(atPath: pointer.path)) == target { return }
        _ = unlink(pointer.path)
        guard symlink(target, pointer.path) == 0 else {
            if errno == EEXIST, (try? FileManager.default.destinationOfSymbolicLink(atPath: pointer.path)) == target { return }
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "symlink \(pointer.path): " + String(cString: strerror(errno))])
        }
    }

    /// Writes the backup-tool tag huggingface_hub writes (_local_folder.py `_create_cachedir_tag`), once.
    func tagAsCache() {
        let tag = root.appendingPathComponent("CACHEDIR.TAG")
        guard !FileManager.default.fileExists(atPath: tag.path) else { return }
        let content = "Signature: 8a477f597d28d172789f06886806bc55\n"
            + "# This file is a cache directory tag created by huggingface_hub.\n"
            + "# For information about cache directory tags, see:\n"
            + "#\thttps://bford.info/cachedir/\n"
        try? Data(content.utf8).write(to: tag)
    }

    /// The path of `file` in a snapshot, checked to stay inside it once symlinks are followed.
    func existingFile(_ repository: String, commit: String, file: String) -> URL? {
        let snapshot = snapshotFolder(repository, commit: commit)
        let pointer = snapshot.appendingPathComponent(file)
        guard FileManager.default.fileExists(atPath: pointer.path) else { return nil }
        let repositoryRoot = repositoryFolder(repository).resolvingSymlinksInPath().path + "/"
        guard pointer.resolvingSymlinksInPath().path.hasPrefix(repositoryRoot) else { return nil }
        return pointer
    }

    static func shortUnique() -> String { String(UUID().uuidString.prefix(8)).lowercased() }
}
