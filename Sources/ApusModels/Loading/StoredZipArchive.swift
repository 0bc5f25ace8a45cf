import Foundation

/// The entries of a ZIP archive whose members are stored uncompressed, read from a memory mapping — the
/// container `torch.save` writes (PyTorch's `PyTorchStreamWriter`, caffe2/serialize/inline_container.cc: every
/// record stored, method 0, its data aligned to 64 bytes so tensors can be mapped in place).
///
/// Only what that writer produces is accepted: stored entries (a compressed one is an error naming it), ZIP64
/// sizes and offsets for archives over 4 GiB, one disk. Every offset and size is checked against the file
/// before it is used. CRCs are not verified: the bytes are mapped, not read, and a wrong weight shows up in
/// the parity of the model's outputs long before a checksum would matter here.
struct StoredZipArchive {
    /// One stored member: its name and where its bytes are in the file.
    struct Entry: Sendable {
        let name: String
        let dataRange: Range<Int>
    }

    /// The file's path, for messages.
    let path: String
    /// Members by name.
    let entries: [String: Entry]

    private static let endOfCentralDirectorySignature: UInt32 = 0x0605_4b50
    private static let zip64LocatorSignature: UInt32 = 0x0706_4b50
    private static let zip64EndSignature: UInt32 = 0x0606_4b50
    private static let centralHeaderSignature: UInt32 = 0x0201_4b50
    private static let localHeaderSignature: UInt32 = 0x0403_4b50
    /// 22-byte end record plus the longest comment ZIP allows.
    private static let endRecordSearchSpan = 22 + 0xFFFF

    /// Reads the central directory of the archive in `bytes`; throws `invalidPyTorchCheckpoint` naming `path`.
    init(bytes: UnsafeRawBufferPointer, path: String) throws(LoadingError) {
        self.path = path
        let reader = ByteReader(bytes: bytes, path: path)

        // The end-of-central-directory record is the last one with its signature (a comment may follow it).
        guard bytes.count >= 22 else { throw reader.failure("\(bytes.count) bytes is too short for a ZIP archive") }
        var endOffset: Int?
        var candidate = bytes.count - 22
        let lowest = max(0, bytes.count - Self.endRecordSearchSpan)
        while candidate >= lowest {
            if reader.uint32(at: candidate) == Self.endOfCentralDirectorySignature { endOffset = candidate; break }
            candidate -= 1
        }
        guard let endOffset else { throw reader.failure("no ZIP end-of-central-directory record (not a torch.save zip file, or truncated)") }

        var entryCount = Int(reader.uint16(at: endOffset + 10))
        var directorySize = Int(reader.uint32(at: endOffset + 12))
        var directoryOffset = Int(reader.uint32(at: endOffset + 16))
        if entryCount == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            // ZIP64: a locator just before the end record points at the 64-bit end record.
            let locator = endOffset - 20
            guard locator >= 0, reader.uint32(at: locator) == Self.zip64LocatorSignature else {
                throw reader.failure("the end record asks for ZIP64 but there is no ZIP64 locator")
            }
            let zip64End = try reader.offset(reader.uint64(at: locator + 8), length: 56, what: "the ZIP64 end record")
            guard reader.uint32(at: zip64End) == Self.zip64EndSignature else { throw reader.failure("the ZIP64 end record has a wrong signature") }
            entryCount = try reader.count(reader.uint64(at: zip64End + 32), what: "the ZIP64 entry count")
            directorySize = try reader.count(reader.uint64(at: zip64End + 40), what: "the ZIP64 directory size")
            directoryOffset = try reader.count(reader.uint64(at: zip64End + 48), what: "the ZIP64 directory offset")
        }
        guard directoryOffset <= bytes.count, directorySize <= bytes.count - directoryOffset else {
            throw reader.failure("the central directory (\(directorySize) bytes at \(directoryOffset)) runs past the end of the \(bytes.count)-byte file")
        }
        // Each central header takes at least 46 bytes: a count beyond that is corrupt, caught before reserving.
        guard entryCount <= directorySize / 46 else {
            throw reader.failure("\(entryCount) entries cannot fit in a \(directorySize)-byte central directory")
        }

