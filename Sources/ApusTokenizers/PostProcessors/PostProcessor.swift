/// A `post_processor` of tokenizer.json: places special tokens and type ids around one sequence or a pair
/// (tokenizers/src/processors/).
///
/// As in tokenizers' `PostProcessor` trait, a processor rewrites a list of encodings (`processEncodings`) and
/// `process` wraps it: each sequence first gets its index as type id, then the processor runs, then the list is
/// concatenated. A `Sequence` of processors passes the list from one to the next, so what a processor returns
/// (the template's pieces, say) is what the next one sees.
protocol PostProcessor: Sendable {
    /// How many special tokens `process` adds; truncation keeps room for them.
    func addedTokenCount(isPair: Bool) -> Int
    /// Rewrites `encodings` (one or two sequences at first), adding special tokens when `addSpecialTokens`.
    func processEncodings(_ encodings: [Encoding], addSpecialTokens: Bool) -> [Encoding]
}

extension PostProcessor {
    /// Joins `first` and optional `second`, with the special tokens when `addSpecialTokens` is true
    /// (tokenizers' `PostProcessor::process`).
    func process(_ first: Encoding, _ second: Encoding?, addSpecialTokens: Bool) -> Encoding {
        var encodings = [first] + (second.map { [$0] } ?? [])
        for index in encodings.indices {
            encodings[index].typeIds = Array(repeating: index, count: encodings[index].count)
        }
        var result = Encoding()
        for encoding in processEncodings(encodings, addSpecialTokens: addSpecialTokens) {
            result.append(contentsOf: encoding)
        }
        return result
    }
}

/// The post-processor types Apus reads, by their tokenizer.json `"type"`.
let postProcessorCatalog = StageCatalog<any PostProcessor>(component: "post_processor", entries: [
    .init(type: TemplateProcessing.jsonType) { try TemplateProcessing(json: $0) },
    .init(type: BertProcessing.jsonType) { try BertProcessing(json: $0) },
    .init(type: RobertaProcessing.jsonType) { try RobertaProcessing(json: $0) },
    .init(type: ByteLevelProcessing.jsonType) { try ByteLevelProcessing(json: $0) },
    .init(type: PostProcessorSequence.jsonType) { try PostProcessorSequence(json: $0) },
])

/// What tokenizers does without a post-processor: the sequences one after the other, each keeping the type
/// id it was encoded with (0 for the first, 1 for the second), no special tokens.
func concatenate(_ first: Encoding, _ second: Encoding?) -> Encoding {
    var result = first
    if let second { result.append(contentsOf: second) }
    return result
}

/// One special token as an encoding of its own, to be appended with `append(contentsOf:)` so that overflowing
/// windows get it too (tokenizers adds the special tokens to every window).
func specialTokenEncoding(id: Int, token: String, typeId: Int) -> Encoding {
    var encoding = Encoding()
    encoding.appendSpecial(id: id, token: token, typeId: typeId)
    return encoding
}

/// A `[token, id]` member of a post-processor (`"cls": ["[CLS]", 101]`).
func specialTokenAndId(_ json: JSONObject, _ key: String) throws -> (token: String, id: Int) {
    let value = try json.array(key)
    guard value.count == 2, case .string(let token) = value[0], let id = value[1].nonNegativeInteger else {
        throw json.mismatch(key, expected: "[token, id]")
    }
    return (token, id)
}
