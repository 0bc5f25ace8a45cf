// Elementary functions on eight floats at a time, in Swift. Softmax and the activations now call the C
// kernels (CApusKernels/elementwise.c: the same reductions, a minimax e^x, AVX2/AVX-512 chosen at run time); these stay as the
// readable SIMD8 form and for Swift code that wants e^x or Φ(x) on a few values.
//
// libm's scalar expf/erff/tanhf cost 3–15 ns per element here; GELU over a [2048, 1536] intermediate took
// 46 ms per layer with them, more than the layer's matrix products. These evaluate the same functions with
// SIMD8 arithmetic only (plain `*` and `+`, which lower to mulps/addps on baseline x86-64 and to NEON on
// arm64; `addingProduct` would become a libm fmaf call without a CPU flag). Integer bit tricks replace
// `rounded()` and `ldexp`, which are not baseline SSE2 instructions either.
//
// Accuracy, measured against mpmath on dense grids (and checked by VectorMathTests / ActivationTests):
//   exponential: ≤ 1.2 ulp on [-87.3, 88.7]; 0 below (including -inf), +inf above, NaN stays NaN.
//   gaussianCDF·x (GELU): ≤ 4e-7 absolute (< 1 ulp of the result for |x| ≥ 1); relative error grows to
//   ~6e-6 only where the result is below 1e-17 (x < -8.5). PyTorch's own vectorised fp32 GELU is
//   1.1e-6 from exact on the same grid.

/// e^x for eight lanes.
///
/// Cody–Waite reduction x = n·ln2 + r with |r| ≤ ln2/2, the Taylor polynomial of e^r to degree 7
/// (truncation error below 6e-9 relative), then scaling by 2ⁿ built from exponent bits in two halves so
/// that n = -126…128 never forms a denormal or infinite scale.
@inline(__always)
func exponential(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let lowest: Float = -87.33654   // ln(smallest normal float): below this the result is flushed to 0
    let highest: Float = 88.72283   // ln(greatest finite float): above this the result is +inf
    // Comparisons and blends rather than `clamped`/`pointwiseMin`, which are not inlined from the standard
    // library and cost a call and a scalar loop each.
    var clamped = x.replacing(with: lowest, where: x .< lowest)
    clamped.replace(with: highest, where: clamped .> highest)
    // Round x·log2(e) to the nearest integer by adding 1.5·2²³: the sum's low mantissa bits hold n.
    let shifter: Float = 12_582_912
    let shifted = clamped * 1.442_695_040_888_963_4 + shifter
    let n = shifted - shifter
    // ln2 split into a head with few significant bits (n·head is exact) and a tail (Cephes' constants).
    var r = clamped - n * 0.693_359_375
    r = r - n * -2.121_944_40e-4
    var p = SIMD8<Float>(repeating: 1.0 / 5040)
    p = p * r + 1.0 / 720
    p = p * r + 1.0 / 120
    p = p * r + 1.0 / 24
    p = p * r + 1.0 / 6
    p = p * r + 0.5
    p = p * r + 1
    p = p * r + 1
    let exponent = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
    let half = exponent &>> 1
    let firstScale = unsafeBitCast((half &+ 127) &<< 23, to: SIMD8<Float>.self)
    let secondScale = unsafeBitCast((exponent &- half &+ 127) &<< 23, to: SIMD8<Float>.self)
    var result = p * firstScale * secondScale
    result.replace(with: 0, where: x .< lowest)
    result.replace(with: .infinity, where: x .> highest)
    result.replace(with: x, where: x .!= x) // NaN in, NaN out (the clamp would have hidden it)
    return result
}

/// Φ(x) = ½(1 + erf(x/√2)), the standard normal CDF, for eight lanes: GELU(x) = x·Φ(x).
///
/// With z = |x|/√2: for z ≤ 1, erf(z) = z·P(z²); beyond, erfc(z) = e^(-z²)·R(t) with t = 1/(1 + z/2), and
/// Φ is 1 - ½erfc (x > 0) or ½erfc (x < 0), which keeps the left tail accurate instead of cancelling in
/// 1 + erf. P (degree 6 in z², 1.2e-9 relative) and R (degree 8 in t, 5e-9 relative on 1 ≤ z ≤ 9.5) are
/// relative-error least-squares fits to erf and erfc·e^(z²) made for Apus against mpmath (the variable t is
/// that of Abramowitz & Stegun 7.1.26, fitted to higher degree on a narrower range).
@inline(__always)
func gaussianCDF(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let z = x * 0.707_106_781_186_547_52
    let magnitude = z.replacing(with: -z, where: z .< 0)
    let square = z * z

    var p = SIMD8<Float>(repeating: 7.854_220_893_932_506e-05)
    p = p * square - 8.010_311_285_033_822e-04
    p = p * square + 5.188_342_649_489_641e-03
    p = p * square - 2.685_382_030_904_293e-02
    p = p * square + 0.112_835_854_291_915_9
    p = p * square - 0.376_126_259_565_353_4
    p = p * square + 1.128_379_106_521_606_4
    let central = 0.5 + 0.5 * (z * p)

    let t = 1 / (1 + 0.5 * magnitude)
    var q = SIMD8<Float>(repeating: 7.881_916_314_363_48e-02)
    q = q * t - 0.178_066_849_708_557_13
    q = q * t + 1.503_296_289_592_981_3e-02
    q = q * t + 0.113_374_121_487_140_66
    q = q * t + 0.154_128_462_076_187_13
    q = q * t + 0.254_152_953_624_725_34
    q = q * t + 0.280_772_894_620_895_4
    q = q * t + 0.282_221_585_512_161_25
    q = q * t - 5.060_279_363_533_482e-06
    let halfTail = 0.5 * exponential(-square) * q
    let tail = halfTail.replacing(with: 1 - halfTail, where: x .> 0)

    return central.replacing(with: tail, where: magnitude .> 1)
}

/// Loads `count` (< 8) floats into the low lanes of a vector, zeros elsewhere: tails go through the same
/// vector code as full chunks, so an element's result never depends on its position.
@inline(__always)
func loadPartial(_ source: UnsafePointer<Float>, count: Int) -> SIMD8<Float> {
    var vector = SIMD8<Float>()
    for lane in 0..<count { vector[lane] = source[lane] }
    return vector
}

/// Stores the low `count` (< 8) lanes of `vector`.
@inline(__always)
func storePartial(_ vector: SIMD8<Float>, to destination: UnsafeMutablePointer<Float>, count: Int) {
    for lane in 0..<count { destination[lane] = vector[lane] }
}

/// Eight floats from possibly unaligned memory.
@inline(__always)
func load8(_ source: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(source).loadUnaligned(as: SIMD8<Float>.self)
}

/// Stores eight floats to possibly unaligned memory.
@inline(__always)
func store8(_ vector: SIMD8<Float>, to destination: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(destination).storeBytes(of: vector, as: SIMD8<Float>.self)
}
