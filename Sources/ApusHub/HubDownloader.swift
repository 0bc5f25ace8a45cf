import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Fetches a model's files from the Hub into the shared cache, the way huggingface_hub's `snapshot_download`
/// and `hf_hub_download` do (file_download.py): list the revision's files, then for each file a HEAD on its
/// `resolve` URL for the commit, ETag and size, a GET (following the redirect to the CDN for LFS files) into
/// `blobs/{etag}.incomplete` under a lock, and a relative symlink from the snapshot.
///
/// Nothing from the server is trusted: file names, the commit and ETags are checked before they become paths,
/// sizes against the listing, LFS contents against their sha256.
public struct HubDownloader: Sendable {
    /// Where to reach the Hub and who to be.
    public let environment: HubEnvironment
    /// Where files go.
    public let cache: HubCache
    /// Receives progress; `nil` for silence.
    public let progress: (any DownloadProgress)?
    var client = HubHTTPClient()
    /// Attempts per file when the connection drops mid-body; each resumes where the last stopped.
    static let attemptsPerFile = 3
    /// Redirect hops followed before giving up.
    static let maximumRedirects = 10

    /// A downloader for `environment`'s endpoint and cache.
    public init(environment: HubEnvironment, progress: (any DownloadProgress)? = nil) {
        self.environment = environment
        self.cache = HubCache(root: environment.cacheDirectory)
        self.progress = progress
    }

    /// One file of a revision as the listing gives it.
    struct ListedFile: Sendable {
        let name: String
        let size: Int64?
        let lfsSHA256: String?
    }

