import Foundation

/// Why a pipeline could not be set up or run; each case names the file or input at fault.
public enum PipelineError: Error, CustomStringConvertible, Equatable {
    /// A sentence-transformers module type Apus does not implement.
    case unsupportedModule(file: String, type: String, supported: [String])
    /// A file the pipeline needs is missing from the model directory.
    case missingFile(path: String, hint: String)
    /// The modules do not fit together (e.g. a pooling width that differs from the encoder's).
    case inconsistentModules(file: String, reason: String)
    /// A request argument is out of range.
    case invalidArgument(name: String, reason: String)

    public var description: String {
        switch self {
        case .unsupportedModule(let file, let type, let supported):
            return "\(file): module type '\(type)' is not supported; supported: \(supported.joined(separator: ", "))"
        case .missingFile(let path, let hint):
            return "\(path): not found; \(hint)"
        case .inconsistentModules(let file, let reason):
            return "\(file): \(reason)"
        case .invalidArgument(let name, let reason):
            return "invalid \(name): \(reason)"
        }
    }
}
