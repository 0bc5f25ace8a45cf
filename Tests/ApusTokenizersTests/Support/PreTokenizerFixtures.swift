import Foundation
@testable import ApusTokenizers

/// The fixtures of scripts/make_pretokenizer_fixtures.py (Tests/Fixtures/tokenizers/pretokenizers/).
enum PreTokenizerFixtures {
    /// The texts a case key indexes: the parity texts, then the file's `extra_texts`.
    static func texts(extra: [String]) throws -> [String] {
        try Fixtures.parityTexts() + extra
    }

    /// `tokenizers/pretokenizers/name`.
    static func load<Value: Decodable>(_ name: String, as type: Value.Type) throws -> Value {
        try Fixtures.json("tokenizers/pretokenizers/\(name)", as: type)
    }

    /// `text`'s scalars.
    static func scalars(_ text: String) -> [Unicode.Scalar] { Array(text.unicodeScalars) }

    /// Ranges flattened as `[start0, end0, start1, end1, ...]`.
    static func flatten(_ ranges: [Range<Int>]) -> [Int] { ranges.flatMap { [$0.lowerBound, $0.upperBound] } }
}