    /// The commit and files of a revision (`GET /api/models/{repo}/revision/{revision}?blobs=true`).
    func listing(_ id: HubModelID) throws -> (commit: String, files: [ListedFile]) {
        let model = id.description
        let url = try makeURL("/api/models/\(id.repository)/revision/\(Self.escape(id.effectiveRevision, keepSlash: false))?blobs=true", model: model)
        let response = try request("GET", url, model: model, followAbsoluteRedirects: true)
        guard response.status == 200 else { throw failure(response, id: id, file: nil) }
        guard let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any] else {
            throw HubError.invalidResponse(model: model, reason: "the file listing from \(url.absoluteString) is not JSON")
        }
        guard let commit = object["sha"] as? String, HubModelID.isCommitHash(commit) else {
            throw HubError.invalidResponse(model: model, reason: "the file listing has no 40-hex commit 'sha'")
        }
        var files: [ListedFile] = []
        for sibling in object["siblings"] as? [[String: Any]] ?? [] {
            guard let name = sibling["rfilename"] as? String else { continue }
            try HubPath.validate(name, context: "file listing of \(model)")
            let lfs = sibling["lfs"] as? [String: Any]
            let size = (lfs?["size"] as? NSNumber ?? sibling["size"] as? NSNumber)?.int64Value
            if let size, size < 0 { throw HubError.invalidResponse(model: model, reason: "negative size for \(name)") }
            files.append(ListedFile(name: name, size: size, lfsSHA256: (lfs?["sha256"] as? String)?.lowercased()))
        }
        return (commit, files)
    }

    /// Downloads what `id` needs into the cache and returns the snapshot folder (or the `.gguf` file it names).
    public func download(_ id: HubModelID) throws -> URL {
        let model = id.description
        let (commit, files) = try listing(id)
        let names = files.map(\.name)
        progress?.note("fetching \(model) (commit \(commit.prefix(12))) into \(cache.root.path)")
        let wanted: [String]
        if let file = id.file {
            guard names.contains(file) else { throw HubError.noSuchFile(model: model, file: file, available: HubFileSelection.ggufFiles(in: names)) }
            wanted = [file]
        } else {
            do {
                wanted = try HubFileSelection.select(from: names, model: model) { name in
                    try Data(contentsOf: fetch(name, listed: files, commit: commit, id: id))
                }
            } catch HubError.noUsableFiles(let model, let all) {
                // A GGUF-only repository with exactly one .gguf: that file; with several, the user picks.
                let gguf = HubFileSelection.ggufFiles(in: all)
                guard gguf.count == 1 else {
                    if gguf.isEmpty { throw HubError.noUsableFiles(model: model, files: all) }
                    throw HubError.invalidModelID(spec: model, reason: "the repository has several .gguf files; name one, e.g. \(id.repository)/\(gguf[0])")
                }
                wanted = gguf
            }
        }
        try writingCache(model: model, path: cache.repositoryFolder(id.repository)) {
            try cache.recordRef(id.repository, revision: id.effectiveRevision, commit: commit)
            cache.tagAsCache()
        }
        for name in wanted { _ = try fetch(name, listed: files, commit: commit, id: id) }
        let snapshot = cache.snapshotFolder(id.repository, commit: commit)
        if wanted.count == 1, wanted[0].lowercased().hasSuffix(".gguf") { return snapshot.appendingPathComponent(wanted[0]) }
        return snapshot
    }

    /// Puts one file of `commit` into the snapshot (unless it is there) and returns its path.
    func fetch(_ name: String, listed: [ListedFile], commit: String, id: HubModelID) throws -> URL {
        if let existing = cache.existingFile(id.repository, commit: commit, file: name) { return existing }
        let model = id.description
        let listedFile = listed.first { $0.name == name }
        let url = try makeURL("/\(id.repository)/resolve/\(commit)/\(Self.escape(name, keepSlash: true))", model: model)
        // HEAD follows only relative redirects (renamed repositories), like get_hf_file_metadata: an absolute
        // Location is the CDN, and the Hub's headers on that 302 are the ones that describe the file.
        let head = try request("HEAD", url, model: model, followAbsoluteRedirects: false)
        guard (200..<400).contains(head.status) else {
            if head.status == 404, head.errorCode == "EntryNotFound" || head.errorCode == nil,
               let missingCommit = head.header("X-Repo-Commit"), HubModelID.isCommitHash(missingCommit) {
                let marker = cache.noExistMarker(id.repository, commit: missingCommit, file: name)
                try? FileManager.default.createDirectory(at: marker.deletingLastPathComponent(), withIntermediateDirectories: true)
                _ = FileManager.default.createFile(atPath: marker.path, contents: nil)
            }
            throw failure(head, id: id, file: name)
        }
        guard let servedCommit = head.header("X-Repo-Commit") else {
            throw HubError.invalidResponse(model: model, reason: "no X-Repo-Commit header for \(name): is HF_ENDPOINT (\(environment.endpoint)) a Hub?")
        }
        guard servedCommit == commit else {
            throw HubError.invalidResponse(model: model, reason: "\(name) was served from commit \(servedCommit), the listing said \(commit)")
        }
        guard let rawETag = head.header("X-Linked-Etag") ?? head.header("ETag") else {
            throw HubError.invalidResponse(model: model, reason: "no ETag for \(name)")
        }
        let etag = Self.normalizeETag(rawETag)
        guard Self.isSafeETag(etag) else { throw HubError.invalidResponse(model: model, reason: "ETag '\(rawETag)' for \(name) is not a plain name") }
        let headerSize = (head.header("X-Linked-Size") ?? ((300..<400).contains(head.status) ? nil : head.header("Content-Length"))).flatMap { Int64($0) }
        if let headerSize, let listedSize = listedFile?.size, headerSize != listedSize {
            throw HubError.invalidResponse(model: model, reason: "\(name) is \(headerSize) bytes by its headers but \(listedSize) by the listing")
        }
        let expectedSize = headerSize ?? listedFile?.size
        var expectedSHA256: String? = Self.isSHA256(etag) ? etag : nil
        if let listedSHA = listedFile?.lfsSHA256 {
            if let expected = expectedSHA256, expected != listedSHA {
                throw HubError.invalidResponse(model: model, reason: "\(name) has ETag \(etag) but the listing's sha256 is \(listedSHA)")
            }
            expectedSHA256 = listedSHA
        }
        var location = url
        if (300..<400).contains(head.status) {
            guard let target = head.header("Location").flatMap({ URL(string: $0, relativeTo: url)?.absoluteURL }) else {
                throw HubError.invalidResponse(model: model, reason: "redirect without a Location for \(name)")
            }
            location = target
        }

        let blob = cache.blob(id.repository, etag: etag)
        try writingCache(model: model, path: blob.deletingLastPathComponent()) {
            try FileManager.default.createDirectory(at: blob.deletingLastPathComponent(), withIntermediateDirectories: true)
        }
        let lock = try writingCache(model: model, path: cache.lockFile(id.repository, etag: etag)) {
            try FileLock(cache.lockFile(id.repository, etag: etag)) { progress?.note("waiting for another process downloading \(name)") }
        }
        defer { withExtendedLifetime(lock) {} }
        if !FileManager.default.fileExists(atPath: blob.path) {
            try downloadBlob(name: name, from: location, to: blob, size: expectedSize, sha256: expectedSHA256, id: id)
        }
        try writingCache(model: model, path: cache.snapshotFolder(id.repository, commit: commit).path + "/" + name) {
            try cache.link(id.repository, commit: commit, file: name, etag: etag)
        }
        return cache.snapshotFolder(id.repository, commit: commit).appendingPathComponent(name)
    }

    /// Streams `url` into `{blob}.incomplete`, resuming with `Range` from whatever a previous run left there,
    /// checks the size and sha256, and renames it to `blob`. The caller holds the blob's lock.
    func downloadBlob(name: String, from url: URL, to blob: URL, size: Int64?, sha256: String?, id: HubModelID) throws {
        let model = id.description
        let incomplete = URL(fileURLWithPath: blob.path + ".incomplete")
        let manager = FileManager.default
        var attempt = 0
        while true {
            attempt += 1
            if !manager.fileExists(atPath: incomplete.path) {
                try writingCache(model: model, path: incomplete.path) {
                    guard manager.createFile(atPath: incomplete.path, contents: nil) else {
                        throw CocoaError(.fileWriteNoPermission)
                    }
                }
            }
            var onDisk = (try? manager.attributesOfItem(atPath: incomplete.path)[.size] as? NSNumber)?.int64Value ?? 0
            if let size, onDisk > size {
                // Longer than the file: not a prefix of it. Start over (truncate in place, keeping the inode).
                try writingCache(model: model, path: incomplete.path) {
                    let handle = try FileHandle(forWritingTo: incomplete)
                    defer { try? handle.close() }
                    try handle.truncate(atOffset: 0)
                }
                onDisk = 0
            }
            if onDisk < (size ?? Int64.max) {
                let handle = try writingCache(model: model, path: incomplete.path) { try FileHandle(forWritingTo: incomplete) }
                defer { try? handle.close() }
                _ = try writingCache(model: model, path: incomplete.path) { try handle.seekToEnd() }
                progress?.started(file: name, size: size, resumingAt: onDisk)
                var written = onDisk
                var restarted = false
                let headers = onDisk > 0 ? ["Range": "bytes=\(onDisk)-"] : [:]
                let response: HubHTTPResponse
                do {
                    response = try request("GET", url, model: model, followAbsoluteRedirects: true, extraHeaders: headers) { status, data in
                        // A server that ignores Range answers 200 with the whole file: start the file over.
                        if status == 200, onDisk > 0, !restarted {
                            try handle.truncate(atOffset: 0)
                            written = 0
                            restarted = true
                        }
                        try handle.write(contentsOf: data)
                        written += Int64(data.count)
                        progress?.advanced(file: name, bytes: written)
                    }
                } catch let error as HubHTTPClient.TransportError {
                    // Keep what arrived; the next attempt (or the next run) resumes from it.
                    if attempt < Self.attemptsPerFile { continue }
                    throw HubError.connectionFailed(model: model, endpoint: url.host ?? environment.endpoint, reason: error.reason)
                } catch let error as HubError {
                    throw error
                } catch {
                    throw HubError.cacheWriteFailed(model: model, path: incomplete.path, reason: Self.describe(error))
                }
                if response.status == 416 {
                    // Range past the end: what is on disk is not a prefix of this file.
                    try? manager.removeItem(at: incomplete)
                    if attempt < Self.attemptsPerFile { continue }
                }
                guard (200..<300).contains(response.status) else { throw failure(response, id: id, file: name) }
                if let size, written < size {
                    if attempt < Self.attemptsPerFile { continue }
                    throw HubError.connectionFailed(model: model, endpoint: url.host ?? environment.endpoint,
                                                    reason: "\(name) stopped at \(written) of \(size) bytes")
                }
            }
            break
        }
        let actualSize = (try? manager.attributesOfItem(atPath: incomplete.path)[.size] as? NSNumber)?.int64Value ?? -1
        if let size, actualSize != size {
            try? manager.removeItem(at: incomplete)
            throw HubError.invalidResponse(model: model, reason: "\(name) is \(actualSize) bytes, expected \(size); removed, run again")
        }
        if let sha256 {
            let actual = try Self.sha256(of: incomplete)
            guard actual == sha256 else {
                try? manager.removeItem(at: incomplete)
                throw HubError.invalidResponse(model: model, reason: "\(name) has sha256 \(actual), expected \(sha256); the corrupt download was removed")
            }
        }
        try writingCache(model: model, path: blob.path) {
            guard rename(incomplete.path, blob.path) == 0 else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: String(cString: strerror(errno))])
            }
        }
        progress?.finished(file: name, bytes: actualSize)
    }

    /// Sends a request, following redirects (all of them, or only relative ones) and sending the token only to
    /// the endpoint's own host.
    func request(_ method: String, _ url: URL, model: String, followAbsoluteRedirects: Bool, extraHeaders: [String: String] = [:],
                 sink: ((Int, Data) throws -> Void)? = nil) throws -> HubHTTPResponse {
        let endpoint = URL(string: environment.endpoint)
        var current = url
        for _ in 0...Self.maximumRedirects {
            var headers = extraHeaders
            headers["User-Agent"] = "apus; hf_hub-compatible"
            if let token = environment.token, Self.sameOrigin(current, endpoint) { headers["Authorization"] = "Bearer \(token)" }
            let response: HubHTTPResponse
            do {
                response = try client.send(method, current, headers: headers, sink: sink)
            } catch let error as HubHTTPClient.TransportError {
                if sink != nil { throw error }
                let target = Self.sameOrigin(current, endpoint) ? environment.endpoint : current.host ?? current.absoluteString
                throw HubError.connectionFailed(model: model, endpoint: target, reason: error.reason)
            }
            guard [301, 302, 303, 307, 308].contains(response.status), let location = response.header("Location") else { return response }
            let isRelative = !location.contains("://")
            guard followAbsoluteRedirects || isRelative else { return response }
            guard let next = URL(string: location, relativeTo: current)?.absoluteURL, ["http", "https"].contains(next.scheme?.lowercased() ?? "") else {
                throw HubError.invalidResponse(model: model, reason: "redirect to '\(location)'")
            }
            current = next
        }
        throw HubError.invalidResponse(model: model, reason: "more than \(Self.maximumRedirects) redirects from \(url.absoluteString)")
    }

    /// The error a failed answer means, using the Hub's `X-Error-Code` when it sends one (utils/_http.py).
    func failure(_ response: HubHTTPResponse, id: HubModelID, file: String?) -> HubError {
        let model = id.description
        switch (response.errorCode, response.status) {
        case ("RepoNotFound", _): return .repositoryNotFound(model: model, endpoint: environment.endpoint, hasToken: environment.token != nil)
        case ("RevisionNotFound", _): return .revisionNotFound(model: model, revision: id.effectiveRevision)
        case ("EntryNotFound", _): return .fileNotFound(model: model, file: file ?? "?")
        case ("GatedRepo", _), (_, 401), (_, 403):
            return .accessDenied(model: model, status: response.status, serverMessage: response.errorMessage, hasToken: environment.token != nil)
        case (_, 404):
            return file.map { .fileNotFound(model: model, file: $0) }
                ?? .repositoryNotFound(model: model, endpoint: environment.endpoint, hasToken: environment.token != nil)
        default:
            return .httpStatus(model: model, url: response.url.absoluteString, status: response.status, serverMessage: response.errorMessage)
        }
    }

    private func makeURL(_ path: String, model: String) throws -> URL {
        guard let url = URL(string: environment.endpoint + path), url.scheme != nil else {
            throw HubError.invalidResponse(model: model, reason: "HF_ENDPOINT '\(environment.endpoint)' does not make a URL")
        }
        return url
    }

    /// Runs a cache write, turning file-system errors into one message that names the path (disk full, permissions).
    private func writingCache<T>(model: String, path: URL, _ body: () throws -> T) throws -> T {
        try writingCache(model: model, path: path.path, body)
    }

    private func writingCache<T>(model: String, path: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as HubError { throw error } catch {
            throw HubError.cacheWriteFailed(model: model, path: path, reason: Self.describe(error))
        }
    }

    static func describe(_ error: Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if nsError.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(nsError.code))) }
        return nsError.localizedDescription
    }

    /// `_normalize_etag`: drops a weak `W/` prefix and the quotes.
    static func normalizeETag(_ etag: String) -> String {
        var value = Substring(etag.trimmingCharacters(in: .whitespaces))
        if value.hasPrefix("W/") { value = value.dropFirst(2) }
        return value.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
    }

    /// An ETag becomes a file name in `blobs/`: letters, digits, `-`, `_`, `.`, not starting with `.`.
    static func isSafeETag(_ etag: String) -> Bool {
        guard (1...128).contains(etag.utf8.count), !etag.hasPrefix(".") else { return false }
        return etag.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "-_.".unicodeScalars.contains($0)) }
    }

    static func isSHA256(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// Scheme, host and port equal: the token goes only there (never to the CDN an LFS file redirects to).
    static func sameOrigin(_ url: URL, _ other: URL?) -> Bool {
        guard let other else { return false }
        return url.scheme?.lowercased() == other.scheme?.lowercased() && url.host?.lowercased() == other.host?.lowercased() && url.port == other.port
    }

    /// Percent-escapes a revision (every `/` too, as `quote(revision, safe="")`) or a file path (keeping `/`).
    static func escape(_ text: String, keepSlash: Bool) -> String {
        var allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
        if keepSlash { allowed.insert("/") }
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// The sha256 of a file, read in 1 MiB pieces.
    static func sha256(of url: URL) throws -> String {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        var hasher = SHA256Hasher()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(chunk) }
        return hasher.hexDigest()
    }
}
