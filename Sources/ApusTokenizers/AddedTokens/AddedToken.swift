/// One entry of tokenizer.json's `added_tokens`: a string matched as a whole before the model runs
/// (tokenizers/src/tokenizer/added_vocabulary.rs, `AddedToken`).
///
/// ```json
/// {"id": 103, "content": "[MASK]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}
/// ```
public struct AddedToken: Sendable, Equatable {
    /// The token's id.
    public var id: Int
    /// The text matched.
    public var content: String
    /// Special tokens are dropped by `decode(skipSpecialTokens: true)`.
    public var special: Bool
    /// Only match where the token is not glued to a word character (regex `\w`) on either side.
    public var singleWord: Bool
    /// Absorb the whitespace before the match into the token.
    public var leftStrip: Bool
    /// Absorb the whitespace after the match into the token.
    public var rightStrip: Bool
    /// Match in normalised text (true) or in the raw input (false).
    public var normalized: Bool

    /// An added token; the defaults are those of a plain (non-special) token.
    public init(id: Int, content: String, special: Bool = false, singleWord: Bool = false,
                leftStrip: Bool = false, rightStrip: Bool = false, normalized: Bool = true) {
        self.id = id
        self.content = content
        self.special = special
        self.singleWord = singleWord
        self.leftStrip = leftStrip
        self.rightStrip = rightStrip
        self.normalized = normalized
    }

    /// Reads one `added_tokens` entry; `id` and `content` are required, flags default as in tokenizers
    /// (`normalized` defaults to `!special`, as `AddedToken::from` sets it).
    init(json: JSONObject) throws {
        let special = try json.bool("special", default: false)
        self.init(id: try json.count("id"), content: try json.string("content"), special: special,
                  singleWord: try json.bool("single_word", default: false), leftStrip: try json.bool("lstrip", default: false),
                  rightStrip: try json.bool("rstrip", default: false), normalized: try json.bool("normalized", default: !special))
    }
}
