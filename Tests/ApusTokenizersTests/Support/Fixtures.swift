import Foundation
import Testing
@testable import ApusTokenizers

/// Where the tokenizer tests find their fixtures and the real all-MiniLM-L6-v2 tokenizer.
enum Fixtures {
    /// The repository root, from this file's path (Tests/ApusTokenizersTests/Support/Fixtures.swift).
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Tests/Fixtures/`path`.
    static func url(_ path: String) -> URL {
        repositoryRoot.appendingPathComponent("Tests/Fixtures").appendingPathComponent(path)
    }

    /// A fixture file that is missing or unreadable, with what to run to make it.
    struct Missing: Error, CustomStringConvertible {
        let description: String
    }

    /// The all-MiniLM-L6-v2 directory: `$APUS_MINILM_PATH`, else `<repo>/.cache/models/all-MiniLM-L6-v2`.
    static var miniLMDirectory: URL {
        if let path = ProcessInfo.processInfo.environment["APUS_MINILM_PATH"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return repositoryRoot.appendingPathComponent(".cache/models/all-MiniLM-L6-v2")
    }

    /// The real all-MiniLM-L6-v2 tokenizer; a missing model fails the test with how to fetch it.
    static func miniLMTokenizer() throws -> Tokenizer {
        let url = miniLMDirectory.appendingPathComponent("tokenizer.json")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw Missing(description: "all-MiniLM-L6-v2 not found at \(url.path): run scripts/fetch-minilm.sh "
                + "(or set APUS_MINILM_PATH to a directory holding its tokenizer.json)")
        }
        return try Tokenizer(contentsOf: url)
    }

    /// Decodes every line of the JSON-lines fixture at `path`. Lines are split on U+000A bytes only (JSON escapes
    /// it inside strings), and decoded with JSONDecoder, which keeps a string's leading U+FEFF.
    static func jsonLines<Line: Decodable>(_ path: String, as type: Line.Type) throws -> [Line] {
        let data = try Data(contentsOf: url(path))
        return try data.split(separator: UInt8(ascii: "\n")).map { try JSONDecoder().decode(Line.self, from: Data($0)) }
    }

    /// Decodes the JSON fixture at `path`.
    static func json<Value: Decodable>(_ path: String, as type: Value.Type) throws -> Value {
        try JSONDecoder().decode(Value.self, from: Data(contentsOf: url(path)))
    }

    /// The parity texts (Tests/Fixtures/texts/parity-texts.jsonl), in order.
    static func parityTexts() throws -> [String] {
        struct Line: Decodable { let text: String }
        return try jsonLines("texts/parity-texts.jsonl", as: Line.self).map(\.text)
    }

    /// Offsets flattened as `[start0, end0, start1, end1, ...]` (the fixtures' format) as ranges.
    static func ranges(_ flat: [Int]) -> [Range<Int>] {
        stride(from: 0, to: flat.count - 1, by: 2).map { flat[$0]..<flat[$0 + 1] }
    }
}

extension Tokenizer {
    /// A tokenizer from inline tokenizer.json text, for tests.
    convenience init(json: String, source: String = "test/tokenizer.json") throws {
        try self.init(data: Data(json.utf8), source: source)
    }
}
