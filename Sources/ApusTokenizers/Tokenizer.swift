import Foundation

/// A tokenizer built from a Hugging Face `tokenizer.json`, giving the ids Python's `tokenizers` gives.
///
/// ```swift
/// let tokenizer = try Tokenizer(contentsOf: modelDirectory.appendingPathComponent("tokenizer.json"))
/// tokenizer.encode("Hello, world!").ids   // [101, 7592, 1010, 2088, 999, 102]
/// ```
/// The pipeline is the file's: added tokens split out → normalizer → pre-tokenizer → model → truncation →
/// post-processor. The file's own `truncation` and `padding` sections are parsed (`configuredTruncation`,
/// `paddingToken`) but never applied implicitly: callers choose truncation per call, and Apus never pads.
public final class Tokenizer: Sendable {
    /// Where the tokenizer was read from, for messages.
    public let source: String
    let normalizer: (any Normalizer)?
    let preTokenizer: (any PreTokenizer)?
    let model: any TokenizationModel
    let postProcessor: (any PostProcessor)?
    let decoder: (any TokenDecoder)?
    let addedVocabulary: AddedVocabulary
    private let addedTokensById: [Int: AddedToken]
    private let addedTokensByContent: [ExactString: AddedToken]

    /// The `truncation` section of the file, if any.
    public let configuredTruncation: Truncation?
    /// The pad token named by the file's `padding` section, if any.
    public let paddingToken: (token: String, id: Int)?

