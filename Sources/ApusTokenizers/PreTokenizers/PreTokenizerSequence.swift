/// `Sequence` of pre-tokenizers: each one splits every word the previous one produced
/// (tokenizers/src/pre_tokenizers/sequence.rs).
///
/// ```json
/// {"type": "Sequence", "pretokenizers": [{"type": "WhitespaceSplit"}, {"type": "BertPreTokenizer"}]}
/// ```
struct PreTokenizerSequence: PreTokenizer, JSONDecodableStage {
    static let jsonType = "Sequence"

    let preTokenizers: [any PreTokenizer]

    init(preTokenizers: [any PreTokenizer]) { self.preTokenizers = preTokenizers }

    init(json: JSONObject) throws {
        preTokenizers = try json.array("pretokenizers").enumerated().map { index, item in
            try preTokenizerCatalog.decode(item, path: "\(json.path(of: "pretokenizers"))[\(index)]", file: json.file)
        }
    }

    func split(_ text: NormalizedText) -> [NormalizedText] {
        preTokenizers.reduce([text]) { words, preTokenizer in words.flatMap(preTokenizer.split) }
    }
}
