import ApusModels
import ApusTensor
import Foundation

/// sentence-transformers' `Dense` module: `activation(W · pooled + b)` on each sentence vector (for example the
/// 768 → 256 projection some embedding models end with).
public struct DenseModule: Sendable {
    /// The projection, `[outFeatures, inFeatures]` (checkpoint name `linear`).
    public let linear: Linear
    /// The activation after it.
    public let activation: DenseActivation

    /// Activations the Dense config names by their torch class (`torch.nn.modules.activation.Tanh`).
    public enum DenseActivation: String, Sendable, CaseIterable {
        case identity = "Identity", tanh = "Tanh", relu = "ReLU", gelu = "GELU", sigmoid = "Sigmoid", silu = "SiLU"
    }

    private struct Configuration: Decodable {
        let inFeatures: Int
        let outFeatures: Int
        let bias: Bool?
        let activationFunction: String?
        enum CodingKeys: String, CodingKey {
            case inFeatures = "in_features", outFeatures = "out_features", bias
            case activationFunction = "activation_function"
        }
    }

    /// Reads `config.json` and the weights (`model.safetensors`, or `pytorch_model.bin` in older models) of a Dense module directory.
    public init(directory: URL) throws {
        let configURL = directory.appendingPathComponent("config.json")
        guard FileManager.default.fileExists(atPath: configURL.path) else {
            throw PipelineError.missingFile(path: configURL.path, hint: "modules.json lists a Dense module here")
        }
        let configuration = try ConfigurationFile.decode(Configuration.self, from: configURL)
        let className = String((configuration.activationFunction ?? "torch.nn.modules.activation.Tanh").split(separator: ".").last ?? "")
        guard let activation = DenseActivation(rawValue: className) else {
            throw ModelError.unsupportedConfigurationValue(file: configURL.path, key: "activation_function",
                                                           value: configuration.activationFunction ?? "",
                                                           supported: DenseActivation.allCases.map(\.rawValue))
        }
        let weights = try WeightStore(directory: directory)
        linear = try Linear(weights.root, "linear", inFeatures: configuration.inFeatures, outFeatures: configuration.outFeatures,
                            bias: configuration.bias ?? true)
        try weights.finish()
        self.activation = activation
    }

    /// Width of the vectors it accepts.
    public var inFeatures: Int { linear.inFeatures }
    /// Width of the vectors it returns.
    public var outFeatures: Int { linear.outFeatures }

    /// Applies the module to each vector (each `inFeatures` wide).
    public func callAsFunction(_ vectors: [[Float]], pool: ThreadPool) -> [[Float]] {
        guard !vectors.isEmpty else { return [] }
        let input = Tensor(shape: [vectors.count, inFeatures], values: vectors.flatMap { $0 })
        var output = linear(input, pool: pool).scalars
        switch activation {
        case .identity: break
        case .tanh: for index in output.indices { output[index] = Foundation.tanh(output[index]) }
        case .sigmoid: for index in output.indices { output[index] = 1 / (1 + Foundation.exp(-output[index])) }
        case .relu: applyActivation(.relu, &output, count: output.count, pool: nil)
        case .gelu: applyActivation(.geluErf, &output, count: output.count, pool: nil)
        case .silu: applyActivation(.silu, &output, count: output.count, pool: nil)
        }
        return (0..<vectors.count).map { Array(output[($0 * outFeatures)..<(($0 + 1) * outFeatures)]) }
    }
}