    /// Reads `tokenizer.json` at `url`.
    public convenience init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TokenizerError.invalidJSON(file: url.path, reason: "cannot be read: \(error.localizedDescription)")
        }
        try self.init(data: data, source: url.path)
    }

    /// Parses tokenizer.json `data`; `source` names it in errors.
    public init(data: Data, source: String) throws {
        self.source = source
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: data) } catch {
            throw TokenizerError.invalidJSON(file: source, reason: "malformed JSON")
        }
        guard json is [String: Any] else { throw TokenizerError.invalidJSON(file: source, reason: "the top level is not an object") }
        let root = try JSONFields(json, path: "", file: source)

        normalizer = try ComponentFactory.normalizer(root.object["normalizer"], path: "normalizer", file: source)
        preTokenizer = try ComponentFactory.preTokenizer(root.object["pre_tokenizer"], path: "pre_tokenizer", file: source)
        guard root.has("model") else { throw TokenizerError.invalidField(file: source, field: "model", expected: "an object") }
        let model = try ComponentFactory.model(root.object["model"], path: "model", file: source)
        self.model = model
        decoder = try ComponentFactory.decoder(root.object["decoder"], path: "decoder", file: source)

        var addedTokens: [AddedToken] = []
        if root.has("added_tokens") {
            for (index, item) in try root.array("added_tokens").enumerated() {
                let fields = try JSONFields(item, path: "added_tokens[\(index)]", file: source)
                addedTokens.append(AddedToken(
                    id: try fields.int("id"), content: try fields.string("content"), special: try fields.bool("special", default: false),
                    singleWord: try fields.bool("single_word", default: false), leftStrip: try fields.bool("lstrip", default: false),
                    rightStrip: try fields.bool("rstrip", default: false), normalized: try fields.bool("normalized", default: true)))
            }
        }
        let normalizer = self.normalizer
        addedVocabulary = AddedVocabulary(tokens: addedTokens) { content in
            var text = NormalizedText(content.unicodeScalars)
            normalizer?.normalize(&text)
            return text.scalars
        }
        addedTokensById = Dictionary(addedTokens.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        addedTokensByContent = Dictionary(addedTokens.map { (ExactString($0.content), $0) }, uniquingKeysWith: { first, _ in first })
        let addedByContent = addedTokensByContent
        postProcessor = try ComponentFactory.postProcessor(root.object["post_processor"], path: "post_processor", file: source) { token in
            addedByContent[ExactString(token)]?.id ?? model.id(for: token)
        }

        if root.has("truncation") {
            let fields = try root.nested("truncation")
            let strategy: Truncation.Strategy
            switch try fields.optionalString("strategy") ?? "LongestFirst" {
            case "LongestFirst": strategy = .longestFirst
            case "OnlyFirst": strategy = .onlyFirst
            case "OnlySecond": strategy = .onlySecond
            case let other: throw TokenizerError.invalidField(file: source, field: "truncation.strategy", expected: "LongestFirst, OnlyFirst or OnlySecond, not \(other)")
            }
            let direction: Truncation.Direction = try fields.optionalString("direction") == "Left" ? .left : .right
            configuredTruncation = Truncation(maxLength: try fields.int("max_length"), strategy: strategy, direction: direction)
        } else {
            configuredTruncation = nil
        }
        if root.has("padding") {
            let fields = try root.nested("padding")
            paddingToken = (try fields.optionalString("pad_token") ?? "[PAD]", try fields.int("pad_id", default: 0))
        } else {
            paddingToken = nil
        }
    }

    /// Number of ids: the model's vocabulary plus added tokens outside it.
    public var vocabularySize: Int {
        model.vocabularySize + addedTokensById.keys.filter { model.token(for: $0) == nil }.count
    }

    /// Id of `token` (added tokens first, then the model's vocabulary).
    public func tokenId(for token: String) -> Int? { addedTokensByContent[ExactString(token)]?.id ?? model.id(for: token) }

    /// Token string of `id`.
    public func token(for id: Int) -> String? { addedTokensById[id]?.content ?? model.token(for: id) }

    /// Tokenises `text` (and `pair`), adding the post-processor's special tokens unless `addSpecialTokens`
    /// is false, and truncating to `truncation.maxLength` tokens (special tokens included) when given.
    public func encode(_ text: String, pair: String? = nil, addSpecialTokens: Bool = true, truncation: Truncation? = nil) -> Encoding {
        var first = encodeSequence(text)
        var second = pair.map(encodeSequence)
        if let truncation {
            let reserved = addSpecialTokens ? (postProcessor?.addedTokenCount(isPair: second != nil) ?? 0) : 0
            Self.truncate(&first, &second, maxLength: max(truncation.maxLength - reserved, 0), truncation)
        }
        if addSpecialTokens, let postProcessor {
            return postProcessor.process(first, second)
        }
        var result = first
        if let second { result.append(contentsOf: second, typeId: 1) }
        return result
    }

    /// `encode` for each text, in order.
    public func encodeBatch(_ texts: [String], addSpecialTokens: Bool = true, truncation: Truncation? = nil) -> [Encoding] {
        texts.map { encode($0, addSpecialTokens: addSpecialTokens, truncation: truncation) }
    }

    /// The text of `ids`, as Python's `tokenizer.decode` gives it; unknown ids are skipped.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = true) -> String {
        let tokens = ids.compactMap { id -> String? in
            if skipSpecialTokens, addedTokensById[id]?.special == true { return nil }
            return token(for: id)
        }
        return decoder?.decode(tokens) ?? tokens.joined(separator: " ")
    }

    /// One sequence through added-token splitting, normalisation, pre-tokenisation and the model.
    private func encodeSequence(_ text: String) -> Encoding {
        var encoding = Encoding()
        for piece in addedVocabulary.splitRaw(NormalizedText(text.unicodeScalars)) {
            switch piece {
            case .token(let token, let matched, let offset):
                encoding.append(id: token.id, token: matched, offset: offset, typeId: 0, special: false)
            case .text(var segment):
                normalizer?.normalize(&segment)
                for normalizedPiece in addedVocabulary.splitNormalized(segment) {
                    switch normalizedPiece {
                    case .token(let token, let matched, let offset):
                        encoding.append(id: token.id, token: matched, offset: offset, typeId: 0, special: false)
                    case .text(let normalized):
                        for word in preTokenizer?.split(normalized) ?? [normalized] {
                            for token in model.tokenize(word.scalars) {
                                encoding.append(id: token.id, token: token.value, offset: word.originalRange(of: token.range),
                                                typeId: 0, special: false)
                            }
                        }
                    }
                }
            }
        }
        return encoding
    }

    /// Shortens the sequences to `maxLength` tokens in all, as tokenizers/src/utils/truncation.rs does.
    private static func truncate(_ first: inout Encoding, _ second: inout Encoding?, maxLength: Int, _ truncation: Truncation) {
        guard var other = second else {
            if truncation.strategy != .onlySecond { first.truncate(to: maxLength, direction: truncation.direction) }
            return
        }
        defer { second = other }
        guard first.count + other.count > maxLength else { return }
        switch truncation.strategy {
        case .onlyFirst:
            first.truncate(to: max(maxLength - other.count, 0), direction: truncation.direction)
        case .onlySecond:
            other.truncate(to: max(maxLength - first.count, 0), direction: truncation.direction)
        case .longestFirst:
            // Keep the shorter one whole if the longer one can absorb the cut, else split the budget in half.
            var short = min(first.count, other.count), long = max(first.count, other.count)
            long = short > maxLength ? short : max(short, maxLength - short)
            if short + long > maxLength {
                short = maxLength / 2
                long = short + maxLength % 2
            }
            let firstIsLonger = first.count > other.count
            first.truncate(to: firstIsLonger ? long : short, direction: truncation.direction)
            other.truncate(to: firstIsLonger ? short : long, direction: truncation.direction)
        }
    }
}
