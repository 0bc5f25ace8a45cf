import Foundation

/// A tokenizer read from a Hugging Face `tokenizer.json`, giving the ids, type ids, offsets and masks Python's
/// `tokenizers` gives, and decoding as its `decode` does.
///
/// ```swift
/// let tokenizer = try Tokenizer(contentsOf: modelDirectory.appendingPathComponent("tokenizer.json"))
/// tokenizer.encode("Hello, world!").ids                               // [101, 7592, 1010, 2088, 999, 102]
/// tokenizer.encode(question, pair: passage, truncation: Truncation(maxLength: 384)).typeIds
/// tokenizer.decode([101, 7592, 1010, 2088, 999, 102])                 // "hello, world!"
/// ```
///
/// The pipeline is the file's (tokenizers/src/tokenizer/mod.rs): added tokens are split out of the raw text →
/// normalizer → normalised added tokens → pre-tokenizer → model → truncation → post-processor.
///
/// The file's own `truncation` and `padding` sections are parsed and exposed (`configuredTruncation`,
/// `configuredPadding`) but never applied implicitly: `encode` truncates only when the caller passes a
/// `Truncation`, and only `encodeBatch(_:padding:)` pads. The pipelines decide (sentence-transformers, for one,
/// truncates to the model's `max_seq_length`, not to the file's setting).
public final class Tokenizer: Sendable {
    /// Where the tokenizer was read from, for messages.
    public let source: String
    /// The file's `truncation` section, if any (not applied by `encode`).
    public let configuredTruncation: Truncation?
    /// The file's `padding` section, if any (not applied by `encode`).
    public let configuredPadding: Padding?
    /// The file's `added_tokens`, in order.
    public var addedTokens: [AddedToken] { addedVocabulary.tokens }

    let normalizer: (any Normalizer)?
    let preTokenizer: (any PreTokenizer)?
    let model: any TokenizationModel
    let postProcessor: (any PostProcessor)?
    let decoder: (any TokenDecoder)?
    let addedVocabulary: AddedVocabulary
    /// Added token content → index into `addedTokens` (the last entry wins for repeated content).
    private let addedTokenByContent: [ExactString: Int]
    /// Added token id → index into `addedTokens`.
    private let addedTokenById: [Int: Int]
    /// Contents of the special added tokens, which `decode(skipSpecialTokens: true)` drops.
    private let specialContents: Set<ExactString>

