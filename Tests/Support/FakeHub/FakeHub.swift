// A Hugging Face Hub on 127.0.0.1 for tests: HTTP/1.1 over POSIX sockets, one thread per connection,
// `Connection: close` on every answer. It serves the routes and headers huggingface_hub relies on
// (file_download.py, hf_api.py): the revision listing, `resolve` with X-Repo-Commit / ETag / X-Linked-Etag /
// X-Linked-Size, a 302 for LFS files to a CDN path on another host name (`localhost` instead of 127.0.0.1, so a
// client that forwards `Authorization` across hosts is caught), `Range` → 206, and errors with the Hub's
// X-Error-Code / X-Error-Message headers. Faults can be injected: a connection cut mid-file, a corrupt byte,
// a listing with a hostile file name.
import ApusHub
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One model repository: commits (each a set of files) and the branches and tags pointing at them.
public struct FakeRepository: Sendable {
    /// commit hash → file name → contents.
    public var commits: [String: [String: Data]]
    /// branch or tag → commit hash (`main` must be one).
    public var refs: [String: String]
    /// Files served through the LFS redirect (their ETag is the sha256), by suffix.
    public var lfsSuffixes = [".safetensors", ".bin", ".gguf", ".onnx", ".h5", ".msgpack", ".ot"]
    /// Requires a token for `resolve` (401 without one, 403 with a wrong one), as a gated model does.
    public var gated = false
    /// Names added to every listing without being served (to check a client refuses them).
    public var extraListedNames: [String] = []

    /// A repository whose `main` points at one commit holding `files`.
    public init(files: [String: Data], commit: String = FakeRepository.commitHash("main")) {
        commits = [commit: files]
        refs = ["main": commit]
    }

    /// A deterministic 40-hex commit hash from a label.
    public static func commitHash(_ label: String) -> String {
        var hasher = SHA256Hasher()
        hasher.update(Array(label.utf8))
        return String(hasher.hexDigest().prefix(40))
    }

    /// Every file of a folder on disk, named by relative path.
    public static func files(in folder: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        let base = folder.resolvingSymlinksInPath().path + "/"
        guard let walker = FileManager.default.enumerator(at: folder.resolvingSymlinksInPath(), includingPropertiesForKeys: [.isRegularFileKey]) else { return files }
        for case let url as URL in walker where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
            let name = String(url.resolvingSymlinksInPath().path.dropFirst(base.count))
            if name.hasPrefix(".") { continue }
            files[name] = try Data(contentsOf: url)
        }
        return files
    }
}

/// A request as the server saw it.
public struct FakeHubRequest: Sendable {
    public let method: String
    public let path: String
    /// Header names lowercased.
    public let headers: [String: String]
}

/// The server. Start it, point `HF_ENDPOINT` at `endpoint`, read `requests` afterwards.
public final class FakeHub: @unchecked Sendable {
    private let lock = NSLock()
    private var repositories: [String: FakeRepository]
    private var log: [FakeHubRequest] = []
    private var cuts: [String: Int] = [:]
    private var corrupted: Set<String> = []
    private var listener: Int32 = -1
    /// The port on 127.0.0.1.
    public private(set) var port: UInt16 = 0
    /// The token gated repositories accept.
    public let validToken: String
    /// Pause after each 64 KiB piece of a file body (to make concurrent downloads overlap).
    public var pausePerPiece: TimeInterval = 0

    /// `http://127.0.0.1:{port}`, for `HF_ENDPOINT`.
    public var endpoint: String { "http://127.0.0.1:\(port)" }

    /// Every request so far, in order.
    public var requests: [FakeHubRequest] { lock.lock(); defer { lock.unlock() }; return log }

    /// A hub serving `repositories` (id → repository); call `start()`.
    public init(repositories: [String: FakeRepository], validToken: String = "hf_test_token") {
        self.repositories = repositories
        self.validToken = validToken
    }

    /// Replaces or adds a repository.
    public func setRepository(_ id: String, _ repository: FakeRepository) { lock.lock(); repositories[id] = repository; lock.unlock() }

    /// The next GET of `file`'s content sends `bytes` bytes and then drops the connection.
    public func cutConnection(serving file: String, after bytes: Int) { lock.lock(); cuts[file] = bytes; lock.unlock() }

    /// `file` is served with its first byte changed (so its sha256 no longer matches its ETag).
    public func corrupt(_ file: String) { lock.lock(); corrupted.insert(file); lock.unlock() }

    /// Forgets the request log.
    public func clearLog() { lock.lock(); log.removeAll(); lock.unlock() }

    /// The sha256 of `data` as the Hub writes it in ETags.
    public static func sha256(_ data: Data) -> String {
        var hasher = SHA256Hasher()
        hasher.update(data)
        return hasher.hexDigest()
    }

