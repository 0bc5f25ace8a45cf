import Foundation
import Testing
@testable import ApusTokenizers

/// Strip, Prepend and Precompiled on small cases, and the errors a broken charsmap gives.
@Suite struct SentencePieceNormalizersTests {
    static func normalized(_ text: String, _ normalizer: any Normalizer) -> (String, [Range<Int>]) {
        var normalized = NormalizedText(text)
        normalizer.normalize(&normalized)
        return (normalized.string, normalized.alignments)
    }

    @Test func stripKeepsTheAlignmentsOfWhatStays() {
        #expect(Self.normalized("  ab \t", Strip(stripLeft: true, stripRight: true)) == ("ab", [2..<3, 3..<4]))
        #expect(Self.normalized("  ab ", Strip(stripLeft: false, stripRight: true)) == ("  ab", [0..<1, 1..<2, 2..<3, 3..<4]))
        #expect(Self.normalized("   ", Strip(stripLeft: true, stripRight: false)).0 == "")
    }

    @Test func prependSharesTheFirstScalarsAlignment() {
        #expect(Self.normalized("ab", Prepend(prefix: "▁▁")) == ("▁▁ab", [0..<1, 0..<1, 0..<1, 1..<2]))
        #expect(Self.normalized("", Prepend(prefix: "▁")).0 == "")
    }

    @Test func brokenCharsmapsAreNamedErrors() {
        func error(_ charsmap: String) -> String {
            let json = #"{"normalizer": {"type": "Precompiled", "precompiled_charsmap": "\#(charsmap)"}, "model": \#(TinyUnigram.modelJSON())}"#
            do {
                _ = try Tokenizer(json: json, source: "bad/tokenizer.json")
                return ""
            } catch {
                return "\(error)"
            }
        }
        #expect(error("not base64!").contains("normalizer.precompiled_charsmap"))
        #expect(error("AAE=").contains("fewer than the 4-byte trie size"))
        // A trie size of 0x100 bytes in an 8-byte blob.
        #expect(error(Data([0, 1, 0, 0, 1, 2, 3, 4]).base64EncodedString()).contains("a trie of 256 bytes in a blob of 8"))
    }

    @Test func anEmptyTrieChangesNothing() throws {
        let charsMap = try PrecompiledCharsMap(bytes: [0, 0, 0, 0])
        #expect(Self.normalized("a\u{301}b", Precompiled(charsMap: charsMap)) == ("a\u{301}b", [0..<1, 1..<2, 2..<3]))
    }
}