    /// Reads the tokenizer.json at `url`; errors name the file.
    public convenience init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw TokenizerError.unreadableFile(file: url.path, reason: error.localizedDescription)
        }
        try self.init(data: data, source: url.path)
    }

    /// Parses tokenizer.json `data`; `source` names it in errors.
    public init(data: Data, source: String) throws {
        self.source = source
        let document: JSONValue
        do {
            document = try data.withUnsafeBytes { raw throws(JSONSyntaxError) in
                try JSONValue.parse(raw.bindMemory(to: UInt8.self))
            }
        } catch let error as JSONSyntaxError {
            throw TokenizerError.invalidJSON(file: source, reason: error.description)
        }
        guard case .object = document else {
            throw TokenizerError.invalidJSON(file: source, reason: "the top level is \(document.kind), not an object")
        }
        let root = try JSONObject(document, path: "", file: source)

        let normalizer = try normalizerCatalog.decodeOptional(root["normalizer"], path: "normalizer", file: source)
        self.normalizer = normalizer
        preTokenizer = try preTokenizerCatalog.decodeOptional(root["pre_tokenizer"], path: "pre_tokenizer", file: source)
        guard let modelJSON = root["model"] else { throw root.mismatch("model", expected: "an object") }
        let model = try modelCatalog.decodeModel(modelJSON, path: "model", file: source)
        self.model = model
        postProcessor = try postProcessorCatalog.decodeOptional(root["post_processor"], path: "post_processor", file: source)
        decoder = try decoderCatalog.decodeOptional(root["decoder"], path: "decoder", file: source)

        var addedTokens: [AddedToken] = []
        if root.has("added_tokens") {
            for (index, item) in try root.array("added_tokens").enumerated() {
                addedTokens.append(try AddedToken(json: try root.object(in: "added_tokens", at: index, item)))
            }
        }
        addedVocabulary = AddedVocabulary(tokens: addedTokens, normalizer: normalizer)
        var byContent: [ExactString: Int] = [:]
        var byId: [Int: Int] = [:]
        for (index, token) in addedTokens.enumerated() {
            byContent[ExactString(token.content)] = index
            byId[token.id] = index
        }
        addedTokenByContent = byContent
        addedTokenById = byId
        vocabularySize = model.vocabularySize + byContent.keys.filter { model.id(for: $0.value) == nil }.count
        specialContents = Set(addedTokens.filter(\.special).map { ExactString($0.content) })

        configuredTruncation = root.has("truncation") ? try Truncation(json: try root.object("truncation")) : nil
        configuredPadding = root.has("padding") ? try Padding(json: try root.object("padding")) : nil
    }

    /// The pad token and id of the file's `padding` section, or nil when it has none.
    public var paddingToken: (token: String, id: Int)? {
        configuredPadding.map { ($0.padToken, $0.padId) }
    }

    /// Number of distinct tokens: the model's vocabulary plus added tokens it does not contain (tokenizers'
    /// `get_vocab_size(with_added_tokens: true)`).
    public let vocabularySize: Int

    /// The id of `token`: an added token's first, then the model's vocabulary (exact scalars, no normalisation).
    public func tokenId(for token: String) -> Int? {
        if let index = addedTokenByContent[ExactString(token)] { return addedVocabulary.tokens[index].id }
        return model.id(for: token)
    }

    /// The token string of `id` (for a normalised added token, its normalised form, as tokenizers gives it).
    public func token(for id: Int) -> String? {
        if let index = addedTokenById[id] { return addedVocabulary.decodedForms[index] }
        return model.token(for: id)
    }

    /// Tokenises `text`, or the pair `text`/`pair`, as Python's `tokenizer.encode(text, pair)` does.
    ///
    /// - Parameters:
    ///   - addSpecialTokens: add the post-processor's special tokens (`[CLS]`, `[SEP]`); when false the
    ///     template still orders the sequences and sets their type ids.
    ///   - truncation: shorten to `truncation.maxLength` tokens, special tokens included, the rest going to
    ///     `overflowing` windows; nil keeps every token (the file's own `truncation` section is not applied — see
    ///     `configuredTruncation`).
    public func encode(_ text: String, pair: String? = nil, addSpecialTokens: Bool = true, truncation: Truncation? = nil) -> Encoding {
        var first = encodeSequence(text, typeId: 0)
        var second = pair.map { encodeSequence($0, typeId: 1) }
        if let truncation {
            let reserved = addSpecialTokens ? (postProcessor?.addedTokenCount(isPair: second != nil) ?? 0) : 0
            // tokenizers subtracts in unsigned arithmetic: a maxLength below the special-token count wraps
            // around to "no limit".
            if truncation.maxLength >= reserved {
                truncation.truncate(&first, &second, budget: truncation.maxLength - reserved)
            }
        }
        guard let postProcessor else { return concatenate(first, second) }
        return postProcessor.process(first, second, addSpecialTokens: addSpecialTokens)
    }

    /// `encode` for each text, in order, then `padding` over the batch when given (Python's `encode_batch` with
    /// padding enabled); texts are spread over the available cores.
    public func encodeBatch(_ texts: [String], addSpecialTokens: Bool = true, truncation: Truncation? = nil,
                            padding: Padding? = nil) -> [Encoding] {
        encodeBatch(texts.map { ($0, nil) }, addSpecialTokens: addSpecialTokens, truncation: truncation, padding: padding)
    }

    /// `encode(_:pair:)` for each pair, in order, then `padding` over the batch when given.
    public func encodeBatch(_ pairs: [(String, String)], addSpecialTokens: Bool = true, truncation: Truncation? = nil,
                            padding: Padding? = nil) -> [Encoding] {
        encodeBatch(pairs.map { ($0.0, Optional($0.1)) }, addSpecialTokens: addSpecialTokens, truncation: truncation, padding: padding)
    }

    private func encodeBatch(_ inputs: [(String, String?)], addSpecialTokens: Bool, truncation: Truncation?, padding: Padding?) -> [Encoding] {
        let minimumTextsPerTask = 16
        let taskCount = min(ProcessInfo.processInfo.activeProcessorCount, inputs.count / minimumTextsPerTask)
        var encodings: [Encoding]
        if taskCount > 1 {
            let results = ResultSlots<Encoding>(count: inputs.count)
            DispatchQueue.concurrentPerform(iterations: taskCount) { task in
                for index in stride(from: task, to: inputs.count, by: taskCount) {
                    let (text, pair) = inputs[index]
                    results.store(encode(text, pair: pair, addSpecialTokens: addSpecialTokens, truncation: truncation), at: index)
                }
            }
            encodings = results.values
        } else {
            encodings = inputs.map { encode($0.0, pair: $0.1, addSpecialTokens: addSpecialTokens, truncation: truncation) }
        }
        padding?.pad(&encodings)
        return encodings
    }

    /// The text of `ids`, as Python's `tokenizer.decode(ids, skip_special_tokens=...)` gives it. Ids outside
    /// the vocabulary are skipped; with `skipSpecialTokens`, so are the special added tokens.
    ///
    /// As in tokenizers (tokenizer/mod.rs, `decode`), added tokens and model tokens go through the decoder as one
    /// list, not in separate runs. transformers' `clean_up_tokenization_spaces` (a tokenizer_config.json setting
    /// applied after this) is not tokenizers' and not applied here.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = true) -> String {
        let tokens = ids.compactMap { id -> String? in
            guard let token = token(for: id) else { return nil }
            if skipSpecialTokens && specialContents.contains(ExactString(token)) { return nil }
            return token
        }
        return decoder?.decode(tokens) ?? tokens.joined(separator: " ")
    }

    /// The text of token strings, as Python's `convert_tokens_to_string` gives it: the file's decoder, or the
    /// tokens joined by spaces when it has none. Unlike `decode`, nothing is skipped or looked up, so a piece
    /// of original text can stand in for a token (the NER pipeline does this for unknown tokens).
    public func decode(tokens: [String]) -> String {
        decoder?.decode(tokens) ?? tokens.joined(separator: " ")
    }

    /// The prefix the model writes before a piece that continues a word (`##` for WordPiece); nil when its
    /// tokens carry no such mark.
    public var continuingSubwordPrefix: String? { model.wordContinuationPrefix }

    /// The id of the model's unknown token (`[UNK]`), if it has one.
    public var unknownTokenId: Int? { model.unknownTokenId }

    /// One sequence through added-token splitting, normalisation, pre-tokenisation and the model.
    private func encodeSequence(_ text: String, typeId: Int) -> Encoding {
        var encoding = Encoding()
        func appendAddedToken(_ token: AddedToken, covering span: NormalizedText) {
            encoding.append(id: token.id, token: span.string, offset: span.originalRange(of: 0..<span.count), typeId: typeId)
        }
        for piece in addedVocabulary.splitRaw(NormalizedText(text)) {
            switch piece {
            case .token(let token, let span):
                appendAddedToken(token, covering: span)
            case .text(var segment):
                normalizer?.normalize(&segment)
                for normalizedPiece in addedVocabulary.splitNormalized(segment) {
                    switch normalizedPiece {
                    case .token(let token, let span):
                        appendAddedToken(token, covering: span)
                    case .text(let normalized):
                        for word in preTokenizer?.split(normalized) ?? [normalized] {
                            for token in model.tokenize(word.scalars) {
                                encoding.append(id: token.id, token: token.value, offset: word.originalRange(of: token.range), typeId: typeId)
                            }
                        }
                    }
                }
            }
        }
        return encoding
    }
}

/// Slots that concurrent tasks fill, each index written by exactly one task before `values` is read.
private final class ResultSlots<Value>: @unchecked Sendable {
    // A raw buffer, not an array property: tasks writing distinct elements of it never access the same memory,
    // while simultaneous mutations of one array property would trip Swift's exclusivity checks.
    private let slots: UnsafeMutableBufferPointer<Value?>

    init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil)
    }

    deinit {
        slots.deinitialize()
        slots.deallocate()
    }

    /// Stores `value` at `index`.
    func store(_ value: Value, at index: Int) { slots[index] = value }

    /// All values, once every slot has been stored.
    var values: [Value] {
        slots.map { value in
            guard let value else { preconditionFailure("every slot is stored before the values are read") }
            return value
        }
    }
}
