/// `Metaspace`: SentencePiece's view of spaces. Every U+0020 becomes the replacement (`▁`), a `▁` is put before
/// the text as the prepend scheme says, and with `split` the text is cut before each run of `▁`
/// (tokenizers/src/pre_tokenizers/metaspace.rs).
///
/// "Hey  friend" → "▁Hey", "▁▁friend" (offsets 0..<3 and 3..<11: the prepended `▁` shares the first scalar's).
///
/// ```json
/// {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true}
/// ```
/// Older files write `"add_prefix_space": false` for `"prepend_scheme": "never"`.
struct Metaspace: PreTokenizer, JSONDecodableStage {
    static let jsonType = "Metaspace"

    /// When the replacement goes before a text that does not already start with it.
    enum PrependScheme: Sendable, Equatable {
        /// Before every piece of text the pre-tokenizer sees.
        case always
        /// Only before the piece that starts the input (not after an added token, not a pair's second text).
        case first
        /// Never.
        case never
    }

    let replacement: Unicode.Scalar
    let prependScheme: PrependScheme
    let split: Bool

    init(replacement: Unicode.Scalar = "\u{2581}", prependScheme: PrependScheme = .always, split: Bool = true) {
        self.replacement = replacement
        self.prependScheme = prependScheme
        self.split = split
    }

    /// Reads the pre-tokenizer's (and the decoder's) fields as tokenizers deserialises them: `prepend_scheme`
    /// defaults to "always", `split` to true, and a legacy `add_prefix_space: false` is accepted only beside
    /// `"prepend_scheme": "never"`.
    init(json: JSONObject) throws {
        let replacement = try json.string("replacement")
        let scalars = Array(replacement.unicodeScalars)
        guard scalars.count == 1 else { throw json.mismatch("replacement", expected: "a single character") }
        var scheme: PrependScheme
        switch try json.optionalString("prepend_scheme") ?? "always" {
        case "always": scheme = .always
        case "first": scheme = .first
        case "never": scheme = .never
        default: throw json.mismatch("prepend_scheme", expected: "\"always\", \"first\" or \"never\"")
        }
        if try json.optionalBool("add_prefix_space") == false {
            // tokenizers rejects it unless "never" is written out (the default "always" does not match).
            guard scheme == .never else {
                throw TokenizerError.invalidField(file: json.file, field: json.path(of: "add_prefix_space"),
                                                  expected: "true, or false with \"prepend_scheme\": \"never\"")
            }
        }
        self.init(replacement: scalars[0], prependScheme: scheme, split: try json.bool("split", default: true))
    }

    func split(_ text: NormalizedText) -> [NormalizedText] {
        var text = text
        let replacement = self.replacement
        text.map { $0 == " " ? replacement : $0 }
        if let first = text.scalars.first, first != replacement {
            let prepend = switch prependScheme {
            case .always: true
            case .first: text.originalShift == 0
            case .never: false
            }
            if prepend { Prepend.prepend([replacement], to: &text) }
        }
        guard split else { return text.isEmpty ? [] : [text] }
        // Split with `MergedWithNext` on each replacement: a run of them starts a word, which goes on to the next run.
        var words: [NormalizedText] = []
        var wordStart = 0
        let scalars = text.scalars
        for index in scalars.indices.dropFirst() where scalars[index] == replacement && scalars[index - 1] != replacement {
            words.append(text.slice(wordStart..<index))
            wordStart = index
        }
        if wordStart < scalars.count { words.append(text.slice(wordStart..<scalars.count)) }
        return words
    }
}
