import ApusModels
import ApusTokenizers
import Foundation

/// The tokenizer a GGUF file describes in its `tokenizer.ggml.*` metadata, rebuilt as the tokenizer.json
/// transformers writes for the same file (`convert_gguf_tokenizer` in
/// transformers/integrations/gguf/gguf_tokenizer_mapping.py, then `TokenizersBackend.update_post_processor`), so
/// the ordinary tokenizer.json reader builds it; plus the special ids, BOS/EOS flags and chat template.
///
///     let gguf = try GGUFTokenizer(file: GGUFFile(url: url))
///     let tokenizer = try gguf.tokenizer()        // ApusTokenizers.Tokenizer
///     gguf.chatTemplate                          // "{% for message in messages %}…"
///
/// Converted: `gpt2` (byte-level BPE: tokens, merges, pre-tokenizer by `tokenizer.ggml.pre`). Where transformers
/// has no split for a pre-tokenizer name llama.cpp knows, Apus writes what the Hub tokenizer.json of those models
/// has, as llama.cpp's `llama_vocab` splits (`src/llama-vocab.cpp`): for `smollm`, `starcoder` and `refact`, single
/// digits first (`Digits(individual_digits)`), then GPT-2's split — transformers falls back to GPT-2's split alone,
/// which keeps " 12" whole. `llama` (SentencePiece as byte-fallback BPE, merges from the file or from the scores)
/// for Llama-like architectures, and Gemma's variant (`gemma_tokenizer`); Phi-3's is not converted yet.
public struct GGUFTokenizer: Sendable {
    /// `tokenizer.ggml.model` values converted.
    public static let supportedModels = ["gpt2", "llama"]
    /// Architectures whose SentencePiece vocabulary is built Gemma's way (`gemma_tokenizer`).
    public static let gemmaArchitectures: Set<String> = ["gemma", "gemma2", "gemma3"]
    /// Architectures whose SentencePiece vocabulary transformers builds another way, not converted yet (Phi-3's
    /// prefix normalizer, `phi3_tokenizer`).
    public static let unconvertedSentencePieceArchitectures: Set<String> = ["phi3"]

    /// The tokenizer.json document.
    public let json: Data
    /// Where it came from, for messages.
    public let source: String
    /// `tokenizer.ggml.bos_token_id`, `eos_token_id`, `padding_token_id`, `unknown_token_id`.
    public let bosTokenID: Int?, eosTokenID: Int?, paddingTokenID: Int?, unknownTokenID: Int?
    /// Whether encoding adds BOS / EOS (`tokenizer.ggml.add_bos_token`; when absent, false for byte-level BPE and true for SentencePiece).
    public let addsBOS: Bool, addsEOS: Bool
    /// `tokenizer.chat_template`, when the file has one.
    public let chatTemplate: String?

