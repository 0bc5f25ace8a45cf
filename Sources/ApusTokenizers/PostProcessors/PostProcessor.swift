/// A `post_processor` of tokenizer.json: places special tokens and type ids around one sequence or a pair
/// (tokenizers/src/processors/).
protocol PostProcessor: Sendable {
    /// How many special tokens `process` adds; truncation keeps room for them.
    func addedTokenCount(isPair: Bool) -> Int
    /// Joins `first` and optional `second`, with the special tokens when `addSpecialTokens` is true.
    func process(_ first: Encoding, _ second: Encoding?, addSpecialTokens: Bool) -> Encoding
}

/// The post-processor types Apus reads, by their tokenizer.json `"type"`.
let postProcessorCatalog = StageCatalog<any PostProcessor>(component: "post_processor", entries: [
    .init(type: TemplateProcessing.jsonType) { try TemplateProcessing(json: $0) },
    .init(type: BertProcessing.jsonType) { try BertProcessing(json: $0) },
])

/// What tokenizers does without a post-processor: the sequences one after the other, each keeping the type
/// id it was encoded with (0 for the first, 1 for the second), no special tokens.
func concatenate(_ first: Encoding, _ second: Encoding?) -> Encoding {
    var result = first
    if let second { result.append(contentsOf: second) }
    return result
}
