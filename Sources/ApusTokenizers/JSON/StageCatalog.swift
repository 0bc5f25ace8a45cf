/// A pipeline stage that can be read from its tokenizer.json object.
protocol JSONDecodableStage {
    /// The stage's `"type"` in tokenizer.json (`"BertNormalizer"`, `"WordPiece"`…).
    static var jsonType: String { get }
    /// Reads the stage from `json`, whose `"type"` is `jsonType`.
    init(json: JSONObject) throws
}

/// The stage types one tokenizer.json component (`normalizer`, `pre_tokenizer`, `model`, `post_processor`,
/// `decoder`) can name, mapped from their `"type"` to the Swift type that reads and implements them.
///
/// Adding a stage is one file (the type conforming to the component's protocol and `JSONDecodableStage`) and
/// one line in the component's catalog. A `"type"` not in the catalog is an error that names the component,
/// the type and the supported ones.
struct StageCatalog<Stage>: Sendable {
    /// One supported `"type"` and how to read it.
    struct Entry: Sendable {
        let type: String
        let decode: @Sendable (JSONObject) throws -> Stage
    }

    /// The tokenizer.json key of the component, for messages.
    let component: String
    let entries: [Entry]

    /// The `"type"` values this component supports, in catalog order.
    var supportedTypes: [String] { entries.map(\.type) }

    /// Reads the stage `value` describes; `path` locates it in `file`.
    func decode(_ value: JSONValue, path: String, file: String) throws -> Stage {
        let object = try JSONObject(value, path: path, file: file)
        return try decode(object, type: try object.string("type"))
    }

    /// Reads `object` as a stage of `type`.
    func decode(_ object: JSONObject, type: String) throws -> Stage {
        guard let entry = entries.first(where: { $0.type.utf8.elementsEqual(type.utf8) }) else {
            throw TokenizerError.unsupportedComponent(file: object.file, component: component, type: type, supported: supportedTypes)
        }
        return try entry.decode(object)
    }

    /// Reads an optional stage: nil when the key is absent or null (tokenizer.json writes `"normalizer": null`).
    func decodeOptional(_ value: JSONValue?, path: String, file: String) throws -> Stage? {
        switch value {
        case .none, .null?: return nil
        case .some(let value): return try decode(value, path: path, file: file)
        }
    }
}
