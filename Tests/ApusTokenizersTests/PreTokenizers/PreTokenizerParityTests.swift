import Foundation
import Testing
@testable import ApusTokenizers

/// Every pre-tokenizer configuration of scripts/make_pretokenizer_fixtures.py against `pre_tokenize_str`:
/// the same words (byte-mapped where the pre-tokenizer maps bytes) at the same original offsets.
@Suite struct PreTokenizerParityTests {
    struct Fixture: Decodable {
        struct Configuration: Decodable {
            struct Case: Decodable {
                let offsets: [Int]
                let pieces: [String]?
            }
            let name: String
            let json: JSONValueBox
            let cases: [String: Case]
        }
        let extra_texts: [String]
        let pre_tokenizers: [Configuration]
    }

    static func check(_ file: String) throws {
        let fixture = try PreTokenizerFixtures.load(file, as: Fixture.self)
        let texts = try PreTokenizerFixtures.texts(extra: fixture.extra_texts)
        #expect(!fixture.pre_tokenizers.isEmpty)
        for configuration in fixture.pre_tokenizers {
            let preTokenizer: any PreTokenizer
            do {
                preTokenizer = try preTokenizerCatalog.decode(configuration.json.value, path: "pre_tokenizer", file: configuration.name)
            } catch {
                Issue.record("\(configuration.name): \(error)")
                continue
            }
            var failures = 0
            for (key, expected) in configuration.cases.sorted(by: { Int($0.key) ?? 0 < Int($1.key) ?? 0 }) {
                guard let index = Int(key), failures < 3 else { continue }
                let text = texts[index]
                let words = preTokenizer.split(NormalizedText(text))
                let offsets = PreTokenizerFixtures.flatten(words.map { $0.originalRange(of: 0..<$0.count) })
                let scalars = Array(text.unicodeScalars)
                let expectedPieces = expected.pieces ?? Fixtures.ranges(expected.offsets).map {
                    String(String.UnicodeScalarView(scalars[$0.clamped(to: 0..<scalars.count)]))
                }
                let pieces = words.map(\.string)
                if offsets != expected.offsets || !pieces.elementsEqual(expectedPieces, by: { $0.unicodeScalars.elementsEqual($1.unicodeScalars) }) {
                    failures += 1
                    Issue.record("\(configuration.name) on text \(index) \(text.debugDescription.prefix(60)): \(pieces.prefix(12)) \(offsets.prefix(24)) != \(expectedPieces.prefix(12)) \(expected.offsets.prefix(24))")
                }
            }
        }
    }

    @Test func pieceAndOffsetParity() throws { try Self.check("pretokenizers.json") }

    @Test func byteLevelParity() throws { try Self.check("pretokenizers-bytelevel.json") }
}

/// A JSON value from a fixture, re-parsed with the tokenizer's own JSON reader.
struct JSONValueBox: Decodable {
    let value: JSONValue

    init(from decoder: any Decoder) throws {
        let any = try AnyJSON(from: decoder)
        let data = try JSONSerialization.data(withJSONObject: any.object, options: [.fragmentsAllowed])
        value = try data.withUnsafeBytes { raw in try JSONValue.parse(raw.bindMemory(to: UInt8.self)) }
    }

    private struct AnyJSON: Decodable {
        let object: Any
        init(from decoder: any Decoder) throws {
            if var array = try? decoder.unkeyedContainer() {
                var items: [Any] = []
                while !array.isAtEnd { items.append(try array.decode(AnyJSON.self).object) }
                object = items
            } else if let keyed = try? decoder.container(keyedBy: Key.self) {
                var dictionary: [String: Any] = [:]
                for key in keyed.allKeys { dictionary[key.stringValue] = try keyed.decode(AnyJSON.self, forKey: key).object }
                object = dictionary
            } else {
                let single = try decoder.singleValueContainer()
                if single.decodeNil() { object = NSNull() }
                else if let bool = try? single.decode(Bool.self) { object = bool }
                else if let int = try? single.decode(Int.self) { object = int }
                else if let double = try? single.decode(Double.self) { object = double }
                else { object = try single.decode(String.self) }
            }
        }
    }

    private struct Key: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
