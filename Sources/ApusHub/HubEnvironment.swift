import Foundation

/// The settings huggingface_hub reads from the environment (constants.py), read the same way.
public struct HubEnvironment: Sendable {
    /// `HF_ENDPOINT`, default `https://huggingface.co`, without a trailing `/`.
    public var endpoint: String
    /// The cache root: `HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`.
    public var cacheDirectory: URL
    /// `HF_TOKEN`, else the token file (`HF_TOKEN_PATH`, else `$HF_HOME/token`).
    public var token: String?
    /// `HF_HUB_OFFLINE` set to a true value: never make a request.
    public var offline: Bool

    /// Reads the variables from `environment` (the process's by default).
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        func nonEmpty(_ key: String) -> String? {
            guard let value = environment[key]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
            return value
        }
        func expand(_ path: String) -> String { (path as NSString).expandingTildeInPath }
        let home = environment["HOME"].map { URL(fileURLWithPath: $0) } ?? FileManager.default.homeDirectoryForCurrentUser
        // constants.py: HF_HOME defaults to $XDG_CACHE_HOME/huggingface, XDG_CACHE_HOME to ~/.cache.
        let xdgCache = nonEmpty("XDG_CACHE_HOME").map { URL(fileURLWithPath: expand($0)) } ?? home.appendingPathComponent(".cache")
        let hfHome = nonEmpty("HF_HOME").map { URL(fileURLWithPath: expand($0)) } ?? xdgCache.appendingPathComponent("huggingface")
        cacheDirectory = (nonEmpty("HF_HUB_CACHE") ?? nonEmpty("HUGGINGFACE_HUB_CACHE")).map { URL(fileURLWithPath: expand($0)) }
            ?? hfHome.appendingPathComponent("hub")
        var endpoint = nonEmpty("HF_ENDPOINT") ?? "https://huggingface.co"
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        self.endpoint = endpoint
        if let token = nonEmpty("HF_TOKEN") ?? nonEmpty("HUGGING_FACE_HUB_TOKEN") {
            self.token = token
        } else {
            let tokenFile = nonEmpty("HF_TOKEN_PATH").map { URL(fileURLWithPath: expand($0)) } ?? hfHome.appendingPathComponent("token")
            let stored = (try? String(contentsOf: tokenFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            self.token = (stored?.isEmpty ?? true) ? nil : stored
        }
        // utils/_runtime / constants._is_true: "1", "ON", "YES", "TRUE" (any case).
        offline = ["1", "on", "yes", "true"].contains((environment["HF_HUB_OFFLINE"] ?? environment["TRANSFORMERS_OFFLINE"] ?? "").lowercased())
    }
}
