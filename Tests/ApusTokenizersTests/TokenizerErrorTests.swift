import Foundation
import Testing
@testable import ApusTokenizers

/// Files Apus cannot use are errors naming the file, the field and what was expected — never a crash.
@Suite struct TokenizerErrorTests {
    static let model = ###""model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100, "vocab": {"[UNK]": 0, "a": 1}}"###

    /// The error `json` raises, or nil when it loads.
    func error(_ json: String) -> TokenizerError? {
        do {
            _ = try Tokenizer(json: json, source: "bad/tokenizer.json")
            return nil
        } catch let error as TokenizerError {
            return error
        } catch {
            Issue.record("not a TokenizerError: \(error)")
            return nil
        }
    }

    @Test func malformedJSONNamesTheFileAndThePlace() {
        let malformed = error("{\"model\": ")
        #expect(malformed == .invalidJSON(file: "bad/tokenizer.json", reason: "line 1, column 11: unexpected end of input, expected a value"))
        #expect(malformed?.description.hasPrefix("bad/tokenizer.json: not a valid tokenizer.json") == true)
        #expect(error("[]") == .invalidJSON(file: "bad/tokenizer.json", reason: "the top level is an array, not an object"))
    }

    @Test func unreadableFilesAreNamed() {
        let url = URL(fileURLWithPath: "/nonexistent/apus/tokenizer.json")
        #expect(throws: TokenizerError.self) { try Tokenizer(contentsOf: url) }
        do {
            _ = try Tokenizer(contentsOf: url)
        } catch {
            #expect("\(error)".contains("/nonexistent/apus/tokenizer.json"))
        }
    }

