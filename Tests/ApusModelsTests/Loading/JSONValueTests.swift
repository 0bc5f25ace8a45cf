import Foundation
import Testing
@testable import ApusModels

/// The strict JSON reader behind safetensors headers and shard indexes.
struct JSONValueTests {
    func parse(_ text: String) throws -> JSONValue { try parse(Array(text.utf8)) }

    func parse(_ bytes: [UInt8]) throws -> JSONValue { try bytes.withUnsafeBytes { try JSONValue.parse($0) } }

    func expectSyntaxError(_ text: String, at offset: Int, _ problem: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(throws: JSONValue.ParseError.syntax(offset: offset, problem: problem), sourceLocation: sourceLocation) { try parse(text) }
    }

    @Test func valuesOfEveryKind() throws {
        let value = try parse(#" {"a": [1, -0, 2.5e-3, true, false, null, "x"], "b": {}, "c": []} "#)
        #expect(value == .object([
            .init(key: "a", value: .array([.number("1"), .number("-0"), .number("2.5e-3"), .bool(true), .bool(false), .null, .string("x")])),
            .init(key: "b", value: .object([])),
            .init(key: "c", value: .array([])),
        ]))
    }

    @Test func duplicateKeysAreKeptInOrder() throws {
        #expect(try parse(#"{"k": 1, "k": 2}"#) == .object([.init(key: "k", value: .number("1")), .init(key: "k", value: .number("2"))]))
    }

    @Test func integersStayExact() throws {
        #expect(try parse("9007199254740993").integer == 9_007_199_254_740_993) // 2⁵³ + 1, not representable as Double
        #expect(try parse("9223372036854775807").integer == .max)
        #expect(try parse("9223372036854775808").integer == nil)
        #expect(try parse("1.0").integer == nil)
        #expect(try parse("1e3").integer == nil)
        #expect(try parse("true").integer == nil)
    }

    @Test func stringEscapes() throws {
        #expect(try parse(#""\"\\\/\b\f\n\r\t""#) == .string("\"\\/\u{08}\u{0C}\n\r\t"))
        #expect(try parse(#""\u00e9\u4E2D\ud83d\ude00""#) == .string("é中😀"))
        #expect(try parse("\"naïve 😀\"") == .string("naïve 😀"))
        expectSyntaxError(#""\ud83d""#, at: 1, "high surrogate without a following low surrogate")
        expectSyntaxError(#""\ud83d\u0041""#, at: 1, "high surrogate without a following low surrogate")
        expectSyntaxError(#""\ude00""#, at: 1, "lone low surrogate")
        expectSyntaxError(#""\x""#, at: 1, "invalid escape '\\x'")
        expectSyntaxError(#""\u12G4""#, at: 5, "expected four hexadecimal digits after \\u, found 'G'")
        expectSyntaxError("\"a\nb\"", at: 2, "unescaped control character 0xa in a string")
        expectSyntaxError("\"abc", at: 0, "unterminated string")
        expectSyntaxError("\"a\\nbc", at: 0, "unterminated string")
    }

    @Test func numberGrammar() {
        expectSyntaxError("01", at: 1, "unexpected '1' after the JSON value")
        expectSyntaxError("-", at: 1, "expected a digit, found the end of the input")
        expectSyntaxError("1.", at: 2, "expected a digit after '.', found the end of the input")
        expectSyntaxError("1e+", at: 3, "expected a digit in the exponent, found the end of the input")
        expectSyntaxError("+1", at: 0, "expected a value, found '+'")
        expectSyntaxError("NaN", at: 0, "expected a value, found 'N'")
    }

    @Test func structureErrors() {
        expectSyntaxError("[1,]", at: 3, "expected a value, found ']'")
        expectSyntaxError("[1 2]", at: 3, "expected ',' or ']' in an array, found '2'")
        expectSyntaxError(#"{"a" 1}"#, at: 5, "expected ':' after key \"a\", found '1'")
        expectSyntaxError("{1: 2}", at: 1, "expected a string key, found '1'")
        expectSyntaxError("tru", at: 0, "expected a value, found 't'")
        expectSyntaxError("", at: 0, "expected a value, found the end of the input")
        expectSyntaxError("{} {}", at: 3, "unexpected '{' after the JSON value")
    }

    @Test func nestingIsLimited() throws {
        let limit = JSONValue.maximumDepth
        let atLimit = String(repeating: "[", count: limit) + String(repeating: "]", count: limit)
        #expect(throws: Never.self) { try parse(atLimit) }
        let beyond = String(repeating: "[", count: limit + 1) + String(repeating: "]", count: limit + 1)
        expectSyntaxError(beyond, at: limit, "objects and arrays nested deeper than \(limit) levels")
    }

    @Test func invalidUTF8IsReportedWithItsOffset() {
        let bytes: [UInt8] = [0x22, 0x61, 0xC3, 0x28, 0x22] // "a<bad>("
        #expect(throws: JSONValue.ParseError.invalidUTF8(offset: 2)) { try parse(bytes) }
    }
}