    /// Converts the tokenizer metadata of `file`; throws `GGUFError` naming the key at fault.
    public init(file: GGUFFile) throws {
        let path = file.url.path
        source = path
        guard let model = try file.string("tokenizer.ggml.model") else {
            throw GGUFError.missingMetadata(file: path, key: "tokenizer.ggml.model")
        }
        let architecture = try file.string("general.architecture") ?? ""
        guard Self.supportedModels.contains(model),
              !(model == "llama" && Self.unconvertedSentencePieceArchitectures.contains(architecture)) else {
            let name = model == "llama" ? "llama (SentencePiece) for architecture \(architecture)" : model
            throw GGUFError.unsupportedTokenizer(file: path, model: name, supported: Self.supportedModels)
        }
        guard let tokens = try file.stringArray("tokenizer.ggml.tokens") else {
            throw GGUFError.missingMetadata(file: path, key: "tokenizer.ggml.tokens")
        }
        let merges = try file.stringArray("tokenizer.ggml.merges")
        let types = try file.intArray("tokenizer.ggml.token_type") ?? []
        guard types.isEmpty || types.count == tokens.count else {
            throw GGUFError.invalidMetadata(file: path, key: "tokenizer.ggml.token_type",
                                            reason: "has \(types.count) entries for \(tokens.count) tokens; expected one per token")
        }
        func tokenID(_ key: String) throws -> Int? {
            guard let id = try file.int(key) else { return nil }
            guard tokens.indices.contains(id) else {
                throw GGUFError.invalidMetadata(file: path, key: key, reason: "is \(id), outside the \(tokens.count)-token vocabulary")
            }
            return id
        }
        bosTokenID = try tokenID("tokenizer.ggml.bos_token_id")
        eosTokenID = try tokenID("tokenizer.ggml.eos_token_id")
        paddingTokenID = try tokenID("tokenizer.ggml.padding_token_id")
        unknownTokenID = try tokenID("tokenizer.ggml.unknown_token_id")
        // update_post_processor drops a flag whose token is unknown. A SentencePiece vocabulary that does not say
        // adds BOS, as llama.cpp does (`get_gguf_tokenizer`).
        addsBOS = try file.bool("tokenizer.ggml.add_bos_token") ?? (model == "llama") && bosTokenID != nil
        addsEOS = try file.bool("tokenizer.ggml.add_eos_token") ?? false && eosTokenID != nil
        chatTemplate = try file.string("tokenizer.chat_template")

        let specialIDs = Set([bosTokenID, eosTokenID, paddingTokenID, unknownTokenID].compactMap { $0 })
        let bos = addsBOS ? bosTokenID.map { (tokens[$0], $0) } : nil
        let eos = addsEOS ? eosTokenID.map { (tokens[$0], $0) } : nil
        let document: JSONDocument
        if model == "gpt2" {
            document = try Self.byteLevelDocument(tokens: tokens, types: types, specialIDs: specialIDs, merges: merges ?? [], preTokenizer: file.string("tokenizer.ggml.pre"),
                                                  bos: bos, eos: eos, file: path)
        } else {
            let scores = try file.floatArray("tokenizer.ggml.scores")
            guard merges != nil || scores?.count == tokens.count || Self.gemmaArchitectures.contains(architecture) else {
                throw GGUFError.invalidMetadata(file: path, key: "tokenizer.ggml.scores",
                                                reason: "is missing or not one per token, and there are no merges to use instead")
            }
            document = Self.gemmaArchitectures.contains(architecture)
                ? Self.gemmaDocument(tokens: tokens, types: types, specialIDs: specialIDs, bos: bos, eos: eos)
                : try Self.sentencePieceDocument(tokens: tokens, types: types, specialIDs: specialIDs, merges: merges, scores: scores ?? [],
                                                 bos: bos, eos: eos, file: path)
        }
        json = document.data
    }

    /// The tokenizer, parsed by ApusTokenizers from `json`.
    public func tokenizer() throws -> Tokenizer { try Tokenizer(data: json, source: source) }

    // MARK: Byte-level BPE

