@testable import ApusTokenizers

/// A small BERT-style tokenizer.json for unit tests, with extra added tokens and stages spliced in.
enum TinyTokenizer {
    static let vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "b", "ab", "c", "##b", "##a", "hello", "world"]

    static let bertNormalizer = #"{"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": null, "lowercase": true}"#
    static let template = #"{"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}}], "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}, {"SpecialToken": {"id": "[SEP]", "type_id": 1}}], "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [2], "tokens": ["[CLS]"]}, "[SEP]": {"id": "[SEP]", "ids": [3], "tokens": ["[SEP]"]}}}"#

    /// An added_tokens entry.
    static func added(_ id: Int, _ content: String, special: Bool = false, singleWord: Bool = false, lstrip: Bool = false,
                      rstrip: Bool = false, normalized: Bool = false) -> String {
        "{\"id\": \(id), \"content\": \"\(content)\", \"special\": \(special), \"single_word\": \(singleWord), "
            + "\"lstrip\": \(lstrip), \"rstrip\": \(rstrip), \"normalized\": \(normalized)}"
    }

    static let specialTokens = (0...4).map { added($0, vocabulary[$0], special: true) }

    /// The tokenizer.json text.
    static func json(extraAddedTokens: [String] = [], normalizer: String = bertNormalizer, postProcessor: String = template,
                     decoder: String = ###"{"type": "WordPiece", "prefix": "##", "cleanup": true}"###, sections: String = "") -> String {
        let vocab = vocabulary.enumerated().map { "\"\($1)\": \($0)" }.joined(separator: ", ")
        return """
        {"version": "1.0", \(sections)
         "added_tokens": [\((specialTokens + extraAddedTokens).joined(separator: ", "))],
         "normalizer": \(normalizer), "pre_tokenizer": {"type": "BertPreTokenizer"}, "post_processor": \(postProcessor),
         "decoder": \(decoder),
         "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100, "vocab": {\(vocab)}}}
        """
    }

    static func make(extraAddedTokens: [String] = [], normalizer: String = bertNormalizer, postProcessor: String = template,
                     sections: String = "") throws -> Tokenizer {
        try Tokenizer(json: json(extraAddedTokens: extraAddedTokens, normalizer: normalizer, postProcessor: postProcessor, sections: sections))
    }
}
