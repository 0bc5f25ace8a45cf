// Reference matrix products: the plain loops the fast kernels are tested against.
//
// Notation: x is [m, k] (rows × inFeatures), W is [n, k] (outFeatures × inFeatures, the layout checkpoints
// store), y = x · Wᵀ is [m, n]. The fast paths are `matmul(_:rows:packed:...)` and `gemmPacked` in
// PackedMatmul.swift (C micro-kernels with run-time ISA dispatch).

/// The textbook triple loop with Double accumulation: what `matmul` computes, for tests and readers.
public func matmulReference(_ x: UnsafePointer<Float>, rows: Int, inFeatures: Int, weight: UnsafePointer<Float>, outFeatures: Int,
                            bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>) {
    for row in 0..<rows {
        for column in 0..<outFeatures {
            var sum = Double(bias?[column] ?? 0)
            for p in 0..<inFeatures { sum += Double(x[row * inFeatures + p]) * Double(weight[column * inFeatures + p]) }
            output[row * outFeatures + column] = Float(sum)
        }
    }
}

/// C[m, n] = alpha · A[m, k] · B with B given as `[n, k]` (`bTransposed`) or `[k, n]`, accumulated in Double:
/// what `gemmPacked` computes, for tests and readers.
public func gemmReference(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                          bTransposed: Bool, c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float) {
    for i in 0..<m {
        for j in 0..<n {
            var sum = 0.0
            for p in 0..<k {
                sum += Double(a[i * lda + p]) * Double(bTransposed ? b[j * ldb + p] : b[p * ldb + j])
            }
            c[i * ldc + j] = Float(Double(alpha) * sum)
        }
    }
}