    /// The split patterns transformers knows by llama.cpp pre-tokenizer name (`GGUF_PRE_TOKENIZER_SPLITS`).
    static let splitPatterns: [String: String] = {
        let llama3 = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        let qwen2 = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        let tekken = #"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        let gpt4o = #"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        var patterns: [String: String] = [:]
        for name in ["llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano", "dbrx", "smaug-bpe"] {
            patterns[name] = llama3
        }
        for name in ["qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "megrez"] { patterns[name] = qwen2 }
        patterns["tekken"] = tekken
        for name in ["gpt-4o", "llama4", "kanana2", "talkie", "minimax-m2"] { patterns[name] = gpt4o }
        return patterns
    }()

    /// llama.cpp pre-tokenizers that split every digit before GPT-2's pattern (`LLAMA_VOCAB_PRE_TYPE_SMOLLM` …),
    /// which the models' Hub tokenizer.json spell `Sequence[Digits(individual_digits), ByteLevel]`.
    static let digitsThenGPT2 : Set<String> = ["smollm", "starcoder", "refact"]

    /// GPT-2's byte ↔ character table (`bytes_to_unicode` in transformers/convert_slow_tokenizer.py): printable
    /// Latin-1 bytes stand for themselves, the other 68 take the characters from U+0100 on, in byte order.
    static let byteCharacters: [Unicode.Scalar] = {
        var characters: [Unicode.Scalar] = []
        var next: UInt32 = 256
        for byte in 0..<256 {
            let printable = (33...126).contains(byte) || (161...172).contains(byte) || (174...255).contains(byte)
            let scalar = printable ? UInt32(byte) : { defer { next += 1 }; return next }()
            characters.append(Unicode.Scalar(scalar)!)
        }
        return characters
    }()
    static let byteAlphabet = Set(byteCharacters)

    /// The `vocab` object of `tokens` (token → id), and each token's id. A token listed twice keeps its first place
    /// and its last id, as the Python dict transformers builds in order does.
    static func vocabulary(_ tokens: [String]) -> (document: [(key: String, value: JSONDocument)], ids: [TokenKey: Int]) {
        var members: [(key: String, value: JSONDocument)] = []
        var ids: [TokenKey: Int] = [:]
        var position: [TokenKey: Int] = [:]
        members.reserveCapacity(tokens.count)
        for (id, token) in tokens.enumerated() {
            let key = TokenKey(token)
            ids[key] = id
            if let index = position[key] {
                members[index].value = .int(id)
            } else {
                position[key] = members.count
                members.append((token, .int(id)))
            }
        }
        return (members, ids)
    }

    /// Whether every code point of `token` is in the byte alphabet (Python's `set(token) <= alphabet`).
    static func isByteLevel(_ token: String) -> Bool { token.unicodeScalars.allSatisfy(byteAlphabet.contains) }

    /// A token compared by its UTF-8 bytes, as Python and HF tokenizers compare strings. Swift's `String` equality is
    /// canonical equivalence: "য\u{09BC}" == "\u{09DF}", which would merge two distinct Gemma tokens.
    struct TokenKey: Hashable {
        let bytes: [UInt8]
        init(_ token: String) { bytes = Array(token.utf8) }
    }

    /// `byte_level_tokenizer` + `add_gguf_special_tokens` + `set_split_regex` + `update_post_processor`.
    static func byteLevelDocument(tokens: [String], types: [Int], specialIDs: Set<Int>, merges: [String], preTokenizer: String?,
                                  bos: (String, Int)?, eos: (String, Int)?, file: String) throws -> JSONDocument {
        // A token written outside the byte alphabet is respelled byte by byte (llama.cpp writes some added tokens
        // in plain UTF-8).
        let (vocabulary, ids) = vocabulary(tokens.map { isByteLevel($0) ? $0 : String(String.UnicodeScalarView($0.utf8.map { byteCharacters[Int($0)] })) })
        let mergePairs = try pairs(merges, file: file)
        let added = addedTokens(tokens: tokens, types: types, specialIDs: specialIDs) { isByteLevel($0) } isInVocabulary: { ids[TokenKey($0)] != nil }

        let preTokenizerDocument: JSONDocument
        func byteLevel(useRegex: Bool) -> JSONDocument {
            .object([("type", .string("ByteLevel")), ("add_prefix_space", .bool(false)), ("trim_offsets", .bool(true)), ("use_regex", .bool(useRegex))])
        }
        if let name = preTokenizer, let pattern = splitPatterns[name] {
            preTokenizerDocument = .object([("type", .string("Sequence")), ("pretokenizers", .array([
                .object([("type", .string("Split")), ("pattern", .object([("Regex", .string(pattern))])),
                         ("behavior", .string("Isolated")), ("invert", .bool(false))]),
                byteLevel(useRegex: false),
            ]))])
        } else if let name = preTokenizer, digitsThenGPT2.contains(name) {
            preTokenizerDocument = .object([("type", .string("Sequence")), ("pretokenizers", .array([
                .object([("type", .string("Digits")), ("individual_digits", .bool(true))]),
                byteLevel(useRegex: true),
            ]))])
        } else {
            preTokenizerDocument = byteLevel(useRegex: true)
        }

        return .object([
            ("version", .string("1.0")),
            ("truncation", .null),
            ("padding", .null),
            ("added_tokens", .array(added)),
            ("normalizer", .null),
            ("pre_tokenizer", preTokenizerDocument),
            ("post_processor", templateProcessing(bos: bos, eos: eos)),
            ("decoder", .object([("type", .string("ByteLevel")), ("add_prefix_space", .bool(true)), ("trim_offsets", .bool(true)),
                                 ("use_regex", .bool(true))])),
            ("model", .object([
                ("type", .string("BPE")), ("dropout", .null), ("unk_token", .null), ("continuing_subword_prefix", .string("")),
                ("end_of_word_suffix", .string("")), ("fuse_unk", .bool(false)), ("byte_fallback", .bool(false)),
                ("ignore_merges", .bool(false)), ("vocab", .object(vocabulary)), ("merges", .array(mergePairs)),
            ])),
        ])
    }

    /// Merges as `[left, right]` pairs, each GGUF entry split at its one space.
    static func pairs(_ merges: [String], file: String) throws -> [JSONDocument] {
        var pairs: [JSONDocument] = []
        pairs.reserveCapacity(merges.count)
        for (rank, merge) in merges.enumerated() {
            let parts = merge.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2 else {
                throw GGUFError.invalidMetadata(file: file, key: "tokenizer.ggml.merges",
                                                reason: "entry \(rank) is '\(merge)', expected two tokens separated by one space")
            }
            pairs.append(.array([.string(String(parts[0])), .string(String(parts[1]))]))
        }
        return pairs
    }

    /// `add_gguf_special_tokens`: CONTROL (3) tokens that `isSpelledRight` become special added tokens; USER_DEFINED
    /// (4) ones in the vocabulary become plain added tokens (llama.cpp matches both whole in the text). The BOS, EOS,
    /// unknown and padding tokens (`specialIDs`) are special whatever their type, as transformers registers them.
    static func addedTokens(tokens: [String], types: [Int], specialIDs: Set<Int>, isSpelledRight: (String) -> Bool,
                            isInVocabulary: (String) -> Bool) -> [JSONDocument] {
        var added: [JSONDocument] = []
        for id in tokens.indices {
            let type = types.indices.contains(id) ? types[id] : 1
            let token = tokens[id]
            let special = specialIDs.contains(id) || (type == 3 && isSpelledRight(token))
            guard special || (type == 4 && isInVocabulary(token)) else { continue }
            added.append(.object([
                ("id", .int(id)), ("content", .string(token)), ("single_word", .bool(false)), ("lstrip", .bool(false)),
                ("rstrip", .bool(false)), ("normalized", .bool(false)), ("special", .bool(special)),
            ]))
        }
        return added
    }

    // MARK: SentencePiece

    /// `sentencepiece_tokenizer` → `LlamaTokenizer`: byte-fallback BPE over the vocabulary as written, merges from
    /// the file or recovered from the scores (`generate_merges`), Metaspace with a prefix on the first word only.
    static func sentencePieceDocument(tokens: [String], types: [Int], specialIDs: Set<Int>, merges: [String]?, scores: [Float],
                                      bos: (String, Int)?, eos: (String, Int)?, file: String) throws -> JSONDocument {
        let (vocabulary, ids) = vocabulary(tokens)
        let mergePairs = try merges.map { try pairs($0, file: file) }
            ?? generatedMerges(tokens: tokens, scores: scores, ids: ids).map { .array([.string($0.0), .string($0.1)]) }
        let added = addedTokens(tokens: tokens, types: types, specialIDs: specialIDs) { _ in true } isInVocabulary: { ids[TokenKey($0)] != nil }
        let metaspace = "\u{2581}"
        return .object([
            ("version", .string("1.0")),
            ("truncation", .null),
            ("padding", .null),
            ("added_tokens", .array(added)),
            ("normalizer", .null),
            ("pre_tokenizer", .object([("type", .string("Metaspace")), ("replacement", .string(metaspace)),
                                       ("prepend_scheme", .string("first")), ("split", .bool(false))])),
            ("post_processor", templateProcessing(bos: bos, eos: eos)),
            ("decoder", .object([("type", .string("Sequence")), ("decoders", .array([
                .object([("type", .string("Replace")), ("pattern", .object([("String", .string(metaspace))])), ("content", .string(" "))]),
                .object([("type", .string("ByteFallback"))]),
                .object([("type", .string("Fuse"))]),
                .object([("type", .string("Strip")), ("content", .string(" ")), ("start", .int(1)), ("stop", .int(0))]),
            ]))])),
            ("model", .object([
                ("type", .string("BPE")), ("dropout", .null), ("unk_token", .null), ("continuing_subword_prefix", .null),
                ("end_of_word_suffix", .null), ("fuse_unk", .bool(true)), ("byte_fallback", .bool(true)),
                ("ignore_merges", .bool(false)), ("vocab", .object(vocabulary)), ("merges", .array(mergePairs)),
            ])),
        ])
    }

    /// `gemma_tokenizer` → `GemmaTokenizer`: tokens of two or more spaces (stored as real spaces) respelled as "▁"s;
    /// merges recovered from the vocabulary ranked by file position (Gemma's scores do not follow its merge order);
    /// spaces become "▁" in a normalizer and words split after each space; BPE with byte fallback and `<unk>`.
    static func gemmaDocument(tokens: [String], types: [Int], specialIDs: Set<Int>, bos: (String, Int)?, eos: (String, Int)?) -> JSONDocument {
        let metaspace = "\u{2581}"
        let respelled = tokens.map { token in
            token.contains(" ") && token.unicodeScalars.allSatisfy(\.properties.isWhitespace)
                ? String(repeating: metaspace, count: token.unicodeScalars.count) : token
        }
        let (vocabulary, ids) = vocabulary(respelled)
        let merges = generatedMerges(tokens: respelled, scores: respelled.indices.map { -Float($0) }, ids: ids)
        let added = addedTokens(tokens: tokens, types: types, specialIDs: specialIDs) { _ in true } isInVocabulary: { ids[TokenKey($0)] != nil }
        return .object([
            ("version", .string("1.0")),
            ("truncation", .null),
            ("padding", .null),
            ("added_tokens", .array(added)),
            ("normalizer", .object([("type", .string("Replace")), ("pattern", .object([("String", .string(" "))])), ("content", .string(metaspace))])),
            ("pre_tokenizer", .object([("type", .string("Split")), ("pattern", .object([("String", .string(" "))])),
                                       ("behavior", .string("MergedWithPrevious")), ("invert", .bool(false))])),
            ("post_processor", templateProcessing(bos: bos, eos: eos)),
            ("decoder", .object([("type", .string("Sequence")), ("decoders", .array([
                .object([("type", .string("Replace")), ("pattern", .object([("String", .string(metaspace))])), ("content", .string(" "))]),
                .object([("type", .string("ByteFallback"))]),
                .object([("type", .string("Fuse"))]),
            ]))])),
            ("model", .object([
                ("type", .string("BPE")), ("dropout", .null), ("unk_token", .string("<unk>")), ("continuing_subword_prefix", .null),
                ("end_of_word_suffix", .null), ("fuse_unk", .bool(true)), ("byte_fallback", .bool(true)),
                ("ignore_merges", .bool(false)), ("vocab", .object(vocabulary)),
                ("merges", .array(merges.map { .array([.string($0.0), .string($0.1)]) })),
            ])),
        ])
    }

    /// transformers' `generate_merges(vocab, vocab_scores)`: every split of every token into two tokens of the
    /// vocabulary, ordered best score first, then longer left and right pieces first; within one token by the pieces'
    /// ids. Python's stable sorts are reproduced with the original position as the last key. Lengths count Unicode
    /// scalars, as Python's `len` does.
    static func generatedMerges(tokens: [String], scores: [Float], ids: [TokenKey: Int]) -> [(String, String)] {
        // dict(zip(tokens, scores)): the first position of a token, its last score.
        var order: [String] = []
        var scoreOf: [TokenKey: Float] = [:]
        for (token, score) in zip(tokens, scores) {
            if scoreOf[TokenKey(token)] == nil { order.append(token) }
            scoreOf[TokenKey(token)] = score
        }
        struct Candidate { let left: String, right: String, score: Float, leftLength: Int, rightLength: Int }
        var candidates: [Candidate] = []
        for token in order {
            let scalars = Array(token.unicodeScalars)
            guard scalars.count > 1, let score = scoreOf[TokenKey(token)] else { continue }
            var local: [(Candidate, Int, Int)] = []
            for index in 1..<scalars.count {
                var left = "", right = ""
                left.unicodeScalars.append(contentsOf: scalars[..<index])
                right.unicodeScalars.append(contentsOf: scalars[index...])
                if let leftID = ids[TokenKey(left)], let rightID = ids[TokenKey(right)] {
                    local.append((Candidate(left: left, right: right, score: score, leftLength: index, rightLength: scalars.count - index), leftID, rightID))
                }
            }
            local.sort { ($0.1, $0.2) < ($1.1, $1.2) }
            candidates.append(contentsOf: local.map(\.0))
        }
        let ranked = candidates.indices.sorted { a, b in
            let x = candidates[a], y = candidates[b]
            if x.score != y.score { return x.score > y.score }
            if x.leftLength != y.leftLength { return x.leftLength > y.leftLength }
            if x.rightLength != y.rightLength { return x.rightLength > y.rightLength }
            return a < b
        }
        return ranked.map { (candidates[$0].left, candidates[$0].right) }
    }

    /// `TokenizersBackend.update_post_processor`: `[BOS] $A [EOS]`, and for pairs `[BOS] $A [EOS] [BOS] $B [EOS]`
    /// with the second sequence's pieces at type id 1.
    static func templateProcessing(bos: (String, Int)?, eos: (String, Int)?) -> JSONDocument {
        func special(_ token: String, _ typeID: Int) -> JSONDocument {
            .object([("SpecialToken", .object([("id", .string(token)), ("type_id", .int(typeID))]))])
        }
        func sequence(_ id: String, _ typeID: Int) -> JSONDocument {
            .object([("Sequence", .object([("id", .string(id)), ("type_id", .int(typeID))]))])
        }
        var single: [JSONDocument] = []
        if let bos { single.append(special(bos.0, 0)) }
        single.append(sequence("A", 0))
        if let eos { single.append(special(eos.0, 0)) }
        var pair = single
        if let bos { pair.append(special(bos.0, 1)) }
        pair.append(sequence("B", 1))
        if let eos { pair.append(special(eos.0, 1)) }
        // tokenizers writes this map with its keys sorted.
        var specials: [(key: String, value: JSONDocument)] = []
        for (token, id) in [bos, eos].compactMap({ $0 }).sorted(by: { $0.0 < $1.0 }) where !specials.contains(where: { $0.key == token }) {
            specials.append((token, .object([("id", .string(token)), ("ids", .array([.int(id)])), ("tokens", .array([.string(token)]))])))
        }
        return .object([("type", .string("TemplateProcessing")), ("single", .array(single)), ("pair", .array(pair)),
                        ("special_tokens", .object(specials))])
    }
}
