/// One token a model produced for a word: its id, its string, and the range of the word's scalars it covers.
struct ModelToken: Sendable, Equatable {
    var id: Int
    var value: String
    var range: Range<Int>
}

/// The `model` of tokenizer.json: turns one pre-tokenised word into tokens and owns the vocabulary
/// (tokenizers/src/models/).
protocol TokenizationModel: Sendable {
    /// Tokens for `word`, with ranges into it.
    func tokenize(_ word: [Unicode.Scalar]) -> [ModelToken]
    /// The id of `token` in the vocabulary (exact scalars).
    func id(for token: String) -> Int?
    /// The token string of `id`.
    func token(for id: Int) -> String?
    /// Number of entries in the vocabulary.
    var vocabularySize: Int { get }
    /// The prefix marking a piece that continues a word (`##`), for models that have one; nil for models
    /// without continuation pieces (Unigram, byte-level BPE).
    var wordContinuationPrefix: String? { get }
    /// The id of the token that stands for text the vocabulary cannot cover; nil when every input is covered.
    var unknownTokenId: Int? { get }
}

/// The model types Apus reads, by their tokenizer.json `"type"`.
let modelCatalog = StageCatalog<any TokenizationModel>(component: "model", entries: [
    .init(type: WordPiece.jsonType) { try WordPiece(json: $0) },
    .init(type: Unigram.jsonType) { try Unigram(json: $0) },
    .init(type: BPE.jsonType) { try BPE(json: $0) },
    .init(type: WordLevel.jsonType) { try WordLevel(json: $0) },
])

extension StageCatalog where Stage == any TokenizationModel {
    /// Reads the `model` object. Older tokenizer.json files omit its `"type"`; as in tokenizers, the fields
    /// then tell the model (BPE is the one with `merges`; WordPiece the one with `continuing_subword_prefix` and
    /// `max_input_chars_per_word`; Unigram the one whose `vocab` is a list; WordLevel has only `vocab` and `unk_token`).
    func decodeModel(_ value: JSONValue, path: String, file: String) throws -> any TokenizationModel {
        let object = try JSONObject(value, path: path, file: file)
        if object.has("type") { return try decode(object, type: try object.string("type")) }
        if object.has("continuing_subword_prefix") && object.has("max_input_chars_per_word") {
            return try decode(object, type: WordPiece.jsonType)
        }
        if case .array? = object["vocab"] { return try decode(object, type: Unigram.jsonType) }
        if object.has("vocab") && object.has("merges") { return try decode(object, type: BPE.jsonType) }
        if object.has("vocab") && object.has("unk_token") { return try decode(object, type: WordLevel.jsonType) }
        throw TokenizerError.invalidField(file: file, field: object.path(of: "type"),
                                          expected: "one of \(supportedTypes.joined(separator: ", ")), it is missing")
    }
}
