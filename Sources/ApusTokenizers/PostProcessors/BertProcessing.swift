/// `BertProcessing`: `[CLS] A [SEP]` for one sequence, `[CLS] A [SEP] B [SEP]` for a pair, type id 0 up to
/// the first `[SEP]` and 1 after it (tokenizers/src/processors/bert.rs).
///
/// ```json
/// {"type": "BertProcessing", "sep": ["[SEP]", 102], "cls": ["[CLS]", 101]}
/// ```
/// Without special tokens the sequences are simply concatenated.
struct BertProcessing: PostProcessor, JSONDecodableStage {
    static let jsonType = "BertProcessing"

    let classifier: (token: String, id: Int)
    let separator: (token: String, id: Int)

    init(json: JSONObject) throws {
        classifier = try specialTokenAndId(json, "cls")
        separator = try specialTokenAndId(json, "sep")
    }

    func addedTokenCount(isPair: Bool) -> Int { isPair ? 3 : 2 }

    func processEncodings(_ encodings: [Encoding], addSpecialTokens: Bool) -> [Encoding] {
        guard addSpecialTokens else { return encodings }
        return encodings.enumerated().map { index, encoding in
            var result = index == 0 ? specialTokenEncoding(id: classifier.id, token: classifier.token, typeId: 0) : Encoding()
            result.append(contentsOf: encoding)
            result.append(contentsOf: specialTokenEncoding(id: separator.id, token: separator.token, typeId: index == 0 ? 0 : 1))
            return result
        }
    }
}