        var entries: [String: Entry] = [:]
        entries.reserveCapacity(entryCount)
        var position = directoryOffset
        let directoryEnd = directoryOffset + directorySize
        for _ in 0..<entryCount {
            guard position + 46 <= directoryEnd, reader.uint32(at: position) == Self.centralHeaderSignature else {
                throw reader.failure("central directory entry at byte \(position) is malformed")
            }
            let method = reader.uint16(at: position + 10)
            var compressedSize = UInt64(reader.uint32(at: position + 20))
            var size = UInt64(reader.uint32(at: position + 24))
            let nameLength = Int(reader.uint16(at: position + 28))
            let extraLength = Int(reader.uint16(at: position + 30))
            let commentLength = Int(reader.uint16(at: position + 32))
            var localOffset = UInt64(reader.uint32(at: position + 42))
            let nameStart = position + 46
            let extraStart = nameStart + nameLength
            let next = extraStart + extraLength + commentLength
            guard next <= directoryEnd else { throw reader.failure("central directory entry at byte \(position) runs past the directory") }
            guard let name = String(validating: UnsafeRawBufferPointer(rebasing: bytes[nameStart..<extraStart]), as: UTF8.self) else {
                throw reader.failure("an entry name at byte \(nameStart) is not UTF-8")
            }
            // ZIP64 extended information (tag 1) holds, in this order, whichever 32-bit fields are saturated.
            var extra = extraStart
            while extra + 4 <= extraStart + extraLength {
                let tag = reader.uint16(at: extra), length = Int(reader.uint16(at: extra + 2))
                var field = extra + 4
                let fieldEnd = field + length
                guard fieldEnd <= extraStart + extraLength else { throw reader.failure("entry '\(name)' has a malformed extra field") }
                if tag == 1 {
                    func widened(_ value: inout UInt64) throws(LoadingError) {
                        guard value == 0xFFFF_FFFF else { return }
                        guard field + 8 <= fieldEnd else { throw reader.failure("entry '\(name)' has a short ZIP64 extra field") }
                        value = reader.uint64(at: field)
                        field += 8
                    }
                    try widened(&size)
                    try widened(&compressedSize)
                    try widened(&localOffset)
                }
                extra = fieldEnd
            }
            guard method == 0 else {
                throw reader.failure("entry '\(name)' is compressed (method \(method)); torch.save stores every record uncompressed")
            }
            guard compressedSize == size else {
                throw reader.failure("entry '\(name)' is stored but its compressed size \(compressedSize) differs from its size \(size)")
            }
            let local = try reader.offset(localOffset, length: 30, what: "the local header of '\(name)'")
            guard reader.uint32(at: local) == Self.localHeaderSignature else {
                throw reader.failure("entry '\(name)': no local header at byte \(local)")
            }
            let dataStart = local + 30 + Int(reader.uint16(at: local + 26)) + Int(reader.uint16(at: local + 28))
            let byteCount = try reader.count(size, what: "the size of '\(name)'")
            guard dataStart <= bytes.count, byteCount <= bytes.count - dataStart else {
                throw reader.failure("entry '\(name)' (\(byteCount) bytes at \(dataStart)) runs past the end of the \(bytes.count)-byte file (truncated?)")
            }
            guard entries[name] == nil else { throw reader.failure("entry '\(name)' appears twice") }
            entries[name] = Entry(name: name, dataRange: dataStart..<(dataStart + byteCount))
            position = next
        }
        self.entries = entries
    }
}

/// Little-endian reads at byte offsets of a mapping, for the ZIP and pickle parsers; callers check bounds.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    let path: String

    func uint16(at offset: Int) -> UInt16 { UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self)) }
    func uint32(at offset: Int) -> UInt32 { UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
    func uint64(at offset: Int) -> UInt64 { UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }

    /// `value` as an offset with `length` readable bytes after it.
    func offset(_ value: UInt64, length: Int, what: String) throws(LoadingError) -> Int {
        guard value <= UInt64(bytes.count), length <= bytes.count - Int(value) else {
            throw failure("\(what) at byte \(value) lies outside the \(bytes.count)-byte file")
        }
        return Int(value)
    }

    /// `value` as a count no larger than the file.
    func count(_ value: UInt64, what: String) throws(LoadingError) -> Int {
        guard value <= UInt64(bytes.count) else { throw failure("\(what) (\(value)) exceeds the \(bytes.count)-byte file") }
        return Int(value)
    }

    func failure(_ reason: String) -> LoadingError { .invalidPyTorchCheckpoint(file: path, reason: reason) }
}
