import CApusKernels

/// Which SIMD code path the C kernels take. `detected` is the best this machine supports; tests force the
/// others to check every path against `matmulReference`.
public enum KernelISA: Int, Sendable, CaseIterable, CustomStringConvertible {
    /// Plain C, vectorised for the baseline target (SSE2 on x86-64, NEON on arm64).
    case portable = 0
    /// AVX2 + FMA.
    case avx2 = 1
    /// AVX-512 F.
    case avx512 = 2

    /// The best level this CPU and OS support.
    public static let detected = KernelISA(rawValue: Int(apus_detect_isa().rawValue)) ?? .portable

    /// The levels usable on this machine, lowest first.
    public static var available: [KernelISA] { allCases.filter { $0.rawValue <= detected.rawValue } }

    public var description: String {
        switch self {
        case .portable: return "portable"
        case .avx2: return "avx2+fma"
        case .avx512: return "avx512f"
        }
    }

    var cValue: apus_isa { apus_isa(rawValue: UInt32(rawValue)) }
}

/// Output columns per packed panel (`APUS_PANEL_WIDTH`): what code that lays out operands for `multiplyPackedPanels`
/// itself (the decoders' KV cache) must follow.
public let packedPanelWidth = Int(APUS_PANEL_WIDTH)

/// A linear layer's weight `[outFeatures, inFeatures]` repacked once at load into 32-column panels, the
/// layout the matrix-product micro-kernels stream (see CApusKernels/include/apus_kernels.h).
public struct PackedWeights: Sendable {
    /// Rows of the original weight (output columns of the product).
    public let outFeatures: Int
    /// Columns of the original weight (the reduction length).
    public let inFeatures: Int
    let storage: TensorStorage

    /// Number of 32-column panels.
    var panelCount: Int { (outFeatures + Int(APUS_PANEL_WIDTH) - 1) / Int(APUS_PANEL_WIDTH) }

    /// Packs `weight` (`[outFeatures, inFeatures]`).
    public init(_ weight: Tensor) {
        precondition(weight.shape.count == 2, "PackedWeights expects a matrix, got \(weight.shape)")
        outFeatures = weight.shape[0]
        inFeatures = weight.shape[1]
        storage = TensorStorage(allocating: apus_packed_size(Int32(outFeatures), Int32(inFeatures)))
        apus_pack_weights(weight.pointer, Int32(outFeatures), Int32(inFeatures), storage.pointer)
    }
}

/// y[rows, outFeatures] = activation(x[rows, inFeatures] · Wᵀ (+ bias)) with W packed, on `isa`'s micro-kernels;
/// bias and activation are applied to each output tile while it is still in cache.
///
/// The work is split over `pool` as `runSplit` describes.
public func matmul(_ x: UnsafePointer<Float>, rows: Int, packed: PackedWeights, bias: UnsafePointer<Float>?,
                   activation: Activation? = nil, output: UnsafeMutablePointer<Float>, pool: ThreadPool,
                   isa: KernelISA = .detected) {
    let product = FP32Product(isa: isa, x: x, rows: rows, k: packed.inFeatures, n: packed.outFeatures,
                              panels: packed.panelCount, weights: UnsafePointer(packed.storage.pointer), bias: bias,
                              activation: activation?.cValue ?? APUS_ACTIVATION_NONE, output: output)
    runSplit(product, pool: pool)
}

/// Products smaller than this many FLOPs run on the calling thread. With the pool's workers spinning briefly
/// between jobs, splitting pays from about 1 MFLOP (≈ 5 µs on one core): one 9-token MiniLM query went from
/// 1.96 ms (8 MFLOP threshold) to 1.44 ms (0.5 MFLOP) on two threads.
let matmulSplitFLOPs = 1_000_000

/// Rows per block of a tall product (see `runSplit`). Measured on Zen 5 with `apus bench matmul` (KC = 256): 48
/// rows gave 82–87 % of the FMA peak on MiniLM shapes against 77–84 % for 96 and 45–85 % for 144 (L2 contention
/// between the two cores); the x block is then 48 × k floats, 72 KiB at k = 384.
let matmulRowBlock = 48

/// A packed product `y = x · Wᵀ` that can compute any rectangle of rows × 32-column panels: what `runSplit` needs
/// to share one work-splitting policy between the fp32 and bf16 kernels.
protocol PanelledProduct {
    var rows: Int { get }
    var k: Int { get }
    var n: Int { get }
    var panels: Int { get }
    func run(rows: Range<Int>, panels: Range<Int>)
}

