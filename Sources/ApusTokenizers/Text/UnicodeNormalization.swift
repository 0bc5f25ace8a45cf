/// Unicode normalisation forms as tokenizers computes them, alignments included: the
/// `unicode-normalization-alignments` crate's decomposition and recomposition iterators, whose `(char, change)`
/// output `NormalizedText.transform` turns into offsets (tokenizers/src/tokenizer/normalizer.rs, `nfd`… `nfkc`).
///
/// - Decomposition uses the crate's Unicode 9.0 tables (see `CanonicalDecomposition`): a scalar's first
///   decomposed scalar replaces it (change 0), the others are insertions (+1). Runs of combining marks are then
///   stably sorted by combining class *with* their changes, so a mark moved forward keeps being an insertion.
/// - Recomposition uses the `unicode-normalization` crate's composition and combining classes (current
///   Unicode): a composite replaces its starter and removes each scalar merged into it (change −1 per merge).
///
/// "e\u{301}" NFC → "é" aligned to the "e" alone (0..<1); "é" NFD → "e" (0..<1) and "\u{301}" (0..<1).
enum UnicodeNormalization {
    /// The `(scalar, change)` sequence of the canonical (NFD) or compatibility (NFKD) decomposition of `scalars`.
    static func decomposition(_ scalars: [Unicode.Scalar], compatibility: Bool) -> [NormalizedText.Change] {
        var changes: [NormalizedText.Change] = []
        changes.reserveCapacity(scalars.count + scalars.count / 4)
        var runStart = 0 // where the marks after the last starter begin
        func push(_ scalar: Unicode.Scalar, _ change: Int) {
            if CanonicalDecomposition.combiningClass(scalar) == 0 {
                sortMarks(&changes, from: runStart)
                runStart = changes.count + 1
            }
            changes.append(.init(scalar, change))
        }
        for scalar in scalars {
            var first = true
            let emit: (Unicode.Scalar) -> Void = { decomposed in
                push(decomposed, first ? 0 : 1)
                first = false
            }
            if compatibility, let decomposed = compatibilityTable[scalar.value] {
                decomposed.forEach(emit)
            } else {
                CanonicalDecomposition.decompose(scalar, emit)
            }
        }
        sortMarks(&changes, from: runStart)
        return changes
    }

    /// Stable sort of `changes[start...]` (combining marks only) by combining class.
    private static func sortMarks(_ changes: inout [NormalizedText.Change], from start: Int) {
        guard changes.count - start > 1 else { return }
        let run = changes[start...]
        let classes = run.map { CanonicalDecomposition.combiningClass($0.scalar) }
        guard zip(classes, classes.dropFirst()).contains(where: { $0 > $1 }) else { return }
        let sorted = zip(classes, run).enumerated()
            .sorted { ($0.element.0, $0.offset) < ($1.element.0, $1.offset) }
            .map(\.element.1)
        changes.replaceSubrange(start..., with: sorted)
    }

    /// The crate's `Recompositions` over decomposed `changes` (canonical composition, The Unicode Standard D117).
    static func recomposition(_ changes: [NormalizedText.Change]) -> [NormalizedText.Change] {
        var output: [NormalizedText.Change] = []
        output.reserveCapacity(changes.count)
        var starter: NormalizedText.Change?
        var blocked: [NormalizedText.Change] = [] // marks after the starter that did not compose with it
        var blockedClass: UInt8? // the class of the last of them; nil when there are none
        for change in changes {
            let scalarClass = change.scalar.properties.canonicalCombiningClass.rawValue
            guard let current = starter else {
                if scalarClass != 0 { output.append(change) } else { starter = change }
                continue
            }
            if let previousClass = blockedClass, previousClass >= scalarClass {
                // Blocked from the starter by an earlier mark: a new starter flushes, a mark waits.
                if scalarClass == 0 {
                    output.append(current)
                    output += blocked
                    blocked.removeAll(keepingCapacity: true)
                    blockedClass = nil
                    starter = change
                } else {
                    blocked.append(change)
                    blockedClass = scalarClass
                }
                continue
            }
            if let composite = compose(current.scalar, change.scalar) {
                starter = .init(composite, current.change + change.change - 1)
            } else if scalarClass == 0 && blockedClass == nil {
                output.append(current)
                starter = change
            } else {
                blocked.append(change)
                blockedClass = scalarClass
            }
        }
        if let starter { output.append(starter) }
        return output + blocked
    }

    /// The primary composite of `first` and `second`, Hangul syllables included (The Unicode Standard 3.12).
    static func compose(_ first: Unicode.Scalar, _ second: Unicode.Scalar) -> Unicode.Scalar? {
        let (leadingBase, vowelBase, trailingBase, syllableBase): (UInt32, UInt32, UInt32, UInt32) = (0x1100, 0x1161, 0x11A7, 0xAC00)
        let (leadingCount, vowelCount, trailingCount): (UInt32, UInt32, UInt32) = (19, 21, 28)
        let a = first.value, b = second.value
        if a >= leadingBase && a < leadingBase + leadingCount && b >= vowelBase && b < vowelBase + vowelCount {
            return Unicode.Scalar(syllableBase + ((a - leadingBase) * vowelCount + (b - vowelBase)) * trailingCount)
        }
        if a >= syllableBase && a < syllableBase + leadingCount * vowelCount * trailingCount
            && (a - syllableBase) % trailingCount == 0 && b > trailingBase && b < trailingBase + trailingCount {
            return Unicode.Scalar(a + (b - trailingBase))
        }
        return compositionTable[UInt64(a) << 32 | UInt64(b)]
    }

    /// Scalar → full compatibility decomposition, for scalars assigned by Unicode 9.0 (the crate's tables).
    private static let compatibilityTable: [UInt32: [Unicode.Scalar]] = {
        var table: [UInt32: [Unicode.Scalar]] = [:]
        for (key, value) in parse(UnicodeNormalizationTables.compatibilityDecompositions) {
            guard key.count == 1, let scalar = Unicode.Scalar(key[0]),
                  CharacterClasses.isAssigned(scalar, byMajor: CanonicalDecomposition.unicodeVersion.major,
                                              minor: CanonicalDecomposition.unicodeVersion.minor) else { continue }
            table[key[0]] = value.compactMap(Unicode.Scalar.init)
        }
        return table
    }()

    /// (first, second) packed as `first << 32 | second` → primary composite.
    private static let compositionTable: [UInt64: Unicode.Scalar] = {
        var table: [UInt64: Unicode.Scalar] = [:]
        for (key, value) in parse(UnicodeNormalizationTables.canonicalCompositions) {
            guard key.count == 2, value.count == 1, let composite = Unicode.Scalar(value[0]) else { continue }
            table[UInt64(key[0]) << 32 | UInt64(key[1])] = composite
        }
        return table
    }()

    /// The entries of a generated table: "XXXX YYYY:ZZZZ;" → ([X, Y], [Z]).
    private static func parse(_ text: String) -> [(key: [UInt32], value: [UInt32])] {
        text.split(whereSeparator: { $0 == ";" || $0.isNewline }).compactMap { entry in
            let sides = entry.split(separator: ":")
            guard sides.count == 2 else { return nil }
            let numbers = { (side: Substring) in side.split(whereSeparator: \.isWhitespace).compactMap { UInt32($0, radix: 16) } }
            return (numbers(sides[0]), numbers(sides[1]))
        }
    }
}
