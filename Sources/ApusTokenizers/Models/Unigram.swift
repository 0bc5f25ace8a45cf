/// The `Unigram` model (SentencePiece's): the segmentation of a word into vocabulary pieces with the highest
/// total score, found by Viterbi over the lattice of every piece that starts at every scalar
/// (tokenizers/src/models/unigram/model.rs, `encode_optimized`; sentencepiece's unigram_model.cc).
///
/// A scalar no piece covers is an unknown piece scoring the lowest vocabulary score minus 10; consecutive unknown
/// pieces are fused into one token whose string is the uncovered text itself (tokenizers' `fuse_unk`). With
/// `byte_fallback`, such a token becomes one `<0xNN>` token per UTF-8 byte instead, each with the whole piece's
/// offsets, when all of those byte tokens are in the vocabulary.
///
/// ```json
/// {"type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0.0], ["▁the", -3.2], ...], "byte_fallback": false}
/// ```
/// Without `unk_id`, tokenizers fails to encode text it cannot cover; Apus drops that text instead.
struct Unigram: TokenizationModel, JSONDecodableStage {
    static let jsonType = "Unigram"

    /// Token strings and scores, by id.
    private let vocabulary: [(token: String, score: Double)]
    /// Token scalars → id (the last id of a repeated token, as tokenizers' map keeps it).
    private let trie: ScalarTrie
    let unknownId: Int?
    let byteFallback: Bool
    /// The score of an unknown piece: the lowest vocabulary score minus tokenizers' `K_UNK_PENALTY`.
    private let unknownScore: Double
    /// `<0xNN>` → id for the 256 byte tokens, when `byteFallback` is set and all of them exist.
    private let byteTokenIds: [Int?]

    var unknownTokenId: Int? { unknownId }
    var wordContinuationPrefix: String? { nil }
    var vocabularySize: Int { vocabulary.count }

    init(json: JSONObject) throws {
        var vocabulary: [(token: String, score: Double)] = []
        var trie = ScalarTrie()
        for (index, item) in try json.array("vocab").enumerated() {
            guard case .array(let pair) = item, pair.count == 2, case .string(let token) = pair[0],
                  case .number(let literal) = pair[1], let score = Double(literal) else {
                throw TokenizerError.invalidField(file: json.file, field: "\(json.path(of: "vocab"))[\(index)]",
                                                  expected: "a [token, score] pair")
            }
            if !token.isEmpty { trie.insert(token.unicodeScalars, value: index) }
            vocabulary.append((token, score))
        }
        if json.has("unk_id") {
            let unknownId = try json.count("unk_id")
            guard unknownId < vocabulary.count else {
                throw TokenizerError.invalidField(file: json.file, field: json.path(of: "unk_id"),
                                                  expected: "an id below the vocabulary size \(vocabulary.count), found \(unknownId)")
            }
            self.unknownId = unknownId
        } else {
            unknownId = nil
        }
        byteFallback = try json.bool("byte_fallback", default: false)
        let penalty = 10.0 // tokenizers' K_UNK_PENALTY
        unknownScore = (vocabulary.map(\.score).min() ?? .infinity) - penalty
        byteTokenIds = (0..<256).map { byte in
            trie.node(after: Self.byteToken(UInt8(byte)).unicodeScalars).flatMap(trie.value(at:))
        }
        self.vocabulary = vocabulary
        self.trie = trie
    }

    /// The vocabulary token standing for `byte` under byte fallback: `<0x41>` for "A".
    static func byteToken(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return "<0x\(digits[Int(byte >> 4)])\(digits[Int(byte & 0xF)])>"
    }

    func id(for token: String) -> Int? {
        trie.node(after: token.unicodeScalars).flatMap(trie.value(at:))
    }

    func token(for id: Int) -> String? {
        vocabulary.indices.contains(id) ? vocabulary[id].token : nil
    }

    func tokenize(_ word: [Unicode.Scalar]) -> [ModelToken] {
        var tokens: [ModelToken] = []
        for piece in segment(word) {
            if let id = trie.node(after: word[piece]).flatMap(trie.value(at:)) {
                tokens.append(ModelToken(id: id, value: vocabulary[id].token, range: piece))
                continue
            }
            let text = Self.string(word[piece])
            if byteFallback {
                let bytes = Array(text.utf8)
                if bytes.allSatisfy({ byteTokenIds[Int($0)] != nil }) {
                    for byte in bytes {
                        tokens.append(ModelToken(id: byteTokenIds[Int(byte)] ?? 0, value: Self.byteToken(byte), range: piece))
                    }
                    continue
                }
            }
            guard let unknownId else { continue }
            tokens.append(ModelToken(id: unknownId, value: text, range: piece))
        }
        return tokens
    }

    /// The best segmentation of `word` as ranges of its scalars, unknown runs fused.
    func segment(_ word: [Unicode.Scalar]) -> [Range<Int>] {
        guard !word.isEmpty else { return [] }
        // For each end position, the best path ending there: its score, where its last piece starts (-1: none
        // yet) and that piece's id (-1 for an unknown piece without `unk_id`).
        var bestScore = [Double](repeating: 0, count: word.count + 1)
        var bestStart = [Int](repeating: -1, count: word.count + 1)
        var bestId = [Int](repeating: -1, count: word.count + 1)
        for start in word.indices {
            let scoreHere = bestScore[start]
            var coversOneScalar = false
            var node = ScalarTrie.root
            var end = start
            while end < word.count, let child = trie.node(after: CollectionOfOne(word[end]), from: node) {
                node = child
                end += 1
                guard let id = trie.value(at: node) else { continue }
                let candidate = vocabulary[id].score + scoreHere
                if bestStart[end] < 0 || candidate > bestScore[end] {
                    bestScore[end] = candidate
                    bestStart[end] = start
                    bestId[end] = id
                }
                if end == start + 1 { coversOneScalar = true }
            }
            if !coversOneScalar {
                let candidate = unknownScore + scoreHere
                if bestStart[start + 1] < 0 || candidate > bestScore[start + 1] {
                    bestScore[start + 1] = candidate
                    bestStart[start + 1] = start
                    bestId[start + 1] = unknownId ?? -1
                }
            }
        }
        var pieces: [Range<Int>] = []
        var end = word.count
        var unknownRunEnd: Int? = nil
        while end > 0 {
            let start = bestStart[end]
            if let unknownId, bestId[end] == unknownId {
                if unknownRunEnd == nil { unknownRunEnd = end }
            } else {
                if let runEnd = unknownRunEnd { pieces.append(end..<runEnd) }
                unknownRunEnd = nil
                pieces.append(start..<end)
            }
            end = start
        }
        if let runEnd = unknownRunEnd { pieces.append(0..<runEnd) }
        return pieces.reversed()
    }

    private static func string(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }
}
