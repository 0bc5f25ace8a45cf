import CApusKernels
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

    /// The function applied to one value, by the same kernel (and so bit for bit the same result) as
    /// `applyActivation` on the detected instruction set.
    public func callAsFunction(_ x: Float) -> Float {
        var value = x
        apus_activation_rows(KernelISA.detected.cValue, cValue, &value, 1, 1, 1)
        return value
    }

    /// The code the C kernels take, so a matrix product can apply this activation to each finished output tile.
    var cValue: apus_activation {
        switch self {
        case .geluErf: return APUS_ACTIVATION_GELU_ERF
        case .geluTanh: return APUS_ACTIVATION_GELU_TANH
        case .quickGelu: return APUS_ACTIVATION_QUICK_GELU
        case .relu: return APUS_ACTIVATION_RELU
        case .silu: return APUS_ACTIVATION_SILU
        }
    }
}

/// Applies `activation` in place to `count` floats at `x`, split over `pool` in chunks of 16 Ki elements.
///
/// A chunk is ~6 µs of erf-GELU on one AVX-512 core (~13 µs on AVX2): small enough that the calling thread
/// keeps taking chunks while a worker wakes (10–25 µs), large enough that handing one out costs nothing
/// measurable. The C kernels evaluate erf and e^x with fitted polynomials to within 2.5e-7·|y| + 2e-7 of
/// exact (see CApusKernels/elementwise.c).
public func applyActivation(_ activation: Activation, _ x: UnsafeMutablePointer<Float>, count: Int, pool: ThreadPool?,
                            isa: KernelISA = .detected) {
    let chunks = (count + ActivationChunks.size - 1) / ActivationChunks.size
    let work = ActivationChunks(isa: isa, activation: activation.cValue, x: x, count: count)
    if let pool, chunks > 1 { pool.parallelFor(chunks, work) } else { for part in 0..<chunks { work.run(index: part, thread: 0) } }
}

/// `applyActivation`'s loop body (a value, not a closure, so the loop allocates nothing): chunk `i` of the array.
private struct ActivationChunks: ParallelLoopBody {
    static let size = 16_384
    let isa: KernelISA
    let activation: apus_activation
    let x: UnsafeMutablePointer<Float>
    let count: Int

    func run(index: Int, thread: Int) {
        let start = index * Self.size
        let length = min(Self.size, count - start)
        apus_activation_rows(isa.cValue, activation, x + start, Int32(length), 1, Int32(length))
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

/// Gated linear unit: `output[r, c] = activation(x[r, c]) · x[r, width + c]` for `x` `[rows, 2·width]` — the
/// first half is the input, the second the gate (`input, gate = Wi(h).chunk(2)`: GeGLU in ModernBERT, SwiGLU
/// when the gate and up projections are fused). `x`'s input half is overwritten with its activation.
public func gatedActivation(_ activation: Activation, _ x: UnsafeMutablePointer<Float>, rows: Int, width: Int,
                            output: UnsafeMutablePointer<Float>, isa: KernelISA = .detected) {
    apus_activation_rows(isa.cValue, activation.cValue, x, Int32(2 * width), Int32(rows), Int32(width))
    for row in 0..<rows {
        let input = x + row * 2 * width, gate = input + width, result = output + row * width
        for column in 0..<width { result[column] = input[column] * gate[column] }
    }
}
