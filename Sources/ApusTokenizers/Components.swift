import Foundation

/// A `normalizer` of tokenizer.json: rewrites text before it is split.
public protocol Normalizer: Sendable {
    /// Normalises `text` in place, keeping alignments to the original.
    func normalize(_ text: inout NormalizedText)
}

/// A `pre_tokenizer`: splits normalised text into the words the model sees one at a time.
public protocol PreTokenizer: Sendable {
    /// The words of `text`, each keeping its alignments.
    func split(_ text: NormalizedText) -> [NormalizedText]
}

/// One token a model produced for a word: its id, its string and the word's scalars it covers.
public struct ModelToken: Sendable, Equatable {
    public var id: Int
    public var value: String
    public var range: Range<Int>
}

/// A `model`: turns one pre-tokenised word into tokens.
public protocol TokenizationModel: Sendable {
    /// Tokens for `word`.
    func tokenize(_ word: [Unicode.Scalar]) -> [ModelToken]
    /// Id of `token` in the vocabulary.
    func id(for token: String) -> Int?
    /// Token string of `id`.
    func token(for id: Int) -> String?
    /// Number of entries in the vocabulary.
    var vocabularySize: Int { get }
}

/// A `post_processor`: adds special tokens and type ids around one or two sequences.
public protocol PostProcessor: Sendable {
    /// How many tokens `process` adds (truncation reserves room for them).
    func addedTokenCount(isPair: Bool) -> Int
    /// Joins `first` and optional `second` with the special tokens.
    func process(_ first: Encoding, _ second: Encoding?) -> Encoding
}

/// A `decoder`: turns token strings back into text.
public protocol TokenDecoder: Sendable {
    /// The text for `tokens`.
    func decode(_ tokens: [String]) -> String
}

/// Builds pipeline stages from their tokenizer.json objects by `type`.
enum ComponentFactory {
    static let normalizerTypes = ["BertNormalizer", "Lowercase", "Sequence"]
    static let preTokenizerTypes = ["BertPreTokenizer", "Sequence", "WhitespaceSplit"]
    static let modelTypes = ["WordPiece"]
    static let postProcessorTypes = ["BertProcessing", "TemplateProcessing"]
    static let decoderTypes = ["WordPiece"]

    static func normalizer(_ value: Any?, path: String, file: String) throws -> (any Normalizer)? {
        guard let value, !(value is NSNull) else { return nil }
        let fields = try JSONFields(value, path: path, file: file)
        switch try fields.string("type") {
        case "BertNormalizer":
            return try BertNormalizer(fields)
        case "Lowercase":
            return BertNormalizer(cleanText: false, handleChineseChars: false, stripAccents: false, lowercase: true)
        case "Sequence":
            let items = try fields.array("normalizers").enumerated().compactMap { index, item in
                try normalizer(item, path: fields.field("normalizers[\(index)]"), file: file)
            }
            return NormalizerSequence(normalizers: items)
        case let type:
            throw TokenizerError.unsupportedComponent(file: file, component: "normalizer", type: type, supported: normalizerTypes)
        }
    }

    static func preTokenizer(_ value: Any?, path: String, file: String) throws -> (any PreTokenizer)? {
        guard let value, !(value is NSNull) else { return nil }
        let fields = try JSONFields(value, path: path, file: file)
        switch try fields.string("type") {
        case "BertPreTokenizer":
            return BertPreTokenizer()
        case "WhitespaceSplit":
            return WhitespaceSplit()
        case "Sequence":
            let items = try fields.array("pretokenizers").enumerated().compactMap { index, item in
                try preTokenizer(item, path: fields.field("pretokenizers[\(index)]"), file: file)
            }
            return PreTokenizerSequence(preTokenizers: items)
        case let type:
            throw TokenizerError.unsupportedComponent(file: file, component: "pre_tokenizer", type: type, supported: preTokenizerTypes)
        }
    }

    static func model(_ value: Any?, path: String, file: String) throws -> any TokenizationModel {
        let fields = try JSONFields(value, path: path, file: file)
        let type = fields.has("type") ? try fields.string("type") : (fields.has("continuing_subword_prefix") ? "WordPiece" : "")
        switch type {
        case "WordPiece":
            return try WordPiece(fields)
        default:
            throw TokenizerError.unsupportedComponent(file: file, component: "model", type: type, supported: modelTypes)
        }
    }

    static func postProcessor(_ value: Any?, path: String, file: String, vocabulary: (String) -> Int?) throws -> (any PostProcessor)? {
        guard let value, !(value is NSNull) else { return nil }
        let fields = try JSONFields(value, path: path, file: file)
        switch try fields.string("type") {
        case "TemplateProcessing":
            return try TemplateProcessing(fields)
        case "BertProcessing":
            return try TemplateProcessing(bertProcessing: fields)
        case let type:
            throw TokenizerError.unsupportedComponent(file: file, component: "post_processor", type: type, supported: postProcessorTypes)
        }
    }

    static func decoder(_ value: Any?, path: String, file: String) throws -> (any TokenDecoder)? {
        guard let value, !(value is NSNull) else { return nil }
        let fields = try JSONFields(value, path: path, file: file)
        switch try fields.string("type") {
        case "WordPiece":
            return WordPieceDecoder(prefix: try fields.optionalString("prefix") ?? "##", cleanup: try fields.bool("cleanup", default: true))
        case let type:
            throw TokenizerError.unsupportedComponent(file: file, component: "decoder", type: type, supported: decoderTypes)
        }
    }
}

/// Applies normalizers in order (`Sequence`).
struct NormalizerSequence: Normalizer {
    let normalizers: [any Normalizer]
    func normalize(_ text: inout NormalizedText) {
        for normalizer in normalizers { normalizer.normalize(&text) }
    }
}

/// Applies pre-tokenizers in order, each splitting the previous one's words (`Sequence`).
struct PreTokenizerSequence: PreTokenizer {
    let preTokenizers: [any PreTokenizer]
    func split(_ text: NormalizedText) -> [NormalizedText] {
        preTokenizers.reduce([text]) { words, preTokenizer in words.flatMap { preTokenizer.split($0) } }
    }
}
