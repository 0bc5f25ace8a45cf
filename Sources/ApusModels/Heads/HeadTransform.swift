// The hidden layer most task heads put between the encoder and their output projection: dense → nonlinearity →
// optional LayerNorm, on a few rows (one per text, or one per token). Upstream spellings it covers:
//   BertPooler                          dense → tanh                    (bert/modeling_bert.py)
//   RobertaClassificationHead           dense → tanh                    (roberta/, mpnet/ as MPNetClassificationHead)
//   DistilBertForSequenceClassification pre_classifier → ReLU           (distilbert/modeling_distilbert.py)
//   ModernBertPredictionHead            dense → act → norm              (modernbert/modeling_modernbert.py)
// Dropout, which transformers puts around these, is the identity at inference.
import ApusTensor
import Foundation

/// `dense → nonlinearity → optional LayerNorm`: the hidden layer of a classification or prediction head.
public struct HeadTransform: Sendable {
    /// The function after the dense layer: tanh (poolers and RoBERTa-style heads) or a config-named activation.
    public enum Nonlinearity: Sendable, Equatable {
        /// `torch.tanh`, which transformers hard-codes in `BertPooler` and `RobertaClassificationHead`.
        case tanh
        /// An activation config.json names (`classifier_activation`, `hidden_act`) or the head hard-codes (ReLU).
        case activation(Activation)
    }

    /// `[hidden, hidden]` (or `[out, hidden]`).
    let dense: Linear
    let nonlinearity: Nonlinearity
    /// ModernBERT's `head.norm`; nil where the head has none.
    let norm: LayerNorm?

    /// Width of the rows the transform reads.
    public var inFeatures: Int { dense.inFeatures }
    /// Width of the rows it returns.
    public var outFeatures: Int { dense.outFeatures }

    /// A transform from loaded layers.
    public init(dense: Linear, nonlinearity: Nonlinearity, norm: LayerNorm? = nil) {
        self.dense = dense
        self.nonlinearity = nonlinearity
        self.norm = norm
    }

    /// `[rows, inFeatures]` → `[rows, outFeatures]`. Always fp32: heads read one row per text or a small product
    /// per batch, where bf16 would save nothing and cost accuracy in the scores.
    public func callAsFunction(_ rows: Tensor, pool: ThreadPool) -> Tensor {
        let output = dense(rows, pool: pool) // [rows, outFeatures]
        let values = output.storage.pointer
        switch nonlinearity {
        case .tanh:
            for index in 0..<output.count { values[index] = Foundation.tanh(values[index]) }
        case .activation(let activation):
            applyActivation(activation, values, count: output.count, pool: pool)
        }
        if let norm {
            norm.forward(values, rows: output.shape[0], into: values, pool: pool)
        }
        return output
    }
}

extension HeadTransform {
    /// `ModernBertPredictionHead` under `head`: `dense` (bias per `classifier_bias`) → `classifier_activation` →
    /// `norm` (bias per `norm_bias`), shared by ModernBERT's classification and masked-LM heads.
    static func modernBert(_ head: WeightScope, _ configuration: ModernBertConfiguration, source: String) throws -> HeadTransform {
        guard let activation = Activation(huggingFaceName: configuration.classifierActivation) else {
            throw ModelError.unsupportedConfigurationValue(file: source, key: "classifier_activation",
                                                           value: configuration.classifierActivation,
                                                           supported: Activation.huggingFaceNames)
        }
        let hidden = configuration.hiddenSize
        return HeadTransform(
            dense: try Linear(head, "dense", inFeatures: hidden, outFeatures: hidden, bias: configuration.classifierBias),
            nonlinearity: .activation(activation),
            norm: try LayerNorm(head, "norm", width: hidden, epsilon: configuration.normEpsilon, bias: configuration.normBias))
    }
}
