/// `Split` pre-tokenizer: cuts words at the matches of a string or regex pattern, doing with the matches what
/// `behavior` says; `invert` makes the text between matches the delimiters instead
/// (tokenizers/src/pre_tokenizers/split.rs).
///
/// ```json
/// {"type": "Split", "pattern": {"Regex": "\\s+"}, "behavior": "Removed", "invert": false}
/// {"type": "Split", "pattern": {"String": " "}, "behavior": "MergedWithNext", "invert": false}
/// ```
struct Split: PreTokenizer, JSONDecodableStage {
    static let jsonType = "Split"

    let pattern: TokenizerRegex
    let behavior: SplitDelimiterBehavior
    let invert: Bool

    init(pattern: TokenizerRegex, behavior: SplitDelimiterBehavior, invert: Bool = false) {
        self.pattern = pattern
        self.behavior = behavior
        self.invert = invert
    }

    init(json: JSONObject) throws {
        self.init(pattern: try Self.pattern(json, key: "pattern"),
                  behavior: try SplitDelimiterBehavior(json: json, key: "behavior"),
                  invert: try json.bool("invert", default: false))
    }

    /// The `{"String": …}` or `{"Regex": …}` object at `key`, compiled; shared with the Replace normalizer.
    static func pattern(_ json: JSONObject, key: String) throws -> TokenizerRegex {
        let object = try json.object(key)
        if object.has("String") { return TokenizerRegex(literal: try object.string("String")) }
        guard object.has("Regex") else { throw json.mismatch(key, expected: "an object with a \"String\" or \"Regex\" member") }
        let source = try object.string("Regex")
        do {
            return try TokenizerRegex(source)
        } catch {
            throw TokenizerError.invalidField(file: json.file, field: object.path(of: "Regex"),
                                              expected: "a regex Apus can run, but \(error)")
        }
    }

    func split(_ text: NormalizedText) -> [NormalizedText] {
        var pieces = pattern.pieces(in: text.scalars)
        if invert { for index in pieces.indices { pieces[index].isMatch.toggle() } }
        return behavior.split(text, pieces: pieces)
    }
}
