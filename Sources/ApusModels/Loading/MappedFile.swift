import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped read-only into memory, unmapped when the last reference goes away.
///
/// The weights stay in the page cache, shared with other processes and never copied into the heap; tensors
/// borrowed from a checkpoint keep this object alive through their `TensorStorage`. The mapping is read-only:
/// writing through a borrowed tensor's pointer faults, which is what weights should do.
///
/// `@unchecked Sendable`: every stored property is immutable after `init`, and the memory is never written.
final class MappedFile: @unchecked Sendable {
    /// The mapped path.
    let url: URL
    /// The file's contents; empty (with a nil base address) for an empty file, which `mmap` cannot map.
    let bytes: UnsafeRawBufferPointer

    /// Maps `url` read-only; throws `LoadingError.cannotOpen` naming the file and the system's reason.
    init(url: URL) throws {
        self.url = url
        func failure(_ what: String) -> LoadingError {
            .cannotOpen(file: url.path, reason: "\(what)\(String(cString: strerror(errno)))")
        }
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure("") }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw failure("fstat: ") }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw LoadingError.cannotOpen(file: url.path, reason: "not a regular file")
        }
        let byteCount = Int(status.st_size)
        guard byteCount > 0 else {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        // MAP_PRIVATE: changes to the file by another process after mapping need not show up here.
        guard let address = mmap(nil, byteCount, PROT_READ, MAP_PRIVATE, descriptor, 0), address != MAP_FAILED else {
            throw failure("mmap: ")
        }
        bytes = UnsafeRawBufferPointer(start: address, count: byteCount)
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }

    /// Whether `pointer` points into this mapping.
    func contains(_ pointer: UnsafeRawPointer) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        return pointer >= base && pointer < base + bytes.count
    }
}
