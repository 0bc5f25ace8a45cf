/// The `WordPiece` model: greedy longest-match-first over the vocabulary, continuation pieces prefixed
/// with `##`; a word with a piece not in the vocabulary, or longer than `max_input_chars_per_word`, becomes
/// the unknown token (tokenizers/src/models/wordpiece/mod.rs).
struct WordPiece: TokenizationModel {
    let vocabulary: [ExactString: Int]
    let tokensById: [Int: String]
    let unknownToken: String
    let unknownId: Int
    let continuingSubwordPrefix: String
    let maxInputCharsPerWord: Int

    init(_ fields: JSONFields) throws {
        let vocabularyFields = try fields.nested("vocab")
        var vocabulary: [ExactString: Int] = [:]
        for (token, value) in vocabularyFields.object {
            guard let id = jsonInteger(value) else {
                throw TokenizerError.invalidField(file: fields.file, field: vocabularyFields.field(token), expected: "an integer id")
            }
            vocabulary[ExactString(token)] = id
        }
        self.vocabulary = vocabulary
        tokensById = Dictionary(vocabulary.map { ($1, $0.value) }, uniquingKeysWith: { first, _ in first })
        unknownToken = try fields.string("unk_token")
        guard let unknownId = vocabulary[ExactString(unknownToken)] else {
            throw TokenizerError.unknownToken(file: fields.file, field: fields.field("unk_token"), token: unknownToken)
        }
        self.unknownId = unknownId
        continuingSubwordPrefix = try fields.optionalString("continuing_subword_prefix") ?? "##"
        maxInputCharsPerWord = try fields.int("max_input_chars_per_word", default: 100)
    }

    var vocabularySize: Int { vocabulary.count }
    func id(for token: String) -> Int? { vocabulary[ExactString(token)] }
    func token(for id: Int) -> String? { tokensById[id] }

    func tokenize(_ word: [Unicode.Scalar]) -> [ModelToken] {
        if word.count > maxInputCharsPerWord {
            return [ModelToken(id: unknownId, value: unknownToken, range: 0..<word.count)]
        }
        var tokens: [ModelToken] = []
        var start = 0
        while start < word.count {
            var end = word.count
            var match: ModelToken?
            while start < end {
                var candidate = start > 0 ? continuingSubwordPrefix : ""
                candidate.unicodeScalars.append(contentsOf: word[start..<end])
                if let id = vocabulary[ExactString(candidate)] {
                    match = ModelToken(id: id, value: candidate, range: start..<end)
                    break
                }
                end -= 1
            }
            guard let match else {
                return [ModelToken(id: unknownId, value: unknownToken, range: 0..<word.count)]
            }
            tokens.append(match)
            start = end
        }
        return tokens
    }
}
