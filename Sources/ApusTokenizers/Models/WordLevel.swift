/// The `WordLevel` model: each pre-tokenised word is one vocabulary entry, or the unknown token
/// (tokenizers/src/models/wordlevel/mod.rs).
///
/// ```json
/// {"type": "WordLevel", "vocab": {"[UNK]": 0, "hello": 1, "world": 2}, "unk_token": "[UNK]"}
/// ```
/// tokenizers raises when a word is unknown and `unk_token` is not in the vocabulary; Apus then drops the word,
/// so that `encode` stays non-throwing.
struct WordLevel: TokenizationModel, JSONDecodableStage {
    static let jsonType = "WordLevel"

    private let vocabulary: [ExactString: Int32]
    private let tokenById: TokenTable
    let unknownToken: String
    let unknownId: Int?

    var vocabularySize: Int { vocabulary.count }
    var wordContinuationPrefix: String? { nil }
    var unknownTokenId: Int? { unknownId }

    /// tokenizers requires `vocab` and `unk_token`.
    init(json: JSONObject) throws {
        let vocabularyJSON = try json.object("vocab")
        var vocabulary: [ExactString: Int32] = [:]
        vocabulary.reserveCapacity(vocabularyJSON.members.count)
        for member in vocabularyJSON.members {
            guard let id = member.value.nonNegativeInteger, id <= Int(Int32.max) else {
                throw vocabularyJSON.mismatch(member.key, expected: "a non-negative integer id below 2³¹")
            }
            vocabulary[ExactString(member.key)] = Int32(id)
        }
        self.vocabulary = vocabulary
        tokenById = TokenTable(vocabulary)
        unknownToken = try json.string("unk_token")
        unknownId = vocabulary[ExactString(unknownToken)].map(Int.init)
    }

    func id(for token: String) -> Int? { vocabulary[ExactString(token)].map(Int.init) }

    func token(for id: Int) -> String? { tokenById[id] }

    func tokenize(_ word: [Unicode.Scalar]) -> [ModelToken] {
        var text = String.UnicodeScalarView()
        text.append(contentsOf: word)
        let string = String(text)
        if let id = vocabulary[ExactString(string)] { return [ModelToken(id: Int(id), value: string, range: 0..<word.count)] }
        guard let unknownId else { return [] }
        return [ModelToken(id: unknownId, value: unknownToken, range: 0..<word.count)]
    }
}
