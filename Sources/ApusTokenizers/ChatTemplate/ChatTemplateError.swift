/// Why a chat template cannot be read or rendered. Template errors carry the 1-based line and column (in
/// Unicode scalars) of the construct at fault.
public enum ChatTemplateError: Error, CustomStringConvertible, Equatable {
    /// The template is not valid Jinja (an unclosed tag, an unexpected token…).
    case syntax(message: String, line: Int, column: Int)
    /// Valid Jinja that this interpreter does not implement (`{% include %}`, an unknown filter…).
    case unsupported(construct: String, line: Int, column: Int)
    /// Rendering failed: an undefined value used where a value is needed, a type mismatch, a division by zero…
    case rendering(message: String, line: Int, column: Int)
    /// The template called `raise_exception(message)` (transformers' way for a template to reject a conversation).
    case raised(message: String, line: Int, column: Int)
    /// A tokenizer_config.json or chat_template.jinja could not be read.
    case unreadableFile(file: String, reason: String)
    /// A field of tokenizer_config.json holds the wrong kind of value.
    case invalidField(file: String, field: String, expected: String)
    /// No chat template of the requested name (or none at all) was found.
    case templateNotFound(source: String, name: String?, available: [String])

    public var description: String {
        switch self {
        case .syntax(let message, let line, let column):
            return "chat template syntax error at line \(line), column \(column): \(message)"
        case .unsupported(let construct, let line, let column):
            return "chat template uses \(construct) at line \(line), column \(column), which Apus does not support"
        case .rendering(let message, let line, let column):
            return "chat template error at line \(line), column \(column): \(message)"
        case .raised(let message, let line, let column):
            return "chat template raised an exception at line \(line), column \(column): \(message)"
        case .unreadableFile(let file, let reason):
            return "\(file): cannot be read: \(reason)"
        case .invalidField(let file, let field, let expected):
            return "\(file): field '\(field)': expected \(expected)"
        case .templateNotFound(let source, let name, let available):
            if let name {
                return "\(source): no chat template named '\(name)'; available: " + available.joined(separator: ", ")
            }
            return "\(source): no chat template found (no chat_template.jinja and no 'chat_template' in tokenizer_config.json)"
        }
    }
}

/// A position in a template's source, 1-based, in Unicode scalars.
struct SourceLocation: Equatable, Sendable {
    let line: Int
    let column: Int
}