/// Runs `product` on `pool`: tall products (≥ 2 × `matmulRowBlock` rows) block of rows by block of rows, each block
/// through every panel, so the block's rows of x stay in L2 while W streams past once per block; shorter ones
/// split by panel when above `matmulSplitFLOPs` (so even one short query's layers use both cores), else on the
/// calling thread.
func runSplit<Product: PanelledProduct>(_ product: Product, pool: ThreadPool) {
    if product.rows >= 2 * matmulRowBlock {
        let blocks = (product.rows + matmulRowBlock - 1) / matmulRowBlock
        pool.parallelFor(blocks, ByRowBlock(product: product))
    } else if pool.threadCount == 1 || product.panels == 1 || 2 * product.rows * product.k * product.n < matmulSplitFLOPs {
        product.run(rows: 0..<product.rows, panels: 0..<product.panels)
    } else {
        pool.parallelFor(product.panels, ByPanel(product: product))
    }
}

/// Iteration `i` computes rows `i·matmulRowBlock ..< (i+1)·matmulRowBlock`, all panels.
private struct ByRowBlock<Product: PanelledProduct>: ParallelLoopBody {
    let product: Product
    func run(index: Int, thread: Int) {
        let first = index * matmulRowBlock
        product.run(rows: first..<min(first + matmulRowBlock, product.rows), panels: 0..<product.panels)
    }
}

/// Iteration `i` computes panel `i`, all rows.
private struct ByPanel<Product: PanelledProduct>: ParallelLoopBody {
    let product: Product
    func run(index: Int, thread: Int) { product.run(rows: 0..<product.rows, panels: index..<(index + 1)) }
}

/// One fp32 packed product.
struct FP32Product: PanelledProduct {
    let isa: KernelISA
    let x: UnsafePointer<Float>
    let rows, k, n, panels: Int
    let weights: UnsafePointer<Float>
    let bias: UnsafePointer<Float>?
    let activation: apus_activation
    let output: UnsafeMutablePointer<Float>

    func run(rows range: Range<Int>, panels panelRange: Range<Int>) {
        apus_sgemm_packed(isa.cValue, x + range.lowerBound * k, Int32(k), Int32(range.count), Int32(k), weights, Int32(n),
                          Int32(panelRange.lowerBound), Int32(panelRange.upperBound), bias, Int32(activation.rawValue),
                          output + range.lowerBound * n, Int32(n))
    }
}

/// C[m, n] (row stride ldc) = alpha · A[m, k] · B, with B given as `[n, k]` (`bTransposed`) or `[k, n]`, each with
/// a leading dimension so the operands can be column blocks of wider matrices (one attention head). B is packed
/// into `scratch` (at least `packedScratchCount(n:k:)` floats) and the product runs on the micro-kernels on the
/// calling thread. C is overwritten.
public func gemmPacked(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                       bTransposed: Bool, c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float,
                       scratch: UnsafeMutablePointer<Float>, isa: KernelISA = .detected) {
    packPanels(b, ldb: ldb, n: n, k: k, bTransposed: bTransposed, into: scratch)
    if alpha != 1 {
        for index in 0..<packedScratchCount(n: n, k: k) { scratch[index] *= alpha }
    }
    multiplyPackedPanels(m: m, n: n, k: k, a: a, lda: lda, packed: scratch, c: c, ldc: ldc, isa: isa)
}

/// Packs B — `[n, k]` when `bTransposed`, else `[k, n]`, row stride `ldb` — into the 32-column panel layout
/// (`packedScratchCount(n:k:)` floats), so one operand can be packed once and multiplied many times.
public func packPanels(_ b: UnsafePointer<Float>, ldb: Int, n: Int, k: Int, bTransposed: Bool,
                       into packed: UnsafeMutablePointer<Float>) {
    apus_pack_strided(b, Int32(ldb), Int32(n), Int32(k), bTransposed ? 1 : 0, packed)
}

/// C[m, n] = A[m, k] · B for B already packed by `packPanels` (or a run of whole panels of a wider packed
/// operand), on the calling thread. C is overwritten.
public func multiplyPackedPanels(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, packed: UnsafePointer<Float>,
                                 c: UnsafeMutablePointer<Float>, ldc: Int, isa: KernelISA = .detected) {
    let panels = (n + Int(APUS_PANEL_WIDTH) - 1) / Int(APUS_PANEL_WIDTH)
    apus_sgemm_packed(isa.cValue, a, Int32(lda), Int32(m), Int32(k), packed, Int32(n), 0, Int32(panels), nil, 0, c, Int32(ldc))
}

/// Floats of scratch `gemmPacked` needs for a `[n, k]` operand.
public func packedScratchCount(n: Int, k: Int) -> Int {
    Int(apus_packed_size(Int32(n), Int32(k)))
}
