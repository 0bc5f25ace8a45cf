extension Array where Element == Unicode.Scalar {
    /// Every non-overlapping occurrence of `pattern`, leftmost first, replaced by `replacement` — Rust's
    /// `str::replace`, on exact scalars (Swift's `String.replacing` compares `Character`s, so "e" would not be
    /// found inside "e\u{301}"). An empty pattern matches before every scalar and at the end, as in Rust.
    func replacingOccurrences(of pattern: [Unicode.Scalar], with replacement: [Unicode.Scalar]) -> [Unicode.Scalar] {
        if pattern.isEmpty {
            var result = replacement
            for scalar in self { result.append(scalar); result += replacement }
            return result
        }
        guard count >= pattern.count else { return self }
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(count)
        var index = 0
        while index < count {
            if self[index] == pattern[0] && index + pattern.count <= count && self[index..<(index + pattern.count)].elementsEqual(pattern) {
                result += replacement
                index += pattern.count
            } else {
                result.append(self[index])
                index += 1
            }
        }
        return result
    }

    /// The scalars as a String.
    var string: String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: self)
        return String(view)
    }
}

extension String {
    /// Rust's `str::replace` on exact scalars (see `Array.replacingOccurrences(of:with:)`).
    func replacingScalars(_ pattern: String, with replacement: String) -> String {
        Array(unicodeScalars).replacingOccurrences(of: Array(pattern.unicodeScalars), with: Array(replacement.unicodeScalars)).string
    }
}
