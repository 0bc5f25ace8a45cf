/// Why a tokenizer.json cannot be used. Every case names the file, and where it applies the field (as a path
/// such as `model.vocab` or `added_tokens[3].content`) and what was expected there.
public enum TokenizerError: Error, CustomStringConvertible, Equatable {
    /// The file could not be read at all.
    case unreadableFile(file: String, reason: String)
    /// The file is not JSON, or its top level is not an object.
    case invalidJSON(file: String, reason: String)
    /// A field is missing or holds the wrong kind of value.
    case invalidField(file: String, field: String, expected: String)
    /// A pipeline stage whose `type` Apus does not implement (yet).
    case unsupportedComponent(file: String, component: String, type: String, supported: [String])
    /// A token the configuration names is not in the vocabulary.
    case unknownToken(file: String, field: String, token: String)

    public var description: String {
        switch self {
        case .unreadableFile(let file, let reason):
            return "\(file): cannot be read: \(reason)"
        case .invalidJSON(let file, let reason):
            return "\(file): not a valid tokenizer.json: \(reason)"
        case .invalidField(let file, let field, let expected):
            return "\(file): field '\(field)': expected \(expected)"
        case .unsupportedComponent(let file, let component, let type, let supported):
            return "\(file): \(component) type '\(type)' is not supported; supported \(component) types: "
                + supported.joined(separator: ", ")
        case .unknownToken(let file, let field, let token):
            return "\(file): field '\(field)' names the token '\(token)', which is not in the vocabulary"
        }
    }
}
