import Foundation

/// Element-wise activation functions named by config.json's `hidden_act`.
public enum Activation: Sendable, Equatable {
    /// GELU, exact form `0.5·x·(1 + erf(x/√2))` (`gelu`).
    case geluErf
    /// GELU, tanh approximation `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))` (`gelu_new`, `gelu_pytorch_tanh`).
    case geluTanh
    /// `max(0, x)` (`relu`).
    case relu
    /// `x·sigmoid(x)` (`silu`, `swish`).
    case silu

    /// Config names Apus understands, as transformers' `ACT2FN` spells them.
    public static let huggingFaceNames = ["gelu", "gelu_new", "gelu_pytorch_tanh", "relu", "silu", "swish"]

    /// The activation config.json calls `name`, or nil when Apus does not implement it.
    public init?(huggingFaceName name: String) {
        switch name {
        case "gelu": self = .geluErf
        case "gelu_new", "gelu_pytorch_tanh": self = .geluTanh
        case "relu": self = .relu
        case "silu", "swish": self = .silu
        default: return nil
        }
    }

    /// The function applied to one value.
    @inline(__always)
    public func callAsFunction(_ x: Float) -> Float {
        switch self {
        case .geluErf:
            return 0.5 * x * (1 + erf(x * 0.70710678118654752))
        case .geluTanh:
            return 0.5 * x * (1 + tanh(0.79788456080286536 * (x + 0.044715 * x * x * x)))
        case .relu:
            return x > 0 ? x : 0
        case .silu:
            return x / (1 + exp(-x))
        }
    }
}

/// Applies `activation` in place to `count` floats at `x`, split over `pool` when large.
public func applyActivation(_ activation: Activation, _ x: UnsafeMutablePointer<Float>, count: Int, pool: ThreadPool?) {
    let chunk = 16_384
    let chunks = (count + chunk - 1) / chunk
    let target = UncheckedSendable(x)
    let body = { (part: Int) in
        let start = part * chunk, end = min(start + chunk, count)
        for index in start..<end { target.value[index] = activation(target.value[index]) }
    }
    if let pool, chunks > 1 { pool.parallelFor(chunks, body) } else { for part in 0..<chunks { body(part) } }
}
