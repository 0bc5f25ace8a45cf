/// The `BPE` model: each word starts as one symbol per scalar and the file's merges are applied, lowest rank
/// first, until none applies (tokenizers/src/models/bpe/model.rs).
///
/// ```json
/// {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null, "end_of_word_suffix": null,
///  "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
///  "vocab": {"h": 0, "e": 1, "he": 2}, "merges": ["h e"]}            (or "merges": [["h", "e"]])
/// ```
///
/// - `continuing_subword_prefix` / `end_of_word_suffix`: the initial symbols of a word after the first carry
///   the prefix, the last one the suffix; a merge's result is `left + right` without the right one's prefix.
/// - `byte_fallback`: a scalar missing from the vocabulary becomes one `<0xNN>` token per UTF-8 byte
///   (SentencePiece-style BPE: Llama 2, Mistral); `unk_token` is used only when one of them is missing too.
/// - `fuse_unk`: consecutive unknown scalars become a single unknown token.
/// - `ignore_merges`: a word that is itself in the vocabulary is one token, whatever the merges would make
///   (Llama 3).
/// - `dropout` randomly skips merges while training; a non-zero value is refused, since encoding would no
///   longer be reproducible.
///
/// Where tokenizers raises at encode time (an `unk_token` that is not in the vocabulary, when it is needed),
/// Apus drops the unknown scalars instead, so that `encode` stays non-throwing.
///
/// Offsets: tokenizers counts a token's extent in UTF-8 bytes of the word, in the order the symbols were made,
/// and maps any byte of a scalar to the whole scalar; `tokens(of:)` does the same in scalars, so a byte-fallback
/// token covers the whole scalar it is a byte of.
///
/// A class, not a struct: the model is reached through `any TokenizationModel` and captured by the merge
/// closure for every word, and copying a struct of a dozen tables retained each of them every time.
final class BPE: TokenizationModel, JSONDecodableStage {
    static let jsonType = "BPE"

    /// Token → id (the `vocab` map; a repeated key keeps its last id, as serde_json does).
    private let vocabulary: [ExactString: Int32]
    /// Id → token.
    private let tokenById: TokenTable
    private let merges: BPEMerges
    /// Ids of single-scalar symbols, by where the scalar sits: `[plain, after the first, last, only-and-last]`
    /// select whether the prefix and suffix are part of the looked-up string (see `initialSymbolKind`).
    private let scalarIds: [ScalarIdTable]
    /// `<0x00>`…`<0xFF>` ids, -1 where missing; nil without byte fallback.
    private let byteIds: [Int32]?
    let unknownToken: String?
    let unknownId: Int?
    let continuingSubwordPrefix: String?
    let endOfWordSuffix: String?
    let fuseUnknown: Bool
    let ignoreMerges: Bool
    /// Whole words → id, for `ignore_merges`.
    private let wordIds: [[Unicode.Scalar]: Int32]
    private let cache = WordCache()

    var vocabularySize: Int { vocabulary.count }
    var wordContinuationPrefix: String? { continuingSubwordPrefix }
    var unknownTokenId: Int? { unknownId }

