/// The `WordPiece` model: greedy longest-match-first over the vocabulary, pieces after the first looked up with
/// the `continuing_subword_prefix` (`##`); a word that cannot be covered, or that is longer than
/// `max_input_chars_per_word` scalars, becomes the single unknown token (tokenizers/src/models/wordpiece/mod.rs).
///
/// "unaffable" with "un", "##aff", "##able" in the vocabulary → "un", "##aff", "##able".
///
/// Lookups walk a trie of the vocabulary instead of building a candidate string for every prefix length;
/// the result is the same, since the longest vocabulary entry the word continues with is the first one the
/// shrinking-candidate loop of the Rust code finds.
struct WordPiece: TokenizationModel, JSONDecodableStage {
    static let jsonType = "WordPiece"

    /// The vocabulary: token scalars → index into `entries`.
    private let trie: ScalarTrie
    /// (id, token) of every distinct vocabulary token.
    private let entries: [(id: Int, token: String)]
    private let tokensById: [Int: String]
    /// The trie node reached by the continuation prefix, where continuation pieces are looked up; nil when no
    /// vocabulary entry starts with the prefix.
    private let continuationNode: Int?
    let unknownToken: String
    let unknownId: Int
    let continuingSubwordPrefix: String
    let maxInputCharsPerWord: Int

    var wordContinuationPrefix: String? { continuingSubwordPrefix }
    var unknownTokenId: Int? { unknownId }

    /// tokenizers requires all four fields (`type` is optional for old files).
    init(json: JSONObject) throws {
        let vocabulary = try json.object("vocab")
        var trie = ScalarTrie()
        var entries: [(id: Int, token: String)] = []
        entries.reserveCapacity(vocabulary.members.count)
        for member in vocabulary.members {
            guard let id = member.value.nonNegativeInteger else {
                throw vocabulary.mismatch(member.key, expected: "a non-negative integer id")
            }
            // A repeated key keeps its last id, as serde_json does when reading a map.
            if let node = trie.node(after: member.key.unicodeScalars), let existing = trie.value(at: node) {
                entries[existing].id = id
            } else {
                trie.insert(member.key.unicodeScalars, value: entries.count)
                entries.append((id, member.key))
            }
        }
        unknownToken = try json.string("unk_token")
        continuingSubwordPrefix = try json.string("continuing_subword_prefix")
        maxInputCharsPerWord = try json.count("max_input_chars_per_word")
        guard let unknownNode = trie.node(after: unknownToken.unicodeScalars), let unknownEntry = trie.value(at: unknownNode) else {
            throw TokenizerError.unknownToken(file: json.file, field: json.path(of: "unk_token"), token: unknownToken)
        }
        unknownId = entries[unknownEntry].id
        continuationNode = trie.node(after: continuingSubwordPrefix.unicodeScalars)
        var tokensById: [Int: String] = [:]
        for entry in entries where tokensById[entry.id] == nil { tokensById[entry.id] = entry.token }
        self.tokensById = tokensById
        self.entries = entries
        self.trie = trie
    }

    var vocabularySize: Int { entries.count }

    func id(for token: String) -> Int? {
        trie.node(after: token.unicodeScalars).flatMap(trie.value(at:)).map { entries[$0].id }
    }

    func token(for id: Int) -> String? { tokensById[id] }

    func tokenize(_ word: [Unicode.Scalar]) -> [ModelToken] {
        let unknown = [ModelToken(id: unknownId, value: unknownToken, range: 0..<word.count)]
        if word.count > maxInputCharsPerWord { return unknown }
        var tokens: [ModelToken] = []
        var start = 0
        while start < word.count {
            let root = start == 0 ? ScalarTrie.root : continuationNode
            guard let root, let match = trie.longestMatch(in: word, from: start, startingAt: root) else { return unknown }
            let entry = entries[match.value]
            tokens.append(ModelToken(id: entry.id, value: entry.token, range: start..<match.end))
            start = match.end
        }
        return tokens
    }
}
