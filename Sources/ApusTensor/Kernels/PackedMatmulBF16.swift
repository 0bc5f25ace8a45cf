import CApusKernels

// bf16 linear layers: weights rounded to bf16 once at load, activations rounded on each call, products summed in
// fp32 (see CApusKernels/include/apus_bf16.h). On CPUs with AVX-512 BF16 one vdpbf16ps does twice the
// multiply-adds of an fp32 FMA and the operands take half the memory traffic; the price is the inputs'
// precision: 8 significant bits, so each rounding has relative error ≤ 2⁻⁸ (on uniform data ‖Δy‖/‖y‖ ≈ 2e-3).

/// Which code path the bf16 matrix product takes. `detected` is the best this machine supports; tests force
/// the others to check every path against `matmulBF16Reference`.
public enum BF16KernelISA: Int, Sendable, CaseIterable, CustomStringConvertible {
    /// Plain C: bf16 widened to fp32 and fp32 multiply-adds, on every CPU.
    case portable = 0
    /// AVX-512 BF16 (vcvtne2ps2bf16, vdpbf16ps).
    case avx512bf16 = 1

    /// The best path this CPU and OS support.
    public static let detected = BF16KernelISA(rawValue: Int(apus_bf16_detect().rawValue)) ?? .portable

    /// The paths usable on this machine, lowest first.
    public static var available: [BF16KernelISA] { allCases.filter { $0.rawValue <= detected.rawValue } }

    /// A short name for logs and benchmark tables.
    public var description: String {
        switch self {
        case .portable: return "bf16-portable"
        case .avx512bf16: return "avx512bf16"
        }
    }

    var cValue: apus_isa_bf16 { apus_isa_bf16(rawValue: UInt32(rawValue)) }
}

/// Heap memory of bf16 bit patterns, 64-byte aligned for the SIMD loads; `TensorStorage` holds only floats.
final class BFloat16Storage: @unchecked Sendable {
    /// First element; valid for `count` values (at least one) while this object lives.
    let pointer: UnsafeMutablePointer<UInt16>
    /// Number of values addressable from `pointer`.
    let count: Int

    /// Zero-initialised memory of `count` values.
    init(allocating count: Int) {
        let byteCount = max(count, 1) * MemoryLayout<UInt16>.stride
        let raw = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: 64)
        pointer = raw.bindMemory(to: UInt16.self, capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
        self.count = count
    }

    deinit {
        pointer.deallocate()
    }
}

/// A linear layer's weight `[outFeatures, inFeatures]` rounded to bf16 and repacked once at load into panels of
/// 32 output columns with k in interleaved pairs, the operand layout of vdpbf16ps (see apus_bf16.h).
///
/// ```swift
/// let packed = PackedWeightsBF16(weight)                      // weight: [384, 1536] fp32
/// var scratch = [UInt16](repeating: 0, count: bf16ScratchCount(rows: rows, inFeatures: 1536))
/// matmulBF16(x, rows: rows, packed: packed, bias: bias, output: y, scratch: &scratch, pool: pool)
/// ```
public struct PackedWeightsBF16: Sendable {
    /// Rows of the original weight (output columns of the product).
    public let outFeatures: Int
    /// Columns of the original weight (the reduction length).
    public let inFeatures: Int
    let storage: BFloat16Storage

    /// Number of 32-column panels.
    var panelCount: Int { (outFeatures + Int(APUS_BF16_PANEL_WIDTH) - 1) / Int(APUS_BF16_PANEL_WIDTH) }

    /// Rounds `weight` (`[outFeatures, inFeatures]`, fp32) to bf16 and packs it.
    public init(_ weight: Tensor) {
        precondition(weight.shape.count == 2, "PackedWeightsBF16 expects a matrix, got \(weight.shape)")
        outFeatures = weight.shape[0]
        inFeatures = weight.shape[1]
        storage = BFloat16Storage(allocating: apus_bf16_packed_size(Int32(outFeatures), Int32(inFeatures)))
        apus_pack_weights_bf16(weight.pointer, Int32(outFeatures), Int32(inFeatures), storage.pointer)
    }
}

/// UInt16 values of scratch `matmulBF16` needs for `rows` rows of `inFeatures` activations (each row rounded
/// to bf16 and padded to an even length).
public func bf16ScratchCount(rows: Int, inFeatures: Int) -> Int {
    rows * ((inFeatures + 1) / 2 * 2)
}