    /// Binds 127.0.0.1 on a free port and starts accepting.
    public func start() throws {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        #if canImport(Darwin)
        address.sin_len = UInt8(MemoryLayout<sockaddr_in>.size)
        #endif
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(fd, 64) == 0 else { close(fd); throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        port = UInt16(bigEndian: address.sin_port)
        listener = fd
        let thread = Thread { [self] in acceptLoop(fd) }
        thread.start()
    }

    /// Stops accepting (open connections finish on their own).
    public func stop() {
        lock.lock(); let fd = listener; listener = -1; lock.unlock()
        if fd >= 0 { shutdown(fd, Int32(SHUT_RDWR)); close(fd) }
    }

    deinit { stop() }

    private func acceptLoop(_ fd: Int32) {
        while true {
            let client = accept(fd, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            let thread = Thread { [self] in
                handle(client)
                close(client)
            }
            thread.start()
        }
    }

    // MARK: - HTTP

    private func handle(_ client: Int32) {
        var buffer = [UInt8]()
        var piece = [UInt8](repeating: 0, count: 4096)
        while !buffer.containsHeaderEnd {
            let count = recv(client, &piece, piece.count, 0)
            if count <= 0 { return }
            buffer.append(contentsOf: piece[0..<count])
            if buffer.count > 65536 { return }
        }
        let head = String(decoding: buffer, as: UTF8.self).components(separatedBy: "\r\n\r\n")[0]
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ").map(String.init)
        guard requestLine.count >= 2 else { return }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let request = FakeHubRequest(method: requestLine[0], path: requestLine[1], headers: headers)
        lock.lock(); log.append(request); lock.unlock()
        let reply = route(request)
        send(client, reply, method: request.method)
    }

    /// An answer; `cutAfter` stops the body after that many bytes and closes the socket.
    struct Reply {
        var status: Int
        var headers: [(String, String)] = []
        var body = Data()
        var cutAfter: Int?
    }

    private func send(_ client: Int32, _ reply: Reply, method: String) {
        var text = "HTTP/1.1 \(reply.status) \(Self.reason(reply.status))\r\n"
        var headers = reply.headers
        if !headers.contains(where: { $0.0.lowercased() == "content-length" }) { headers.append(("Content-Length", "\(reply.body.count)")) }
        headers.append(("Connection", "close"))
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        text += "\r\n"
        guard write(client, Data(text.utf8)), method != "HEAD" else { return }
        var body = reply.body
        if let cut = reply.cutAfter { body = body.prefix(cut) }
        var offset = 0
        while offset < body.count {
            let end = min(offset + 65536, body.count)
            guard write(client, body.subdata(in: offset..<end)) else { return }
            offset = end
            if pausePerPiece > 0 { Thread.sleep(forTimeInterval: pausePerPiece) }
        }
    }

    private func write(_ client: Int32, _ data: Data) -> Bool {
        data.withUnsafeBytes { raw in
            var sent = 0
            while sent < raw.count {
                #if os(Linux)
                let count = Glibc.send(client, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
                #else
                let count = Darwin.send(client, raw.baseAddress! + sent, raw.count - sent, 0)
                #endif
                if count <= 0 { return false }
                sent += count
            }
            return true
        }
    }

    static func reason(_ status: Int) -> String {
        [200: "OK", 206: "Partial Content", 302: "Found", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
         416: "Range Not Satisfiable"][status] ?? "Status"
    }

    // MARK: - Routes

    private func hubError(_ status: Int, code: String, message: String, commit: String? = nil) -> Reply {
        var headers = [("X-Error-Code", code), ("X-Error-Message", message), ("Content-Type", "application/json")]
        if let commit { headers.append(("X-Repo-Commit", commit)) }
        return Reply(status: status, headers: headers, body: Data("{\"error\": \"\(message)\"}".utf8))
    }

    private func route(_ request: FakeHubRequest) -> Reply {
        let pathOnly = request.path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? request.path
        let parts = pathOnly.split(separator: "/", omittingEmptySubsequences: true).map { $0.removingPercentEncoding ?? String($0) }
        lock.lock(); let repositories = self.repositories; lock.unlock()
        // /api/models/{org}/{name}/revision/{revision}
        if parts.count == 6, parts[0] == "api", parts[1] == "models", parts[4] == "revision" {
            let id = parts[2] + "/" + parts[3]
            guard let repository = repositories[id] else { return hubError(404, code: "RepoNotFound", message: "Repository not found") }
            guard let commit = repository.refs[parts[5]] ?? (repository.commits[parts[5]] != nil ? parts[5] : nil),
                  let files = repository.commits[commit] else {
                return hubError(404, code: "RevisionNotFound", message: "Invalid rev id: \(parts[5])")
            }
            var siblings: [[String: Any]] = files.keys.sorted().map { name in
                var entry: [String: Any] = ["rfilename": name, "size": files[name]!.count]
                if repository.lfsSuffixes.contains(where: name.hasSuffix) {
                    entry["lfs"] = ["sha256": Self.sha256(files[name]!), "size": files[name]!.count, "pointerSize": 134]
                }
                return entry
            }
            siblings += repository.extraListedNames.map { ["rfilename": $0, "size": 10] }
            let body = try! JSONSerialization.data(withJSONObject: ["id": id, "sha": commit, "siblings": siblings], options: [.sortedKeys])
            return Reply(status: 200, headers: [("Content-Type", "application/json")], body: body)
        }
        // /{org}/{name}/resolve/{revision}/{file...}
        if parts.count >= 5, parts[2] == "resolve" {
            let id = parts[0] + "/" + parts[1]
            guard let repository = repositories[id] else { return hubError(401, code: "RepoNotFound", message: "Repository not found") }
            guard let commit = repository.refs[parts[3]] ?? (repository.commits[parts[3]] != nil ? parts[3] : nil),
                  let files = repository.commits[commit] else {
                return hubError(404, code: "RevisionNotFound", message: "Invalid rev id: \(parts[3])")
            }
            if repository.gated {
                let authorization = request.headers["authorization"]
                if authorization == nil {
                    return hubError(401, code: "GatedRepo", message: "Access to model \(id) is restricted. You must have access to it and be authenticated to access it. Please log in.")
                }
                if authorization != "Bearer \(validToken)" {
                    return hubError(403, code: "GatedRepo", message: "Access to model \(id) is restricted and you are not in the authorized list.")
                }
            }
            let name = parts[4...].joined(separator: "/")
            guard let content = files[name] else { return hubError(404, code: "EntryNotFound", message: "Entry not found", commit: commit) }
            if repository.lfsSuffixes.contains(where: name.hasSuffix) {
                let sha = Self.sha256(content)
                return Reply(status: 302, headers: [
                    ("Location", "http://localhost:\(port)/cdn/\(sha)?name=\(name.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._")) ?? "")"),
                    ("X-Repo-Commit", commit), ("X-Linked-Etag", "\"\(sha)\""), ("X-Linked-Size", "\(content.count)"),
                    ("ETag", "\"pointer-\(sha.prefix(16))\""),
                ])
            }
            let etag = String(Self.sha256(Data("blob \(content.count)\0".utf8) + content).prefix(40))
            return body(content, name: name, request: request, headers: [("X-Repo-Commit", commit), ("ETag", "\"\(etag)\"")])
        }
        // /cdn/{sha256}: the LFS storage, any host name.
        if parts.count == 2, parts[0] == "cdn" {
            for repository in repositories.values {
                for files in repository.commits.values {
                    for (name, content) in files where Self.sha256(content) == parts[1] {
                        return body(content, name: name, request: request, headers: [("ETag", "\"\(parts[1])\"")])
                    }
                }
            }
            return Reply(status: 404, body: Data("no such object".utf8))
        }
        return hubError(404, code: "NotFound", message: "no route for \(request.path)")
    }

    /// A file body with `Range` support and the injected faults.
    private func body(_ content: Data, name: String, request: FakeHubRequest, headers: [(String, String)]) -> Reply {
        var content = content
        lock.lock()
        let cut = request.method == "GET" ? cuts.removeValue(forKey: name) : nil
        let corrupt = corrupted.contains(name)
        lock.unlock()
        if corrupt, !content.isEmpty { content[content.startIndex] ^= 0xFF }
        var reply = Reply(status: 200, headers: headers + [("Accept-Ranges", "bytes")], body: content)
        if let range = request.headers["range"], range.hasPrefix("bytes="), let start = Int(range.dropFirst(6).split(separator: "-").first ?? "") {
            guard start < content.count else {
                return Reply(status: 416, headers: [("Content-Range", "bytes */\(content.count)")])
            }
            reply.status = 206
            reply.body = content.subdata(in: start..<content.count)
            reply.headers.append(("Content-Range", "bytes \(start)-\(content.count - 1)/\(content.count)"))
        }
        if let cut { reply.cutAfter = cut }
        return reply
    }
}

private extension Array where Element == UInt8 {
    var containsHeaderEnd: Bool {
        guard count >= 4 else { return false }
        for index in 0...(count - 4) where self[index] == 13 && self[index + 1] == 10 && self[index + 2] == 13 && self[index + 3] == 10 { return true }
        return false
    }
}