    init(json: JSONObject) throws {
        if let dropout = json["dropout"], case .number(let literal) = dropout, Double(literal) != 0 {
            throw TokenizerError.invalidField(file: json.file, field: json.path(of: "dropout"),
                                              expected: "null or 0: BPE dropout (\(literal)) randomises merges while training and is not supported for encoding")
        }
        if let dropout = json["dropout"] {
            switch dropout {
            case .null, .number: break
            default: throw json.mismatch("dropout", expected: "null or a number")
            }
        }
        let vocabularyJSON = try json.object("vocab")
        var vocabulary: [ExactString: Int32] = [:]
        vocabulary.reserveCapacity(vocabularyJSON.members.count)
        for member in vocabularyJSON.members {
            guard let id = member.value.nonNegativeInteger, id <= Int(Int32.max) else {
                throw vocabularyJSON.mismatch(member.key, expected: "a non-negative integer id below 2³¹")
            }
            vocabulary[ExactString(member.key)] = Int32(id)
        }
        self.vocabulary = vocabulary
        tokenById = TokenTable(vocabulary)

        unknownToken = try json.optionalString("unk_token")
        unknownId = unknownToken.flatMap { vocabulary[ExactString($0)] }.map(Int.init)
        continuingSubwordPrefix = try json.optionalString("continuing_subword_prefix")
        endOfWordSuffix = try json.optionalString("end_of_word_suffix")
        fuseUnknown = try json.bool("fuse_unk", default: false)
        ignoreMerges = try json.bool("ignore_merges", default: false)
        let byteFallback = try json.bool("byte_fallback", default: false)

        let prefix = Array((continuingSubwordPrefix ?? "").unicodeScalars)
        let suffix = Array((endOfWordSuffix ?? "").unicodeScalars)
        var scalarIds = Array(repeating: ScalarIdTable(), count: 4)
        var wordIds: [[Unicode.Scalar]: Int32] = [:]
        for (token, id) in vocabulary {
            let scalars = Array(token.value.unicodeScalars)
            if ignoreMerges { wordIds[scalars] = id }
            for kind in 0..<4 {
                let head = kind & 1 == 1 ? prefix : [], tail = kind & 2 == 2 ? suffix : []
                if scalars.count == head.count + 1 + tail.count && scalars.starts(with: head) && scalars.reversed().starts(with: tail.reversed()) {
                    scalarIds[kind].insert(scalars[head.count], id: id)
                }
            }
        }
        self.scalarIds = scalarIds
        self.wordIds = wordIds
        if byteFallback {
            byteIds = (0..<256).map { byte in
                vocabulary[ExactString("<0x" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true) + ">")] ?? -1
            }
        } else {
            byteIds = nil
        }
        merges = try Self.readMerges(json, vocabulary: vocabulary, prefixByteCount: continuingSubwordPrefix?.utf8.count ?? 0)
    }

    /// `merges` as pairs of strings (`["a", "b"]`) or as `"a b"` lines (a `#version` line is skipped), each part
    /// and their concatenation (the right part without the continuation prefix's bytes) in the vocabulary.
    private static func readMerges(_ json: JSONObject, vocabulary: [ExactString: Int32], prefixByteCount: Int) throws -> BPEMerges {
        let items = try json.array("merges")
        var table = BPEMerges(capacity: items.count)
        var rank: Int32 = 0
        for (index, item) in items.enumerated() {
            let field = "\(json.path(of: "merges"))[\(index)]"
            let left: String, right: String
            switch item {
            case .string(let line):
                if line.utf8.starts(with: "#version".utf8) { continue }
                let parts = line.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else {
                    throw TokenizerError.invalidField(file: json.file, field: field, expected: "\"left right\" with exactly one space")
                }
                left = String(parts[0]); right = String(parts[1])
            case .array(let pair):
                guard pair.count == 2, case .string(let first) = pair[0], case .string(let second) = pair[1] else {
                    throw TokenizerError.invalidField(file: json.file, field: field, expected: "a pair of strings")
                }
                left = first; right = second
            default:
                throw TokenizerError.invalidField(file: json.file, field: field, expected: "a string \"left right\" or a pair of strings, found \(item.kind)")
            }
            guard let leftId = vocabulary[ExactString(left)] else { throw TokenizerError.unknownToken(file: json.file, field: field, token: left) }
            guard let rightId = vocabulary[ExactString(right)] else { throw TokenizerError.unknownToken(file: json.file, field: field, token: right) }
            let rightBytes = Array(right.utf8)
            guard rightBytes.count >= prefixByteCount, let rightRest = String(validating: rightBytes[prefixByteCount...], as: UTF8.self) else {
                throw TokenizerError.unknownToken(file: json.file, field: field, token: right)
            }
            guard let mergedId = vocabulary[ExactString(left + rightRest)] else {
                throw TokenizerError.unknownToken(file: json.file, field: field, token: left + rightRest)
            }
            table.insert(left: leftId, right: rightId, merge: .init(rank: rank, result: mergedId))
            rank += 1
        }
        return table
    }

    func id(for token: String) -> Int? { vocabulary[ExactString(token)].map(Int.init) }

    func token(for id: Int) -> String? { tokenById[id] }

    func tokenize(_ word: [Unicode.Scalar]) -> [ModelToken] {
        if word.isEmpty { return [] }
        if ignoreMerges, let id = wordIds[word] {
            return [ModelToken(id: Int(id), value: tokenById[Int(id)] ?? "", range: 0..<word.count)]
        }
        if let cached = cache.tokens(for: word) { return cached }
        // Byte fallback can turn one scalar into its prefixed, suffixed bytes.
        let symbolsPerScalar = byteIds == nil ? 1 : 4 + (continuingSubwordPrefix?.utf8.count ?? 0) + (endOfWordSuffix?.utf8.count ?? 0)
        let tokens = BPEWord.withBuffers(capacity: word.count * symbolsPerScalar) { symbols in
            merge(word, into: &symbols)
            return self.tokens(of: symbols, in: word)
        }
        cache.store(tokens, for: word)
        return tokens
    }

    /// Which `scalarIds` table the scalar at `index` of a `count`-scalar word is looked up in.
    @inline(__always)
    private func initialSymbolKind(_ index: Int, _ count: Int) -> Int {
        (index > 0 && continuingSubwordPrefix != nil ? 1 : 0) | (index == count - 1 && endOfWordSuffix != nil ? 2 : 0)
    }

    /// The word's initial symbols (`merge_word`), merged.
    private func merge(_ word: [Unicode.Scalar], into symbols: inout BPEWord) {
        var pendingUnknown: (id: Int32, byteLength: Int)?
        for (index, scalar) in word.enumerated() {
            let byteLength = UTF8.width(scalar)
            let kind = initialSymbolKind(index, word.count)
            if let id = scalarIds[kind][scalar] {
                if let unknown = pendingUnknown {
                    symbols.append(id: unknown.id, byteLength: unknown.byteLength)
                    pendingUnknown = nil
                }
                symbols.append(id: id, byteLength: byteLength)
                continue
            }
            if let byteIds, let ids = byteFallbackIds(scalar, kind: kind, byteIds) {
                // As in model.rs, a pending unknown token is not flushed here: it lands after these bytes.
                for id in ids { symbols.append(id: id, byteLength: 1) }
                continue
            }
            guard let unknownId else { continue }
            if let unknown = pendingUnknown {
                if fuseUnknown {
                    pendingUnknown = (unknown.id, unknown.byteLength + byteLength)
                    continue
                }
                symbols.append(id: unknown.id, byteLength: unknown.byteLength)
            }
            pendingUnknown = (Int32(unknownId), byteLength)
        }
        if let unknown = pendingUnknown { symbols.append(id: unknown.id, byteLength: unknown.byteLength) }
        symbols.mergeAll(merges)
    }

    /// The `<0xNN>` ids of the looked-up string's bytes (prefix and suffix included, as model.rs does), or nil
    /// when one is missing.
    private func byteFallbackIds(_ scalar: Unicode.Scalar, kind: Int, _ byteIds: [Int32]) -> [Int32]? {
        var text = kind & 1 == 1 ? continuingSubwordPrefix ?? "" : ""
        text.unicodeScalars.append(scalar)
        if kind & 2 == 2 { text += endOfWordSuffix ?? "" }
        var ids: [Int32] = []
        for byte in text.utf8 {
            let id = byteIds[Int(byte)]
            if id < 0 { return nil }
            ids.append(id)
        }
        return ids
    }

    /// The surviving symbols as tokens: byte extents accumulated in symbol order, mapped to the scalars holding
    /// their first and last byte.
    private func tokens(of word: BPEWord, in scalars: [Unicode.Scalar]) -> [ModelToken] {
        var tokens: [ModelToken] = []
        tokens.reserveCapacity(word.count)
        var byteOffset = 0
        var scalarIndex = 0, scalarByteStart = 0
        func scalar(containing byte: Int) -> Int {
            while scalarIndex < scalars.count - 1 && scalarByteStart + UTF8.width(scalars[scalarIndex]) <= byte {
                scalarByteStart += UTF8.width(scalars[scalarIndex])
                scalarIndex += 1
            }
            return scalarIndex
        }
        for symbol in word.symbols where symbol.byteLength > 0 {
            let start = scalar(containing: byteOffset)
            byteOffset += Int(symbol.byteLength)
            let end = scalar(containing: byteOffset - 1) + 1
            let id = Int(symbol.id)
            tokens.append(ModelToken(id: id, value: tokenById[id] ?? "", range: start..<end))
        }
        return tokens
    }
}

