/// `TemplateProcessing`: templates for a single sequence and a pair, made of the sequences (`$A`, `$B`) and
/// special tokens, each with a type id (tokenizers/src/processors/template.rs).
///
/// ```json
/// {"type": "TemplateProcessing",
///  "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
///             {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
///  "pair": [ ... {"Sequence": {"id": "B", "type_id": 1}}, {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
///  "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [101], "tokens": ["[CLS]"]}, "[SEP]": {...}}}
/// ```
/// Without special tokens the template still decides the order of the sequences and their type ids.
struct TemplateProcessing: PostProcessor, JSONDecodableStage {
    static let jsonType = "TemplateProcessing"

    /// One element of a template.
    enum Piece: Equatable, Sendable {
        /// `$A` (first) or `$B` (second), with the type id its tokens get.
        case sequence(isFirst: Bool, typeId: Int)
        /// A special token by its name in `special_tokens`; it may stand for several ids.
        case special(name: String, typeId: Int)

        /// For a sequence piece, whether it is `$A` (true) or `$B` (false); nil for a special token.
        var sequence: Bool? {
            if case .sequence(let isFirst, _) = self { return isFirst }
            return nil
        }
    }

    /// The ids and token strings a special token name expands to.
    struct SpecialToken: Equatable, Sendable {
        var ids: [Int]
        var tokens: [String]
    }

    let single: [Piece]
    let pair: [Piece]
    let specialTokens: [String: SpecialToken]

    init(single: [Piece], pair: [Piece], specialTokens: [String: SpecialToken]) {
        self.single = single
        self.pair = pair
        self.specialTokens = specialTokens
    }

    /// Checks what tokenizers' builder checks (every special token named exists, the pair template uses both
    /// sequences, ids and tokens pair up), and that the single template uses only `$A`.
    init(json: JSONObject) throws {
        var specialTokens: [String: SpecialToken] = [:]
        let map = try json.object("special_tokens")
        for member in map.members {
            let entry = try JSONObject(member.value, path: map.path(of: member.key), file: json.file)
            let ids = try entry.array("ids").map { value in
                guard let id = value.nonNegativeInteger else { throw entry.mismatch("ids", expected: "an array of non-negative integer ids") }
                return id
            }
            let tokens = try entry.array("tokens").map { value in
                guard case .string(let token) = value else { throw entry.mismatch("tokens", expected: "an array of strings") }
                return token
            }
            guard ids.count == tokens.count else {
                throw TokenizerError.invalidField(file: json.file, field: entry.path, expected: "as many ids as tokens")
            }
            specialTokens[member.key] = SpecialToken(ids: ids, tokens: tokens)
        }
        single = try Self.template(json, "single", specialTokens: specialTokens)
        pair = try Self.template(json, "pair", specialTokens: specialTokens)
        if single.contains(where: { $0.sequence == false }) {
            throw TokenizerError.invalidField(file: json.file, field: json.path(of: "single"), expected: "a template that uses only $A")
        }
        guard pair.contains(where: { $0.sequence == true }) && pair.contains(where: { $0.sequence == false }) else {
            throw TokenizerError.invalidField(file: json.file, field: json.path(of: "pair"), expected: "a template that uses both $A and $B")
        }
        self.specialTokens = specialTokens
    }

    private static func template(_ json: JSONObject, _ key: String, specialTokens: [String: SpecialToken]) throws -> [Piece] {
        try json.array(key).enumerated().map { index, item in
            let piece = try json.object(in: key, at: index, item)
            if piece.has("Sequence") {
                let sequence = try piece.object("Sequence")
                let id = try sequence.string("id")
                guard id == "A" || id == "B" else { throw sequence.mismatch("id", expected: "\"A\" or \"B\"") }
                return .sequence(isFirst: id == "A", typeId: try sequence.count("type_id"))
            }
            guard piece.has("SpecialToken") else {
                throw TokenizerError.invalidField(file: json.file, field: piece.path, expected: "an object with \"Sequence\" or \"SpecialToken\"")
            }
            let special = try piece.object("SpecialToken")
            let name = try special.string("id")
            guard specialTokens[name] != nil else {
                throw TokenizerError.invalidField(file: json.file, field: special.path(of: "id"),
                                                  expected: "a token listed in \(json.path(of: "special_tokens")), but '\(name)' is not")
            }
            return .special(name: name, typeId: try special.count("type_id"))
        }
    }

    func addedTokenCount(isPair: Bool) -> Int {
        (isPair ? pair : single).reduce(0) { count, piece in
            guard case .special(let name, _) = piece else { return count }
            return count + (specialTokens[name]?.ids.count ?? 0)
        }
    }

    /// The template's pieces as separate encodings: each sequence with the template's type id, each special
    /// token (when `addSpecialTokens`) as an encoding of its own (template.rs, `apply_template`). More than two
    /// encodings (a template after a processor that split them, where tokenizers stops with `todo!()`) use the
    /// pair template on the first two.
    func processEncodings(_ encodings: [Encoding], addSpecialTokens: Bool) -> [Encoding] {
        var pieces: [Encoding] = []
        for piece in encodings.count >= 2 ? pair : single {
            switch piece {
            case .sequence(let isFirst, let typeId):
                let index = isFirst ? 0 : 1
                guard index < encodings.count else { continue }
                var sequence = encodings[index]
                sequence.typeIds = Array(repeating: typeId, count: sequence.count)
                pieces.append(sequence)
            case .special(let name, let typeId):
                guard addSpecialTokens, let special = specialTokens[name] else { continue }
                var encoding = Encoding()
                for (id, token) in zip(special.ids, special.tokens) {
                    encoding.appendSpecial(id: id, token: token, typeId: typeId)
                }
                pieces.append(encoding)
            }
        }
        return pieces
    }
}
