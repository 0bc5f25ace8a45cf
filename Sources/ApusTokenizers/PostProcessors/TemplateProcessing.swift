/// `TemplateProcessing` (and `BertProcessing`, which is the template `[CLS] $A [SEP]` / `[CLS] $A [SEP] $B [SEP]`):
/// places special tokens and type ids around the sequences (tokenizers/src/processors/template.rs).
struct TemplateProcessing: PostProcessor {
    enum Piece: Equatable {
        case sequence(first: Bool, typeId: Int)
        case special(name: String, typeId: Int)
    }

    let single: [Piece]
    let pair: [Piece]
    /// Special token name → the ids and strings it expands to.
    let specialTokens: [String: (ids: [Int], tokens: [String])]

    init(_ fields: JSONFields) throws {
        single = try Self.parseTemplate(fields, "single")
        pair = try Self.parseTemplate(fields, "pair")
        var specials: [String: (ids: [Int], tokens: [String])] = [:]
        let map = try fields.nested("special_tokens")
        for name in map.object.keys {
            let entry = try map.nested(name)
            let ids = try entry.array("ids").map { value -> Int in
                guard let id = jsonInteger(value) else { throw TokenizerError.invalidField(file: fields.file, field: entry.field("ids"), expected: "integers") }
                return id
            }
            let tokens = try entry.array("tokens").compactMap { $0 as? String }
            guard ids.count == tokens.count else {
                throw TokenizerError.invalidField(file: fields.file, field: entry.path, expected: "as many ids as tokens")
            }
            specials[name] = (ids, tokens)
        }
        for piece in single + pair {
            if case .special(let name, _) = piece, specials[name] == nil {
                throw TokenizerError.invalidField(file: fields.file, field: map.path, expected: "an entry for '\(name)' used in the template")
            }
        }
        specialTokens = specials
    }

    /// `BertProcessing`: `{"sep": ["[SEP]", 102], "cls": ["[CLS]", 101]}`.
    init(bertProcessing fields: JSONFields) throws {
        func token(_ key: String) throws -> (String, Int) {
            let value = try fields.array(key)
            guard value.count == 2, let name = value[0] as? String, let id = jsonInteger(value[1]) else {
                throw TokenizerError.invalidField(file: fields.file, field: fields.field(key), expected: "[token, id]")
            }
            return (name, id)
        }
        let (cls, clsId) = try token("cls"), (sep, sepId) = try token("sep")
        single = [.special(name: cls, typeId: 0), .sequence(first: true, typeId: 0), .special(name: sep, typeId: 0)]
        pair = single + [.sequence(first: false, typeId: 1), .special(name: sep, typeId: 1)]
        specialTokens = [cls: ([clsId], [cls]), sep: ([sepId], [sep])]
    }

    private static func parseTemplate(_ fields: JSONFields, _ key: String) throws -> [Piece] {
        try fields.array(key).enumerated().map { index, item in
            let itemFields = try JSONFields(item, path: fields.field("\(key)[\(index)]"), file: fields.file)
            if itemFields.has("Sequence") {
                let sequence = try itemFields.nested("Sequence")
                return .sequence(first: try sequence.string("id") == "A", typeId: try sequence.int("type_id"))
            }
            let special = try itemFields.nested("SpecialToken")
            return .special(name: try special.string("id"), typeId: try special.int("type_id"))
        }
    }

    func addedTokenCount(isPair: Bool) -> Int {
        (isPair ? pair : single).reduce(0) { count, piece in
            if case .special(let name, _) = piece { return count + (specialTokens[name]?.ids.count ?? 0) }
            return count
        }
    }

    func process(_ first: Encoding, _ second: Encoding?) -> Encoding {
        var result = Encoding()
        for piece in second == nil ? single : pair {
            switch piece {
            case .sequence(let isFirst, let typeId):
                if let sequence = isFirst ? first : second { result.append(contentsOf: sequence, typeId: typeId) }
            case .special(let name, let typeId):
                guard let special = specialTokens[name] else { continue }
                for (id, token) in zip(special.ids, special.tokens) {
                    result.append(id: id, token: token, offset: 0..<0, typeId: typeId, special: true)
                }
            }
        }
        return result
    }
}
