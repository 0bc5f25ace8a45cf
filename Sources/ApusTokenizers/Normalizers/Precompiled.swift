import Foundation

/// `Precompiled`: the normalisation rules a SentencePiece model carries (nmt_nfkc and the like), applied as
/// tokenizers applies them (tokenizers/src/normalizers/precompiled.rs).
///
/// tokenizers walks the text by extended grapheme clusters: a cluster of fewer than 6 UTF-8 bytes with a rule
/// for its shortest matching prefix is replaced by that rule as a whole; otherwise each scalar of the cluster
/// is looked up alone. Offsets come from its `replace` bookkeeping: a longer replacement's extra scalars are
/// insertions sharing the alignment of the scalar before them; a shorter one folds the removal into the last
/// change written so far — even one of an earlier cluster when the replacement is empty.
///
/// Clusters are found with Swift's grapheme breaking (the `Character`s of the text, by their scalars), which
/// follows the same Unicode rules (UAX #29) as the `unicode-segmentation` crate tokenizers uses; the two may
/// disagree on scalars assigned in Unicode versions only one of them knows.
///
/// ```json
/// {"type": "Precompiled", "precompiled_charsmap": "ALQCAACEAAAAAACAAQAAgMz8AgC4BQAAhyIAgMzkAgC4PQAAeyIAgMzs..."}
/// ```
struct Precompiled: Normalizer, JSONDecodableStage {
    static let jsonType = "Precompiled"

    let charsMap: PrecompiledCharsMap

    init(charsMap: PrecompiledCharsMap) { self.charsMap = charsMap }

    init(json: JSONObject) throws {
        let encoded = try json.string("precompiled_charsmap")
        guard let data = Data(base64Encoded: encoded) else {
            throw json.mismatch("precompiled_charsmap", expected: "base64 text")
        }
        do {
            charsMap = try PrecompiledCharsMap(bytes: Array(data))
        } catch {
            throw TokenizerError.invalidField(file: json.file, field: json.path(of: "precompiled_charsmap"),
                                              expected: "a SentencePiece charsmap, found \(error.description)")
        }
    }

    func normalize(_ text: inout NormalizedText) {
        guard !text.isEmpty else { return }
        var changes: [NormalizedText.Change] = []
        changes.reserveCapacity(text.count)
        var modified = false
        var key: [UInt8] = []
        key.reserveCapacity(16)
        var position = 0
        for cluster in Self.clusterLengths(text.scalars) {
            let scalars = text.scalars[position..<(position + cluster)]
            position += cluster
            key.removeAll(keepingCapacity: true)
            for scalar in scalars { UTF8.encode(scalar) { key.append($0) } }
            if key.count < 6, let replacement = charsMap.replacement(for: key) {
                modified = true
                Self.replace(&changes, oldCount: scalars.count, with: replacement)
                continue
            }
            for scalar in scalars {
                key.removeAll(keepingCapacity: true)
                UTF8.encode(scalar) { key.append($0) }
                if let replacement = charsMap.replacement(for: key) {
                    modified = true
                    Self.replace(&changes, oldCount: 1, with: replacement)
                } else {
                    changes.append(.init(scalar, 0))
                }
            }
        }
        if modified { text.transform(nil, changes) }
    }

    /// tokenizers' `replace` in precompiled.rs.
    private static func replace(_ changes: inout [NormalizedText.Change], oldCount: Int, with replacement: [Unicode.Scalar]) {
        changes.append(contentsOf: replacement.map { .init($0, 0) })
        let difference = replacement.count - oldCount
        if difference > 0 {
            for index in (changes.count - difference)..<changes.count { changes[index].change = 1 }
        } else if difference < 0, !changes.isEmpty {
            changes[changes.count - 1].change += difference
        }
    }

    /// The number of scalars of each extended grapheme cluster of `scalars`, in order.
    static func clusterLengths(_ scalars: [Unicode.Scalar]) -> [Int] {
        // Clusters of one scalar need no grapheme breaking: ASCII text is all of them except "\r\n".
        if scalars.allSatisfy({ $0.value < 0x300 && $0 != "\r" }) { return Array(repeating: 1, count: scalars.count) }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view).map { $0.unicodeScalars.count }
    }
}
