/// `NFD`: canonical decomposition followed by canonical ordering of combining marks, with tokenizers' Unicode
/// 9.0 tables (tokenizers/src/normalizers/unicode.rs; see `CanonicalDecomposition`).
struct NFD: Normalizer, JSONDecodableStage {
    static let jsonType = "NFD"

    init() {}
    init(json: JSONObject) throws {}

    func normalize(_ text: inout NormalizedText) { Self.decompose(&text) }

    /// Decomposes every scalar, then sorts each run of combining marks (non-zero combining class) by class,
    /// keeping the order of equal classes (The Unicode Standard, D109 canonical ordering algorithm).
    static func decompose(_ text: inout NormalizedText) {
        if text.scalars.allSatisfy({ $0.value < 0xC0 }) { return }
        text.rewrite { scalar, emit in CanonicalDecomposition.decompose(scalar, emit) }
        var index = 0
        let scalars = text.scalars
        while index < scalars.count {
            guard CanonicalDecomposition.combiningClass(scalars[index]) != 0 else {
                index += 1
                continue
            }
            let runStart = index
            while index < scalars.count && CanonicalDecomposition.combiningClass(scalars[index]) != 0 { index += 1 }
            let run = scalars[runStart..<index]
            let classes = run.map(CanonicalDecomposition.combiningClass)
            if run.count > 1 && zip(classes, classes.dropFirst()).contains(where: { $0 > $1 }) {
                // A stable sort: `sorted(by:)` is not guaranteed stable, so sort (class, position) pairs.
                let reordered = zip(classes, run.indices).sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map { scalars[$0.1] }
                text.reorderScalars(in: runStart..<index, to: reordered)
            }
        }
    }
}
