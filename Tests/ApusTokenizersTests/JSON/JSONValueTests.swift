import Foundation
import Testing
@testable import ApusTokenizers

/// The tokenizer.json parser: exact strings, strictness, and errors that say where.
@Suite struct JSONValueTests {
    func parse(_ text: String) throws(JSONSyntaxError) -> JSONValue {
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBufferPointer { buffer throws(JSONSyntaxError) in try JSONValue.parse(buffer) }
    }

    func parseError(_ text: String) -> JSONSyntaxError? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error
        }
    }

    func string(_ value: JSONValue) -> String? {
        if case .string(let string) = value { return string }
        return nil
    }

    @Test func stringsKeepTheirExactScalars() throws {
        guard case .object(let members) = try parse(#"{"é": 1, "e\u0301": 2, "\uFEFFx": 3, "\ud83d\ude00": 4, "a\"\\\/\b\f\n\r\t": 5}"#) else {
            Issue.record("not an object")
            return
        }
        #expect(members.map { $0.key.unicodeScalars.map(\.value) } == [
            [0xE9], [0x65, 0x301], [0xFEFF, 0x78], [0x1F600], [0x61, 0x22, 0x5C, 0x2F, 0x08, 0x0C, 0x0A, 0x0D, 0x09],
        ], "canonically equivalent keys stay distinct, U+FEFF stays, surrogate pairs join")
    }

    @Test func valuesOfEveryKind() throws {
        guard case .array(let values) = try parse(" [null, true, false, 0, -12, 3.5e-2, \"s\", [], {}] ") else {
            Issue.record("not an array")
            return
        }
        #expect(values.map(\.kind) == ["null", "a boolean", "a boolean", "a number", "a number", "a number", "a string", "an array", "an object"])
        #expect(values[3].nonNegativeInteger == 0 && values[4].nonNegativeInteger == nil && values[5].nonNegativeInteger == nil)
        if case .number(let literal) = values[5] { #expect(literal == "3.5e-2") }
    }

    @Test func aLeadingByteOrderMarkIsSkipped() throws {
        #expect(string(try parse("\u{FEFF}\"x\"")) == "x")
    }

    @Test func malformedDocumentsSayWhereAndWhat() {
        #expect(parseError("{\"a\": 1,}")?.problem == "expected a string key")
        #expect(parseError("{\n  \"a\" 1}") == JSONSyntaxError(line: 2, column: 7, problem: "expected ':' after an object key"))
        #expect(parseError("[1, 2") != nil)
        #expect(parseError("[1] x")?.problem == "unexpected content after the JSON value")
        #expect(parseError("\"a\u{1}b\"")?.problem.contains("must be escaped") == true)
        #expect(parseError(#""\ud800""#)?.problem == "lone high surrogate in \\u escape")
        #expect(parseError(#""\x""#)?.problem.contains("invalid escape") == true)
        #expect(parseError("01") != nil, "leading zeros are not JSON")
        #expect(parseError("tru") != nil)
        #expect(parseError("") != nil)
    }

    @Test func invalidUTF8IsRejected() {
        let bytes: [UInt8] = [0x22, 0x61, 0xFF, 0x22]
        let error = bytes.withUnsafeBufferPointer { buffer -> JSONSyntaxError? in
            do throws(JSONSyntaxError) {
                _ = try JSONValue.parse(buffer)
                return nil
            } catch {
                return error
            }
        }
        #expect(error?.problem == "invalid UTF-8 inside a string")
    }

    @Test func nestingIsLimited() {
        let depth = JSONValue.maximumDepth
        #expect(parseError(String(repeating: "[", count: depth) + String(repeating: "]", count: depth)) == nil)
        #expect(parseError(String(repeating: "[", count: depth + 1) + String(repeating: "]", count: depth + 1))?.problem
            == "nested deeper than \(depth) levels")
    }
}
