/// `RobertaProcessing`: `<s> A </s>` for one sequence, `<s> A </s></s> B </s>` for a pair, every type id 0,
/// and with `trim_offsets` the offsets of the tokens trimmed of the spaces they carry
/// (tokenizers/src/processors/roberta.rs).
///
/// ```json
/// {"type": "RobertaProcessing", "sep": ["</s>", 2], "cls": ["<s>", 0], "trim_offsets": true, "add_prefix_space": true}
/// ```
struct RobertaProcessing: PostProcessor, JSONDecodableStage {
    static let jsonType = "RobertaProcessing"

    let classifier: (token: String, id: Int)
    let separator: (token: String, id: Int)
    let trimOffsets: Bool
    let addPrefixSpace: Bool

    /// `sep` and `cls` are required; the flags default to true.
    init(json: JSONObject) throws {
        classifier = try specialTokenAndId(json, "cls")
        separator = try specialTokenAndId(json, "sep")
        trimOffsets = try json.bool("trim_offsets", default: true)
        addPrefixSpace = try json.bool("add_prefix_space", default: true)
    }

    func addedTokenCount(isPair: Bool) -> Int { isPair ? 4 : 2 }

    func processEncodings(_ encodings: [Encoding], addSpecialTokens: Bool) -> [Encoding] {
        encodings.enumerated().map { index, encoding in
            var trimmed = encoding
            if trimOffsets { ByteLevelProcessing.trimOffsets(&trimmed, addPrefixSpace: addPrefixSpace) }
            // "Roberta is weird, and every encoding is type_id=0" (roberta.rs), overflowing windows included.
            trimmed.typeIds = Array(repeating: 0, count: trimmed.count)
            for window in trimmed.overflowing.indices {
                trimmed.overflowing[window].typeIds = Array(repeating: 0, count: trimmed.overflowing[window].count)
            }
            guard addSpecialTokens else { return trimmed }
            let opening = index == 0 ? classifier : separator
            var result = specialTokenEncoding(id: opening.id, token: opening.token, typeId: 0)
            result.append(contentsOf: trimmed)
            result.append(contentsOf: specialTokenEncoding(id: separator.id, token: separator.token, typeId: 0))
            return result
        }
    }
}
