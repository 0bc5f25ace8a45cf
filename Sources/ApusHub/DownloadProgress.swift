import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the downloader reports what it does.
public protocol DownloadProgress: Sendable {
    /// A line of news: which model, which commit, waiting for another process.
    func note(_ message: String)
    /// A file starts; `size` when the Hub gave it, `resumingAt` bytes already on disk.
    func started(file: String, size: Int64?, resumingAt: Int64)
    /// Bytes of the current file on disk so far.
    func advanced(file: String, bytes: Int64)
    /// The current file is in the cache.
    func finished(file: String, bytes: Int64)
}

/// Reports on stderr: a redrawn bar on a terminal, one plain line per file otherwise (logs, CI).
public final class TerminalProgress: DownloadProgress, @unchecked Sendable {
    private let lock = NSLock()
    private let interactive: Bool
    private var size: Int64?
    private var start = Date()
    private var lastDraw = Date.distantPast
    /// Files from this size on get a line when they start, not only when done.
    static let bigFile: Int64 = 10_000_000

    /// A reporter; `interactive` defaults to whether stderr is a terminal.
    public init(interactive: Bool = isatty(2) != 0) { self.interactive = interactive }

    public func note(_ message: String) { write("apus: \(message)\n") }

    public func started(file: String, size: Int64?, resumingAt: Int64) {
        lock.lock(); self.size = size; start = Date(); lastDraw = .distantPast; lock.unlock()
        // Plain output: a line when a big file starts (so a log shows what is taking time), one when each file is done.
        if !interactive, (size ?? Self.bigFile) >= Self.bigFile || resumingAt > 0 {
            write("apus: downloading \(file)" + (size.map { " (\(Self.format($0)))" } ?? "")
                  + (resumingAt > 0 ? ", resuming at \(Self.format(resumingAt))" : "") + "\n")
        }
    }

    public func advanced(file: String, bytes: Int64) {
        guard interactive else { return }
        lock.lock()
        let now = Date(), due = now.timeIntervalSince(lastDraw) >= 0.1, size = self.size
        if due { lastDraw = now }
        lock.unlock()
        if due { write("\r" + Self.bar(file: file, bytes: bytes, size: size) + "\u{1B}[K") }
    }

    public func finished(file: String, bytes: Int64) {
        lock.lock(); let seconds = Date().timeIntervalSince(start); lock.unlock()
        let line = "\(file) \(Self.format(bytes)) in \(String(format: "%.1f", seconds)) s"
        write(interactive ? "\r\(Self.bar(file: file, bytes: bytes, size: bytes)) \u{1B}[K\n" : "apus: \(line)\n")
    }

    static func bar(file: String, bytes: Int64, size: Int64?) -> String {
        guard let size, size > 0 else { return "\(file) \(format(bytes))" }
        let fraction = min(1, Double(bytes) / Double(size)), width = 24
        let filled = Int(fraction * Double(width))
        return "\(file) [" + String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
            + "] \(Int(fraction * 100))% \(format(bytes))/\(format(size))"
    }

    static func format(_ bytes: Int64) -> String {
        if bytes < 1000 { return "\(bytes) B" }
        if bytes < 1_000_000 { return String(format: "%.1f kB", Double(bytes) / 1e3) }
        if bytes < 1_000_000_000 { return String(format: "%.1f MB", Double(bytes) / 1e6) }
        return String(format: "%.2f GB", Double(bytes) / 1e9)
    }

    private func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }
}
