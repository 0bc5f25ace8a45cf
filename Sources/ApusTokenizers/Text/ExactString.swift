/// A String compared and hashed by its exact Unicode scalars.
///
/// Swift's `String` equality is canonical equivalence ("e\u{301}" == "é"), but a vocabulary is a table of
/// exact byte strings: Hugging Face `tokenizers` maps a decomposed "é" to [UNK] when only the composed one is
/// in the vocabulary, and two canonically equivalent entries are two different tokens.
struct ExactString: Hashable, Sendable {
    let value: String

    init(_ value: String) { self.value = value }

    static func == (lhs: ExactString, rhs: ExactString) -> Bool {
        lhs.value.utf8.elementsEqual(rhs.value.utf8)
    }

    func hash(into hasher: inout Hasher) {
        for byte in value.utf8 { hasher.combine(byte) }
    }
}
