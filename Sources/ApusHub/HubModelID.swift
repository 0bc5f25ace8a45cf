import Foundation

/// A model named the way Python names it: `org/name`, optionally `@revision` (branch, tag or commit) and,
/// for GGUF repositories, one file inside it: `org/name/model-Q8_0.gguf@v1.0`.
///
/// The checks mirror huggingface_hub's `validate_repo_id` (utils/_validators.py) and go a little further for
/// revisions: anything that could walk out of `refs/` in the cache (`..`, a leading `/`, backslashes) is
/// refused before a request is made or a path is built.
public struct HubModelID: Sendable, Hashable, CustomStringConvertible {
    /// `namespace/name` (or a bare `name` for the Hub's legacy top-level models).
    public let repository: String
    /// Branch, tag or 40-hex commit; `nil` means the default branch, `main`.
    public let revision: String?
    /// A single `.gguf` file inside the repository, when the spec names one.
    public let file: String?

    /// The revision asked for, `main` when none was given (huggingface_hub's `DEFAULT_REVISION`).
    public var effectiveRevision: String { revision ?? "main" }

    /// The spec as a user would type it.
    public var description: String {
        repository + (file.map { "/" + $0 } ?? "") + (revision.map { "@" + $0 } ?? "")
    }

    /// Builds an id from parts, validating each.
    public init(repository: String, revision: String? = nil, file: String? = nil) throws {
        try Self.validateRepository(repository)
        if let revision { try Self.validateRevision(revision, repository: repository) }
        if let file { try HubPath.validate(file, context: "file name in \(repository)") }
        self.repository = repository
        self.revision = revision
        self.file = file
    }

    /// Parses `org/name[/file.gguf][@revision]`.
    ///
    /// The revision comes last and may itself contain `/` (`refs/pr/3`); everything after the first `@` is the revision.
    public init(parsing spec: String) throws {
        var body = Substring(spec)
        var revision: String?
        if let at = spec.firstIndex(of: "@") {
            body = spec[..<at]
            revision = String(spec[spec.index(after: at)...])
        }
        let parts = body.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        var repository = parts.joined(separator: "/")
        var file: String?
        if parts.count > 2 {
            repository = parts[0...1].joined(separator: "/")
            let rest = parts[2...].joined(separator: "/")
            guard rest.lowercased().hasSuffix(".gguf") else {
                throw HubError.invalidModelID(spec: spec, reason: "only a .gguf file may follow org/name (got '\(rest)')")
            }
            file = rest
        }
        do {
            try self.init(repository: repository, revision: revision, file: file)
        } catch HubError.invalidModelID(_, let reason) {
            throw HubError.invalidModelID(spec: spec, reason: reason)
        }
    }

    /// True when `spec` looks like a Hub id rather than a filesystem path (no leading `/`, `.`, `~`, no `\`).
    public static func looksLikeHubID(_ spec: String) -> Bool {
        guard let first = spec.first, !["/", ".", "~"].contains(first), !spec.contains("\\") else { return false }
        return true
    }

    /// huggingface_hub's `validate_repo_id`: 1–96 characters of `[A-Za-z0-9_.-]` per part, at most one `/`,
    /// no part starting or ending with `-` or `.`, no `--` or `..`, no `.git` suffix.
    static func validateRepository(_ repository: String) throws {
        func fail(_ reason: String) -> HubError { .invalidModelID(spec: repository, reason: reason) }
        let parts = repository.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count) else { throw fail("a Hub id is 'name' or 'namespace/name'") }
        for part in parts {
            guard (1...96).contains(part.count) else { throw fail("each part of a Hub id has 1 to 96 characters") }
            guard part.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "-_.".unicodeScalars.contains($0)) }) else {
                throw fail("a Hub id uses only letters, digits, '-', '_' and '.'")
            }
            guard let first = part.first, let last = part.last, !"-.".contains(first), !"-.".contains(last) else {
                throw fail("a part of a Hub id cannot start or end with '-' or '.'")
            }
        }
        if repository.contains("--") || repository.contains("..") { throw fail("a Hub id cannot contain '--' or '..'") }
        if repository.hasSuffix(".git") { throw fail("a Hub id cannot end with '.git'") }
    }

    /// A revision becomes a path under `refs/` in the cache, so it must stay a plain relative path there.
    static func validateRevision(_ revision: String, repository: String) throws {
        func fail(_ reason: String) -> HubError { .invalidModelID(spec: "\(repository)@\(revision)", reason: reason) }
        guard !revision.isEmpty, revision.utf8.count <= 255 else { throw fail("a revision has 1 to 255 characters") }
        guard revision.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "-_./+".unicodeScalars.contains($0)) }) else {
            throw fail("a revision uses only letters, digits and '-', '_', '.', '/', '+'")
        }
        let parts = revision.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }) else {
            throw fail("a revision cannot have empty, '.' or '..' path parts")
        }
    }

    /// True for a full 40-hex commit hash (huggingface_hub's `REGEX_COMMIT_HASH`).
    public static func isCommitHash(_ revision: String) -> Bool {
        revision.utf8.count == 40 && revision.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}

/// Checks on file names that come from a user or from the server before they become paths in the cache.
enum HubPath {
    /// A repository-relative file name: `/`-separated, no empty, `.` or `..` parts, no leading `/`, no `\` or NUL.
    static func validate(_ name: String, context: String) throws {
        func fail(_ reason: String) -> HubError { .unsafeFileName(name: name, context: context, reason: reason) }
        guard !name.isEmpty, name.utf8.count <= 1024 else { throw fail("empty or too long") }
        guard !name.hasPrefix("/") else { throw fail("absolute path") }
        guard !name.contains("\\"), !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw fail("backslash or control character")
        }
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }) else { throw fail("empty, '.' or '..' path part") }
    }
}
