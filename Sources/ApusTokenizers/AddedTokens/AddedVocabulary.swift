/// Finds added tokens in the input before the model sees it (tokenizers/src/tokenizer/added_vocabulary.rs).
///
/// Tokens with `normalized: false` are matched in the raw input; the text between them is normalised, and
/// tokens with `normalized: true` are matched in that normalised text by their own normalised form. Matching
/// is leftmost-longest and non-overlapping (the Aho-Corasick search tokenizers runs): at the first position
/// where some token matches, the longest one wins, and the search goes on after it — also when that match is
/// then rejected by `single_word`, so a rejected match hides shorter tokens inside it.
struct AddedVocabulary: Sendable {
    /// The tokens as the file lists them.
    let tokens: [AddedToken]
    /// Raw (`normalized: false`) token contents → index into `tokens`.
    private let rawTrie: ScalarTrie
    /// Normalised forms of `normalized: true` tokens → index into `tokens`.
    private let normalizedTrie: ScalarTrie
    /// For each token, the string `decode` and `token(for:)` give: the normalised form of a normalised token
    /// (tokenizers' `normalized_cache`), otherwise its content.
    let decodedForms: [String]

    /// `normalizer` is the tokenizer's normalizer (nil when there is none), which gives normalised tokens their form.
    init(tokens: [AddedToken], normalizer: (any Normalizer)?) {
        self.tokens = tokens
        var rawTrie = ScalarTrie()
        var normalizedTrie = ScalarTrie()
        var decodedForms: [String] = []
        for (index, token) in tokens.enumerated() {
            guard token.normalized else {
                if !token.content.isEmpty { rawTrie.insert(token.content.unicodeScalars, value: index) }
                decodedForms.append(token.content)
                continue
            }
            var form = NormalizedText(token.content)
            normalizer?.normalize(&form)
            if !form.isEmpty { normalizedTrie.insert(form.scalars, value: index) }
            decodedForms.append(normalizer == nil ? token.content : form.string)
        }
        self.rawTrie = rawTrie
        self.normalizedTrie = normalizedTrie
        self.decodedForms = decodedForms
    }

    /// A piece of the input: text for the normalizer and model, or an added token with the text it covers
    /// (whitespace absorbed by `lstrip`/`rstrip` included, as tokenizers reports the token's string and offsets).
    enum Piece {
        case text(NormalizedText)
        case token(AddedToken, covering: NormalizedText)
    }

    /// Splits raw `text` around the tokens matched before normalisation.
    func splitRaw(_ text: NormalizedText) -> [Piece] { split(text, trie: rawTrie) }

    /// Splits normalised `text` around the tokens matched after normalisation.
    func splitNormalized(_ text: NormalizedText) -> [Piece] { split(text, trie: normalizedTrie) }

    /// tokenizers' `find_matches` followed by `split_with_indices`.
    private func split(_ text: NormalizedText, trie: ScalarTrie) -> [Piece] {
        guard trie.count > 0 else { return [.text(text)] }
        let scalars = text.scalars
        var pieces: [Piece] = []
        var pieceStart = 0 // where the text not yet given to a piece begins (`start_offset`)
        var searchPosition = 0 // where the search goes on: the end of the last match, before rstrip
        while searchPosition < scalars.count {
            guard let match = trie.longestMatch(in: scalars, from: searchPosition) else {
                searchPosition += 1
                continue
            }
            let token = tokens[match.value]
            var start = searchPosition
            var stop = match.end
            searchPosition = match.end
            if token.singleWord {
                let wordBefore = start > 0 && CharacterClasses.isWordCharacter(scalars[start - 1])
                let wordAfter = stop < scalars.count && CharacterClasses.isWordCharacter(scalars[stop])
                if wordBefore || wordAfter { continue }
            }
            if token.leftStrip {
                // Back over whitespace, but not into what an earlier piece already took.
                var newStart = start
                while newStart > 0 && CharacterClasses.isWhitespace(scalars[newStart - 1]) { newStart -= 1 }
                start = max(newStart, pieceStart)
            }
            if token.rightStrip {
                while stop < scalars.count && CharacterClasses.isWhitespace(scalars[stop]) { stop += 1 }
            }
            if pieceStart < start { pieces.append(.text(text.slice(pieceStart..<start))) }
            pieces.append(.token(token, covering: text.slice(start..<stop)))
            pieceStart = stop
        }
        if pieceStart < scalars.count { pieces.append(.text(text.slice(pieceStart..<scalars.count))) }
        return pieces
    }
}
