/// `UnicodeScripts` pre-tokenizer: cuts where the Unicode script changes; scalars of no particular script in
/// tokenizers' table (the space, unassigned scalars) go with the word before them, and ones before the first
/// scripted scalar are dropped (tokenizers/src/pre_tokenizers/unicode_scripts/pre_tokenizer.rs). Hiragana,
/// Katakana and "ー" count as Han, so Japanese stays together.
///
/// "abcжж  xy" → "abc", "жж  ", "xy"
struct UnicodeScripts: PreTokenizer, JSONDecodableStage {
    static let jsonType = "UnicodeScripts"

    init() {}
    init(json: JSONObject) throws {}

    func split(_ text: NormalizedText) -> [NormalizedText] {
        var boundaries: [Int] = []
        var lastScript: UInt32 = 0
        for (index, scalar) in text.scalars.enumerated() {
            let script = Self.script(of: scalar)
            guard script != 0 else { continue }
            if script != lastScript { boundaries.append(index) }
            lastScript = script
        }
        boundaries.append(text.count)
        return zip(boundaries, boundaries.dropFirst()).map { text.slice($0..<$1) }
    }

    /// The script number of `scalar` in `scriptRanges`, 0 for none (`Script::Any`).
    static func script(of scalar: Unicode.Scalar) -> UInt32 {
        let value = scalar.value
        var low = 0, high = scriptRanges.count / 3
        while low < high {
            let middle = (low + high) / 2
            if scriptRanges[middle * 3 + 1] < value { low = middle + 1 } else { high = middle }
        }
        guard low < scriptRanges.count / 3, scriptRanges[low * 3] <= value else { return 0 }
        return scriptRanges[low * 3 + 2]
    }
}
