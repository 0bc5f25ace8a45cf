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
        func tokenAndId(_ key: String) throws -> (String, Int) {
            let value = try json.array(key)
            guard value.count == 2, case .string(let token) = value[0], let id = value[1].nonNegativeInteger else {
                throw json.mismatch(key, expected: "[token, id]")
            }
            return (token, id)
        }
        classifier = try tokenAndId("cls")
        separator = try tokenAndId("sep")
    }

    func addedTokenCount(isPair: Bool) -> Int { isPair ? 3 : 2 }

    func process(_ first: Encoding, _ second: Encoding?, addSpecialTokens: Bool) -> Encoding {
        guard addSpecialTokens else { return concatenate(first, second) }
        var result = Encoding()
        result.appendSpecial(id: classifier.id, token: classifier.token, typeId: 0)
        result.append(contentsOf: first, typeId: 0)
        result.appendSpecial(id: separator.id, token: separator.token, typeId: 0)
        if let second {
            result.append(contentsOf: second, typeId: 1)
            result.appendSpecial(id: separator.id, token: separator.token, typeId: 1)
        }
        return result
    }
}
