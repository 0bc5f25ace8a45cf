/// `BertPreTokenizer`: splits on whitespace (dropped) and isolates every punctuation character
/// (tokenizers/src/pre_tokenizers/bert.rs).
struct BertPreTokenizer: PreTokenizer {
    func split(_ text: NormalizedText) -> [NormalizedText] {
        var words: [NormalizedText] = []
        var start = 0
        for (index, scalar) in text.scalars.enumerated() {
            if isBertWhitespace(scalar) {
                if start < index { words.append(text.slice(start..<index)) }
                start = index + 1
            } else if isBertPunctuation(scalar) {
                if start < index { words.append(text.slice(start..<index)) }
                words.append(text.slice(index..<(index + 1)))
                start = index + 1
            }
        }
        if start < text.scalars.count { words.append(text.slice(start..<text.scalars.count)) }
        return words
    }
}

/// `WhitespaceSplit`: splits on whitespace only.
struct WhitespaceSplit: PreTokenizer {
    func split(_ text: NormalizedText) -> [NormalizedText] {
        var words: [NormalizedText] = []
        var start = 0
        for (index, scalar) in text.scalars.enumerated() where scalar.properties.isWhitespace {
            if start < index { words.append(text.slice(start..<index)) }
            start = index + 1
        }
        if start < text.scalars.count { words.append(text.slice(start..<text.scalars.count)) }
        return words
    }
}

/// ASCII punctuation (which includes symbols such as `$+<=>^`|~`) or any Unicode punctuation category.
func isBertPunctuation(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 33...47, 58...64, 91...96, 123...126: return true
    default: break
    }
    switch scalar.properties.generalCategory {
    case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
         .initialPunctuation, .finalPunctuation, .otherPunctuation:
        return true
    default:
        return false
    }
}
