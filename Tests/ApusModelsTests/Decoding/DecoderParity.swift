import ApusTensor
import Foundation
import Testing
@testable import ApusModels

/// A tiny decoder fixture made by scripts/make_tiny_decoder_fixtures.py and the PyTorch outputs stored with it.
struct DecoderFixture {
    static let root = BertModelTests.fixtures.appendingPathComponent("tiny-decoders")
    /// Max |Δ| of fp32 logits against PyTorch.
    static let logitsFP32: Float = 1e-4

    struct Reference: Decodable {
        struct Greedy: Decodable {
            let prompt: [Int]
            let newTokens: [Int]
            enum CodingKeys: String, CodingKey { case prompt, newTokens = "new_tokens" }
        }
        struct Rope: Decodable {
            let inverseFrequencies: [Float]
            let attentionScaling: Float
            enum CodingKeys: String, CodingKey { case inverseFrequencies = "inv_freq", attentionScaling = "attention_scaling" }
        }
        let prompt: [Int]
        let steps: [Int]
        let greedy: [Greedy]
        let rope: [String: Rope]
    }

    let name: String
    let directory: URL
    let reference: Reference
    /// `[1 + steps, vocab]`: after the prompt, then after each step.
    let logits: [[Float]]

    init(_ name: String) throws {
        self.name = name
        directory = Self.root.appendingPathComponent(name)
        reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: directory.appendingPathComponent("reference.json")))
        let (shape, values) = try NpyFile.read(contentsOf: directory.appendingPathComponent("logits.npy"))
        logits = (0..<shape[0]).map { Array(values[($0 * shape[1])..<(($0 + 1) * shape[1])]) }
    }

    func load() throws -> any CausalLanguageModel { try DecoderRegistry.load(directory: directory) }

    /// Logits after the prompt (one batched pass) and after each cached step within `logitsFP32`, and the greedy
    /// generations token for token, on 1 and 2 threads.
    func expectMatchesPyTorch(_ model: any CausalLanguageModel, label: String = "",
                              sourceLocation: SourceLocation = #_sourceLocation) throws {
        for threads in [1, 2] {
            let pool = ThreadPool(threadCount: threads)
            let cache = try model.makeCache(maxLength: reference.prompt.count + reference.steps.count)
            var actual = try model.prefill(reference.prompt, cache: cache, pool: pool)
            var worst = maxAbsoluteDifference(actual, logits[0])
            #expect(worst <= Self.logitsFP32, "\(name)\(label): prompt logits differ by \(worst), \(threads) threads",
                    sourceLocation: sourceLocation)
            for (step, token) in reference.steps.enumerated() {
                actual = try model.decode(token, cache: cache, pool: pool)
                let difference = maxAbsoluteDifference(actual, logits[step + 1])
                worst = max(worst, difference)
                #expect(difference <= Self.logitsFP32, "\(name)\(label): step \(step) logits differ by \(difference), \(threads) threads",
                        sourceLocation: sourceLocation)
            }
            for run in reference.greedy {
                let generated = try model.greedyGenerate(run.prompt, count: run.newTokens.count, pool: pool)
                #expect(generated == run.newTokens, "\(name)\(label): greedy from a \(run.prompt.count)-token prompt, \(threads) threads",
                        sourceLocation: sourceLocation)
            }
        }
    }

    /// A copy of the fixture directory whose config.json is `edit`ed: for checking that other spellings of the same
    /// configuration (Hub files' `rope_theta`/`rope_scaling` against transformers 5's `rope_parameters`) load the
    /// same model. The caller removes the directory.
    func copy(editingConfiguration edit: (inout [String: Any]) -> Void) throws -> URL {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("apus-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: directory.appendingPathComponent("model.safetensors"),
                                         to: copy.appendingPathComponent("model.safetensors"))
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("config.json")))
            as? [String: Any] ?? [:]
        edit(&config)
        try JSONSerialization.data(withJSONObject: config).write(to: copy.appendingPathComponent("config.json"))
        return copy
    }
}
