import Foundation

/// Element-wise activation functions named by config.json's `hidden_act`.
public enum Activation: Sendable, Equatable {
    /// GELU, exact form `0.5·x·(1 + erf(x/√2))` (`gelu`).
    case geluErf
    /// GELU, tanh approximation `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))` (`gelu_new`, `gelu_pytorch_tanh`).
    case geluTanh
    /// `x·sigmoid(1.702·x)` (`quick_gelu`, used by CLIP).
    case quickGelu
    /// `max(0, x)` (`relu`).
    case relu
    /// `x·sigmoid(x)` (`silu`, `swish`).
    case silu

    /// Config names Apus understands, as transformers' `ACT2FN` spells them
    /// (https://github.com/huggingface/transformers/blob/main/src/transformers/activations.py).
    public static let huggingFaceNames = [
        "gelu", "gelu_python", "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "quick_gelu", "relu", "silu", "swish",
    ]

    /// The activation config.json calls `name`, or nil when Apus does not implement it.
    ///
    /// `gelu_python` is the erf form written in Python; `gelu_fast` is the tanh form with the cubic factored
    /// as `x·(1 + 0.044715·x²)`, the same function up to rounding.
    public init?(huggingFaceName name: String) {
        switch name {
        case "gelu", "gelu_python": self = .geluErf
        case "gelu_new", "gelu_pytorch_tanh", "gelu_fast": self = .geluTanh
        case "quick_gelu": self = .quickGelu
        case "relu": self = .relu
        case "silu", "swish": self = .silu
        default: return nil
        }
    }

    /// The function applied to one value; identical to what `applyActivation` writes for it.
    public func callAsFunction(_ x: Float) -> Float {
        apply(SIMD8(repeating: x))[0]
    }

    /// The function on eight lanes. The sigmoid forms are written `x / (1 + e^(-a·x))`, which neither
    /// overflows (large negative a·x gives x/inf = 0) nor cancels; the tanh GELU is one of them, since
    /// `½(1 + tanh(u)) = sigmoid(2u)`.
    @inline(__always)
    func apply(_ x: SIMD8<Float>) -> SIMD8<Float> {
        switch self {
        case .geluErf:
            return x * gaussianCDF(x)
        case .geluTanh:
            let u = 0.797_884_560_802_865_36 * (x + 0.044715 * x * x * x) // √(2/π)·(x + 0.044715·x³)
            return x / (1 + exponential(-2 * u))
        case .quickGelu:
            return x / (1 + exponential(-1.702 * x))
        case .relu:
            return x.replacing(with: 0, where: x .< 0)
        case .silu:
            return x / (1 + exponential(-x))
        }
    }
}

/// Applies `activation` in place to `count` floats at `x`, split over `pool` in chunks of 16 Ki elements
/// (~20 µs of GELU work, enough to pay for waking a thread).
public func applyActivation(_ activation: Activation, _ x: UnsafeMutablePointer<Float>, count: Int, pool: ThreadPool?) {
    let chunks = (count + ActivationChunks.size - 1) / ActivationChunks.size
    let work = ActivationChunks(activation: activation, x: x, count: count)
    if let pool, chunks > 1 { pool.parallelFor(chunks, work) } else { for part in 0..<chunks { work.run(index: part, thread: 0) } }
}

/// `applyActivation`'s loop body: chunk `i` of the array.
private struct ActivationChunks: ParallelLoopBody {
    static let size = 16_384
    let activation: Activation
    let x: UnsafeMutablePointer<Float>
    let count: Int

    func run(index: Int, thread: Int) {
        let start = index * Self.size
        applyActivationSerially(activation, x + start, count: min(Self.size, count - start))
    }
}

/// One thread's share of `applyActivation`: full vectors of eight, then the tail through the same code.
private func applyActivationSerially(_ activation: Activation, _ x: UnsafeMutablePointer<Float>, count: Int) {
    var index = 0
    // One loop per case so the switch is decided once, not per vector.
    @inline(__always) func run(_ transform: (SIMD8<Float>) -> SIMD8<Float>) {
        while index + 8 <= count {
            store8(transform(load8(x + index)), to: x + index)
            index += 8
        }
        let rest = count - index
        if rest > 0 { storePartial(transform(loadPartial(x + index, count: rest)), to: x + index, count: rest) }
    }
    switch activation {
    case .geluErf: run { Activation.geluErf.apply($0) }
    case .geluTanh: run { Activation.geluTanh.apply($0) }
    case .quickGelu: run { Activation.quickGelu.apply($0) }
    case .relu: run { Activation.relu.apply($0) }
    case .silu: run { Activation.silu.apply($0) }
    }
}

/// The textbook formulas in Double with libm's erf, tanh and exp: what `applyActivation` computes, for tests
/// and readers.
public func applyActivationReference(_ activation: Activation, _ x: UnsafeMutablePointer<Float>, count: Int) {
    for index in 0..<count {
        let value = Double(x[index])
        let result: Double
        switch activation {
        case .geluErf: result = 0.5 * value * (1 + erf(value / 2.0.squareRoot()))
        case .geluTanh: result = 0.5 * value * (1 + tanh((2 / Double.pi).squareRoot() * (value + 0.044715 * value * value * value)))
        case .quickGelu: result = value / (1 + exp(-1.702 * value))
        case .relu: result = max(value, 0)
        case .silu: result = value / (1 + exp(-value))
        }
        x[index] = Float(result)
    }
}
