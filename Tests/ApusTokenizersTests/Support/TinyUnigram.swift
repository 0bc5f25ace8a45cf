@testable import ApusTokenizers

/// A small SentencePiece-style tokenizer.json (Metaspace + Unigram) for unit tests.
enum TinyUnigram {
    static let vocabulary: [(String, Double)] = [
        ("<unk>", 0), ("<s>", 0), ("</s>", 0), ("<pad>", 0), ("\u{2581}", -2), ("\u{2581}a", -1.5), ("a", -3), ("b", -3),
        ("ab", -2.5), ("\u{2581}ab", -2), ("abc", -4), ("c", -3.5), ("<0x41>", -10), ("<0xC3>", -10), ("<0xA9>", -10),
    ]

    static let template = #"{"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}], "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}, {"SpecialToken": {"id": "</s>", "type_id": 1}}], "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}, "</s>": {"id": "</s>", "ids": [2], "tokens": ["</s>"]}}}"#

    static func modelJSON(unkId: String = "0", byteFallback: Bool = false, vocabulary: [(String, Double)] = vocabulary) -> String {
        let vocab = vocabulary.map { "[\"\($0.0)\", \($0.1)]" }.joined(separator: ", ")
        return #"{"type": "Unigram", "unk_id": \#(unkId), "byte_fallback": \#(byteFallback), "vocab": [\#(vocab)]}"#
    }

    static func json(byteFallback: Bool = false, preTokenizer: String = #"{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true}"#,
                     normalizer: String = "null", postProcessor: String = template) -> String {
        """
        {"version": "1.0", "added_tokens": [{"id": 1, "content": "<s>", "special": true, "single_word": false, "lstrip": false, "rstrip": false, "normalized": false},
                                            {"id": 2, "content": "</s>", "special": true, "single_word": false, "lstrip": false, "rstrip": false, "normalized": false}],
         "normalizer": \(normalizer), "pre_tokenizer": \(preTokenizer), "post_processor": \(postProcessor),
         "decoder": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true},
         "model": \(modelJSON(byteFallback: byteFallback))}
        """
    }

    static func make(byteFallback: Bool = false, preTokenizer: String? = nil, normalizer: String = "null") throws -> Tokenizer {
        if let preTokenizer {
            return try Tokenizer(json: json(byteFallback: byteFallback, preTokenizer: preTokenizer, normalizer: normalizer))
        }
        return try Tokenizer(json: json(byteFallback: byteFallback, normalizer: normalizer))
    }
}