    @Test func missingOrMistypedModelFields() {
        #expect(error("{}") == .invalidField(file: "bad/tokenizer.json", field: "model", expected: "an object, it is missing"))
        #expect(error(###"{"model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100}}"###)
            == .invalidField(file: "bad/tokenizer.json", field: "model.vocab", expected: "an object, it is missing"))
        #expect(error(###"{"model": {"type": "WordPiece", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100, "vocab": {}}}"###)
            == .invalidField(file: "bad/tokenizer.json", field: "model.unk_token", expected: "a string, it is missing"))
        #expect(error(###"{"model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": "100", "vocab": {"[UNK]": 0}}}"###)
            == .invalidField(file: "bad/tokenizer.json", field: "model.max_input_chars_per_word", expected: "a non-negative integer, found a string"))
        #expect(error(###"{"model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100, "vocab": {"[UNK]": "zero"}}}"###)
            == .invalidField(file: "bad/tokenizer.json", field: "model.vocab.[UNK]", expected: "a non-negative integer id, found a string"))
        #expect(error(###"{"model": {"type": "WordPiece", "unk_token": "[X]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100, "vocab": {"a": 1}}}"###)
            == .unknownToken(file: "bad/tokenizer.json", field: "model.unk_token", token: "[X]"))
        #expect(error(#"{"model": {"vocab": {"a": 1}}}"#)
            == .invalidField(file: "bad/tokenizer.json", field: "model.type",
                             expected: "one of \(modelCatalog.supportedTypes.joined(separator: ", ")), it is missing"))
    }

    @Test func unsupportedTypesNameTheComponentAndListTheSupportedOnes() {
        let normalizer = error("{\(Self.model), \"normalizer\": {\"type\": \"Imaginary\", \"precompiled_charsmap\": \"\"}}")
        #expect(normalizer == .unsupportedComponent(file: "bad/tokenizer.json", component: "normalizer", type: "Imaginary",
                                                    supported: normalizerCatalog.supportedTypes))
        #expect(normalizer?.description == "bad/tokenizer.json: normalizer type 'Imaginary' is not supported; "
            + "supported normalizer types: " + normalizerCatalog.supportedTypes.joined(separator: ", "))
        #expect(normalizerCatalog.supportedTypes.starts(with: ["BertNormalizer", "Lowercase", "StripAccents", "NFD"]))
        let nested = error("{\(Self.model), \"normalizer\": {\"type\": \"Sequence\", \"normalizers\": [{\"type\": \"NFKX\"}]}}")
        #expect(nested == .unsupportedComponent(file: "bad/tokenizer.json", component: "normalizer", type: "NFKX",
                                                supported: normalizerCatalog.supportedTypes))
        let model = error(#"{"model": {"type": "Imaginary", "vocab": []}}"#)
        #expect(model == .unsupportedComponent(file: "bad/tokenizer.json", component: "model", type: "Imaginary", supported: modelCatalog.supportedTypes))
        let preTokenizer = error("{\(Self.model), \"pre_tokenizer\": {\"type\": \"Imaginary\"}}")
        #expect(preTokenizer == .unsupportedComponent(file: "bad/tokenizer.json", component: "pre_tokenizer", type: "Imaginary",
                                                      supported: preTokenizerCatalog.supportedTypes))
        let postProcessor = error("{\(Self.model), \"post_processor\": {\"type\": \"Imaginary\"}}")
        #expect(postProcessor == .unsupportedComponent(file: "bad/tokenizer.json", component: "post_processor", type: "Imaginary",
                                                       supported: postProcessorCatalog.supportedTypes))
        let decoder = error("{\(Self.model), \"decoder\": {\"type\": \"Imaginary\"}}")
        #expect(decoder == .unsupportedComponent(file: "bad/tokenizer.json", component: "decoder", type: "Imaginary", supported: decoderCatalog.supportedTypes))
        #expect(error("{\(Self.model), \"normalizer\": {\"lowercase\": true}}")
            == .invalidField(file: "bad/tokenizer.json", field: "normalizer.type", expected: "a string, it is missing"))
    }

    @Test func invalidStageSettings() {
        #expect(error("{\(Self.model), \"normalizer\": {\"type\": \"BertNormalizer\", \"lowercase\": 1}}")
            == .invalidField(file: "bad/tokenizer.json", field: "normalizer.lowercase", expected: "true or false, found a number"))
        #expect(error("{\(Self.model), \"post_processor\": {\"type\": \"BertProcessing\", \"sep\": [\"[SEP]\"], \"cls\": [\"[CLS]\", 1]}}")
            == .invalidField(file: "bad/tokenizer.json", field: "post_processor.sep", expected: "[token, id], found an array"))
        let template = #""post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}], "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}], "special_tokens": {}}"#
        #expect(error("{\(Self.model), \(template)}") == .invalidField(
            file: "bad/tokenizer.json", field: "post_processor.single[0].SpecialToken.id",
            expected: "a token listed in post_processor.special_tokens, but '[CLS]' is not"))
        let pairWithoutB = #""post_processor": {"type": "TemplateProcessing", "single": [{"Sequence": {"id": "A", "type_id": 0}}], "pair": [{"Sequence": {"id": "A", "type_id": 0}}], "special_tokens": {}}"#
        #expect(error("{\(Self.model), \(pairWithoutB)}")
            == .invalidField(file: "bad/tokenizer.json", field: "post_processor.pair", expected: "a template that uses both $A and $B"))
        #expect(error("{\(Self.model), \"added_tokens\": [{\"content\": \"x\"}]}")
            == .invalidField(file: "bad/tokenizer.json", field: "added_tokens[0].id", expected: "a non-negative integer, it is missing"))
        #expect(error("{\(Self.model), \"truncation\": {\"max_length\": 8, \"strategy\": \"Shortest\"}}")
            == .invalidField(file: "bad/tokenizer.json", field: "truncation.strategy",
                             expected: "\"LongestFirst\", \"OnlyFirst\" or \"OnlySecond\", found a string"))
        #expect(error("{\(Self.model), \"padding\": {\"strategy\": {\"Fixed\": -1}}}")
            == .invalidField(file: "bad/tokenizer.json", field: "padding.strategy.Fixed", expected: "a non-negative integer"))
    }

    @Test func nullComponentsAreAbsentComponents() throws {
        let tokenizer = try Tokenizer(json: "{\(Self.model), \"normalizer\": null, \"pre_tokenizer\": null, \"post_processor\": null, \"decoder\": null, \"truncation\": null, \"padding\": null}")
        #expect(tokenizer.encode("a").ids == [1])
        #expect(tokenizer.encode("b").ids == [0])
        #expect(tokenizer.configuredTruncation == nil && tokenizer.configuredPadding == nil && tokenizer.paddingToken == nil)
        #expect(tokenizer.decode([1, 0, 1]) == "a [UNK] a", "without a decoder tokens are joined with spaces")
    }
}