/// Single-scalar token ids: a direct array for the first 2048 scalars (ASCII, Latin, the byte-level alphabet),
/// a dictionary for the rest.
struct ScalarIdTable: Sendable {
    private static let directCount = 2048
    private var direct = [Int32](repeating: -1, count: ScalarIdTable.directCount)
    private var others: [UInt32: Int32] = [:]

    mutating func insert(_ scalar: Unicode.Scalar, id: Int32) {
        if scalar.value < Self.directCount { direct[Int(scalar.value)] = id } else { others[scalar.value] = id }
    }

    @inline(__always)
    subscript(_ scalar: Unicode.Scalar) -> Int32? {
        if scalar.value < Self.directCount {
            let id = direct[Int(scalar.value)]
            return id < 0 ? nil : id
        }
        return others[scalar.value]
    }
}

/// Id → token string: an array when ids are dense enough, a dictionary otherwise. For an id listed under two
/// tokens the lexicographically smallest token wins (tokenizers leaves it to its hash map's order).
struct TokenTable: Sendable {
    private let dense: [String?]
    private let sparse: [Int: String]

    init(_ vocabulary: [ExactString: Int32]) {
        let maximumId = vocabulary.values.max().map(Int.init) ?? -1
        let useDense = maximumId < 2 * vocabulary.count + 1024
        var dense: [String?] = useDense ? Array(repeating: nil, count: maximumId + 1) : []
        var sparse: [Int: String] = [:]
        func keep(_ token: String, over existing: String?) -> Bool {
            guard let existing else { return true }
            return token.utf8.lexicographicallyPrecedes(existing.utf8)
        }
        for (token, id) in vocabulary {
            let index = Int(id)
            if useDense {
                if keep(token.value, over: dense[index]) { dense[index] = token.value }
            } else if keep(token.value, over: sparse[index]) {
                sparse[index] = token.value
            }
        }
        self.dense = dense
        self.sparse = sparse
    }

    subscript(_ id: Int) -> String? {
        if id >= 0 && id < dense.count { return dense[id] }
        return sparse[id]
    }
}
