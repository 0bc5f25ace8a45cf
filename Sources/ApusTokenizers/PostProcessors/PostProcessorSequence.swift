/// `Sequence` of post-processors: each rewrites the list of encodings the previous one returned
/// (tokenizers/src/processors/sequence.rs). Llama 3 chains `ByteLevel` (offsets) and `TemplateProcessing`
/// (`<|begin_of_text|>`).
///
/// ```json
/// {"type": "Sequence", "processors": [{"type": "ByteLevel", "trim_offsets": false, ...}, {"type": "TemplateProcessing", ...}]}
/// ```
struct PostProcessorSequence: PostProcessor, JSONDecodableStage {
    static let jsonType = "Sequence"

    let processors: [any PostProcessor]

    init(json: JSONObject) throws {
        processors = try json.array("processors").enumerated().map { index, item in
            try postProcessorCatalog.decode(item, path: "\(json.path(of: "processors"))[\(index)]", file: json.file)
        }
    }

    func addedTokenCount(isPair: Bool) -> Int {
        processors.reduce(0) { $0 + $1.addedTokenCount(isPair: isPair) }
    }

    func processEncodings(_ encodings: [Encoding], addSpecialTokens: Bool) -> [Encoding] {
        processors.reduce(encodings) { list, processor in processor.processEncodings(list, addSpecialTokens: addSpecialTokens) }
    }
}
