import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP answer: status, headers (names lowercased) and the URL asked.
struct HubHTTPResponse: Sendable {
    let url: URL
    let status: Int
    let headers: [String: String]
    /// The body, for answers not streamed to a file (listings, errors); at most `HubHTTPClient.bodyLimit` bytes.
    let body: Data

    /// A header by name, case-insensitively.
    func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// The Hub's error code (`X-Error-Code`: RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo).
    var errorCode: String? { header("X-Error-Code") }

    /// The Hub's message (`X-Error-Message`), else a short JSON `error` field from the body.
    var errorMessage: String? {
        if let message = header("X-Error-Message"), !message.isEmpty { return message }
        if let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any], let error = object["error"] as? String { return error }
        return nil
    }
}

/// Synchronous requests over URLSession that never follow redirects by themselves: the downloader follows them,
/// so it can read the Hub's headers on the 302 and drop `Authorization` when the next hop is another host
/// (as huggingface_hub does for LFS files served from a CDN).
struct HubHTTPClient: Sendable {
    /// Largest body kept in memory (file listings run to a few hundred KB; a 1000-file repo stays below this).
    static let bodyLimit = 16 << 20
    /// Seconds without a byte before a request fails.
    var idleTimeout: TimeInterval = 30

    /// Sends `method` to `url`; a 2xx body goes to `sink` with the status when one is given (streamed), else into `body`.
    /// Transport failures (refused, DNS, timeout, a cut connection) throw `HubHTTPClient.TransportError`.
    func send(_ method: String, _ url: URL, headers: [String: String], sink: ((_ status: Int, _ data: Data) throws -> Void)? = nil) throws -> HubHTTPResponse {
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.timeoutInterval = idleTimeout
        // No compression: the size must be the file's (file_download.py sets the same header).
        request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = idleTimeout
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        let delegate = RequestDelegate(sink: sink)
        let session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        let task = session.dataTask(with: request)
        task.resume()
        delegate.done.wait()
        let outcome = delegate.outcome()
        if let sinkError = outcome.sinkError { throw sinkError }
        if let error = outcome.error { throw TransportError(url: url, reason: Self.describe(error)) }
        guard let response = outcome.response else { throw TransportError(url: url, reason: "no response") }
        var headers: [String: String] = [:]
        for (name, value) in response.allHeaderFields {
            if let name = name as? String, let value = value as? String { headers[name.lowercased()] = value }
        }
        return HubHTTPResponse(url: url, status: response.statusCode, headers: headers, body: outcome.body)
    }

    /// A request that got no HTTP answer, or lost the connection mid-body.
    struct TransportError: Error, CustomStringConvertible {
        let url: URL
        let reason: String
        var description: String { "\(url.absoluteString): \(reason)" }
    }

    private static func describe(_ error: Error) -> String {
        let nsError = error as NSError
        switch nsError.code {
        case NSURLErrorCannotConnectToHost: return "connection refused"
        case NSURLErrorCannotFindHost, NSURLErrorDNSLookupFailed: return "unknown host"
        case NSURLErrorTimedOut: return "timed out"
        case NSURLErrorNotConnectedToInternet: return "not connected to the internet"
        case NSURLErrorNetworkConnectionLost: return "connection lost"
        default: return nsError.localizedDescription
        }
    }
}

/// Collects one task's response; hands 2xx bodies to the sink and refuses every redirect.
private final class RequestDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private let sink: ((Int, Data) throws -> Void)?
    private var response: HTTPURLResponse?
    private var body = Data()
    private var error: Error?
    private var sinkError: Error?

    init(sink: ((Int, Data) throws -> Void)?) { self.sink = sink }

    func outcome() -> (response: HTTPURLResponse?, body: Data, error: Error?, sinkError: Error?) {
        lock.lock(); defer { lock.unlock() }
        return (response, body, error, sinkError)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void) {
        completionHandler(nil)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void) {
        lock.lock()
        self.response = response as? HTTPURLResponse
        lock.unlock()
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        lock.lock(); defer { lock.unlock() }
        guard sinkError == nil else { return }
        if let sink, let status = response?.statusCode, (200..<300).contains(status) {
            do { try sink(status, data) } catch {
                sinkError = error
                dataTask.cancel()
            }
        } else if body.count < HubHTTPClient.bodyLimit {
            body.append(data.prefix(HubHTTPClient.bodyLimit - body.count))
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        lock.lock()
        if let error, sinkError == nil { self.error = error }
        if response == nil, let http = task.response as? HTTPURLResponse { response = http }
        lock.unlock()
        done.signal()
    }
}
