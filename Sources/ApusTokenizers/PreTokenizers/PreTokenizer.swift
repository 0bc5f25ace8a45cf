/// A `pre_tokenizer` of tokenizer.json: splits normalised text into the words the model tokenises one at a
/// time, each keeping its alignments (tokenizers/src/pre_tokenizers/).
protocol PreTokenizer: Sendable {
    /// The words of `text`, in order.
    func split(_ text: NormalizedText) -> [NormalizedText]
}

/// The pre-tokenizer types Apus reads, by their tokenizer.json `"type"`.
let preTokenizerCatalog = StageCatalog<any PreTokenizer>(component: "pre_tokenizer", entries: [
    .init(type: BertPreTokenizer.jsonType) { try BertPreTokenizer(json: $0) },
    .init(type: WhitespaceSplit.jsonType) { try WhitespaceSplit(json: $0) },
    .init(type: PreTokenizerSequence.jsonType) { try PreTokenizerSequence(json: $0) },
    .init(type: ByteLevelPreTokenizer.jsonType) { try ByteLevelPreTokenizer(json: $0) },
    .init(type: Split.jsonType) { try Split(json: $0) },
    .init(type: Whitespace.jsonType) { try Whitespace(json: $0) },
    .init(type: Punctuation.jsonType) { try Punctuation(json: $0) },
    .init(type: Digits.jsonType) { try Digits(json: $0) },
    .init(type: CharDelimiterSplit.jsonType) { try CharDelimiterSplit(json: $0) },
    .init(type: UnicodeScripts.jsonType) { try UnicodeScripts(json: $0) },
    .init(type: Metaspace.jsonType) { try Metaspace(json: $0) },
])
