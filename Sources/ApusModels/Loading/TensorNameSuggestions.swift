/// The checkpoint names closest to one that is missing, for the hint in `LoadingError.missingTensor`.
///
/// The usual reasons a name is missing, most telling first:
/// 1. a prefix differs: `bert.encoder.layer.0…` asked as `encoder.layer.0…`, or `roberta.` in place of `bert.`;
/// 2. the last component differs: `LayerNorm.gamma` in old checkpoints where `LayerNorm.weight` is asked;
/// 3. the same layer part elsewhere: the same last two components (`output.dense.weight`);
/// 4. a typo: a small edit distance.
/// Within a group, names with the smaller edit distance come first.
enum TensorNameSuggestions {
    /// Most names suggested.
    static let limit = 5

    /// Up to `limit` names of `names` that `name` was probably meant to be, best first.
    static func closest<Names: Sequence<String>>(to name: String, in names: Names) -> [String] {
        let components = name.split(separator: ".", omittingEmptySubsequences: false)
        let parent = components.dropLast()
        let lastTwo = components.suffix(2)
        let typoDistance = max(2, name.utf8.count / 5)
        var scored: [(group: Int, distance: Int, name: String)] = []
        for candidate in names where candidate != name {
            let candidateComponents = candidate.split(separator: ".", omittingEmptySubsequences: false)
            let group: Int
            if candidate.hasSuffix("." + name) || name.hasSuffix("." + candidate)
                || (components.count > 1 && candidateComponents.dropFirst().elementsEqual(components.dropFirst())) {
                group = 0
            } else if !parent.isEmpty && candidateComponents.dropLast().elementsEqual(parent) {
                group = 1
            } else if components.count >= 2 && candidateComponents.suffix(2).elementsEqual(lastTwo) {
                group = 2
            } else {
                group = 3
            }
            let distance = editDistance(Array(name.utf8), Array(candidate.utf8))
            if group < 3 || distance <= typoDistance { scored.append((group, distance, candidate)) }
        }
        scored.sort { ($0.group, $0.distance, $0.name) < ($1.group, $1.distance, $1.name) }
        return scored.prefix(limit).map(\.name)
    }

    /// Levenshtein distance: the fewest single-byte insertions, deletions and substitutions from `a` to `b`.
    static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count) // distances from a[..<i-1] to every prefix of b
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(substitution, previous[j] + 1, current[j - 1] + 1)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
