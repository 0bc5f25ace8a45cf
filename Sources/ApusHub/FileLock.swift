import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive `flock` on a lock file, the same kind of lock Python's `filelock` (behind huggingface_hub's
/// `WeakFileLock`) takes on `.locks/models--…/{etag}.lock`, so Apus and Python never write one blob at once.
final class FileLock {
    private let descriptor: Int32

    /// Blocks until the lock on `url` is held; `onWait` is called once if another process holds it.
    init(_ url: URL, onWait: () -> Void = {}) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let descriptor = open(url.path, O_RDWR | O_CREAT, 0o644)
        guard descriptor >= 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "open \(url.path): " + String(cString: strerror(errno))])
        }
        if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            onWait()
            while flock(descriptor, LOCK_EX) != 0 {
                guard errno == EINTR else {
                    let reason = String(cString: strerror(errno))
                    close(descriptor)
                    throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "flock \(url.path): \(reason)"])
                }
            }
        }
        self.descriptor = descriptor
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