/// y[rows, outFeatures] = activation(x[rows, inFeatures] · Wᵀ (+ bias)) with x and W rounded to bf16 and fp32
/// sums, on `isa`'s micro-kernels.
///
/// x is rounded once into `scratch` (at least `bf16ScratchCount(rows:inFeatures:)` values, so this function
/// allocates nothing); then the work is split over `pool` as `runSplit` describes. Bias and activation are
/// applied to each output tile while it is in cache.
public func matmulBF16(_ x: UnsafePointer<Float>, rows: Int, packed: PackedWeightsBF16, bias: UnsafePointer<Float>?,
                       activation: Activation? = nil, output: UnsafeMutablePointer<Float>,
                       scratch: UnsafeMutablePointer<UInt16>, pool: ThreadPool, isa: BF16KernelISA = .detected) {
    precondition(isa.rawValue <= BF16KernelISA.detected.rawValue, "\(isa) is not supported on this CPU")
    let panels = packed.panelCount
    let k = packed.inFeatures, n = packed.outFeatures
    apus_convert_rows_bf16_isa(isa.cValue, x, Int32(k), Int32(rows), Int32(k), scratch)
    let product = BF16Product(isa: isa, x: UnsafePointer(scratch), rows: rows, k: k, n: n,
                              weights: UnsafePointer(packed.storage.pointer), bias: bias,
                              activation: activation?.cValue ?? APUS_ACTIVATION_NONE, output: output, panels: panels)
    runSplit(product, pool: pool)
}

/// One bf16 product on rows of x already rounded to bf16.
struct BF16Product: PanelledProduct {
    let isa: BF16KernelISA
    let x: UnsafePointer<UInt16>
    let rows, k, n: Int
    let weights: UnsafePointer<UInt16>
    let bias: UnsafePointer<Float>?
    let activation: apus_activation
    let output: UnsafeMutablePointer<Float>
    let panels: Int

    func run(rows range: Range<Int>, panels panelRange: Range<Int>) {
        let rowStride = (k + 1) / 2 * 2
        apus_sbgemm_bf16_packed(isa.cValue, x + range.lowerBound * rowStride, Int32(range.count), Int32(k), weights, Int32(n),
                                Int32(panelRange.lowerBound), Int32(panelRange.upperBound), bias, Int32(activation.rawValue),
                                output + range.lowerBound * n, Int32(n))
    }
}

/// `value` rounded to the nearest bf16 (ties to even), as a Float: the rounding every bf16 path applies, written
/// out for readers and tests. NaN stays NaN (quieted); subnormals become zero of the same sign, as
/// vcvtne2ps2bf16 and vdpbf16ps treat them (Intel SDM); overflow past bf16's largest finite value gives infinity.
public func bfloat16Rounded(_ value: Float) -> Float {
    if value.isNaN { return Float(bitPattern: (value.bitPattern & 0xFFFF_0000) | 0x0040_0000) }
    if value.isSubnormal || value.isZero { return value.sign == .minus ? -0.0 : 0.0 }
    if value.isInfinite { return value }
    // bf16 keeps the top 16 bits of an fp32: `down` drops the low 16 (toward zero), `up` is the next bf16 away from
    // zero; with its exponent unbounded, `up` is exact in Double even where it overflows bf16.
    let down = Float(bitPattern: value.bitPattern & 0xFFFF_0000)
    let step = Double(sign: .plus, exponent: down.exponent - 7, significand: 1) // bf16 has 7 stored mantissa bits
    let distanceDown = abs(Double(value) - Double(down))
    let distanceUp = abs(Double(down.magnitude) + step - Double(value.magnitude))
    let downIsEven = down.bitPattern & 0x0001_0000 == 0
    if distanceDown < distanceUp || (distanceDown == distanceUp && downIsEven) { return down }
    return Float(bitPattern: down.bitPattern + 0x0001_0000) // a carry into the exponent is the right answer here
}

/// y[rows, outFeatures] = bf16(x) · bf16(W)ᵀ (+ bias), accumulated in Double: what `matmulBF16` computes, for
/// tests and readers. W is `[outFeatures, inFeatures]` fp32, as `PackedWeightsBF16` takes it.
public func matmulBF16Reference(_ x: UnsafePointer<Float>, rows: Int, inFeatures: Int, weight: UnsafePointer<Float>,
                                outFeatures: Int, bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>) {
    let roundedX = (0..<rows * inFeatures).map { bfloat16Rounded(x[$0]) }
    let roundedWeight = (0..<outFeatures * inFeatures).map { bfloat16Rounded(weight[$0]) }
    for row in 0..<rows {
        for column in 0..<outFeatures {
            var sum = Double(bias?[column] ?? 0)
            for p in 0..<inFeatures {
                sum += Double(roundedX[row * inFeatures + p]) * Double(roundedWeight[column * inFeatures + p])
            }
            output[row * outFeatures + column] = Float(sum)
        }
    }
}
