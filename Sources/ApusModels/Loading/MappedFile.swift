import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped read-only into memory; unmapped when the last reference goes away.
///
/// Tensors borrowed from a checkpoint keep this object alive through their `TensorStorage`.
public final class MappedFile: @unchecked Sendable {
    /// The mapped path.
    public let url: URL
    /// First byte of the mapping (nil for an empty file).
    public let baseAddress: UnsafeRawPointer?
    /// File size in bytes.
    public let byteCount: Int

    /// Maps `url` read-only.
    public init(url: URL) throws {
        self.url = url
        let descriptor = open(url.path, O_RDONLY)
        guard descriptor >= 0 else {
            throw LoadingError.cannotOpen(file: url.path, reason: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw LoadingError.cannotOpen(file: url.path, reason: String(cString: strerror(errno)))
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw LoadingError.cannotOpen(file: url.path, reason: "not a regular file")
        }
        byteCount = Int(status.st_size)
        if byteCount == 0 {
            baseAddress = nil
            return
        }
        let address = mmap(nil, byteCount, PROT_READ, MAP_PRIVATE, descriptor, 0)
        guard let address, address != MAP_FAILED else {
            throw LoadingError.cannotOpen(file: url.path, reason: "mmap failed: \(String(cString: strerror(errno)))")
        }
        baseAddress = UnsafeRawPointer(address)
    }

    deinit {
        if let baseAddress { munmap(UnsafeMutableRawPointer(mutating: baseAddress), byteCount) }
    }

    /// The bytes `range` of the file; `range` must lie inside it.
    public func bytes(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        precondition(range.lowerBound >= 0 && range.upperBound <= byteCount, "range \(range) outside \(byteCount) bytes")
        guard let baseAddress else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: baseAddress + range.lowerBound, count: range.count)
    }
}
