// Reference matrix products, and the small strided products attention uses.
//
// Notation in this file: x is [m, k] (rows × inFeatures), W is [n, k] (outFeatures × inFeatures, the layout
// checkpoints store), y = x · Wᵀ is [m, n]. The fast linear-layer product is `matmul(_:rows:packed:...)` in
// PackedMatmul.swift (C micro-kernels); `matmulReference` here is what it computes. SIMD4 in `dot`/`gemm`
// because without a CPU flag Swift targets baseline x86-64 (SSE2), where `a * b + c` on SIMD4 lowers to
// mulps/addps (`addingProduct` would call libm fmaf).

@inline(__always)
private func load4(_ pointer: UnsafePointer<Float>) -> SIMD4<Float> {
    UnsafeRawPointer(pointer).loadUnaligned(as: SIMD4<Float>.self)
}

/// One dot product of length k.
@inline(__always)
private func dot(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ k: Int) -> Float {
    var a0 = SIMD4<Float>(), a1 = SIMD4<Float>()
    var p = 0
    while p + 8 <= k {
        a0 = a0 + load4(x + p) * load4(w + p)
        a1 = a1 + load4(x + p + 4) * load4(w + p + 4)
        p += 8
    }
    var result = (a0 + a1).sum()
    while p < k {
        result += x[p] * w[p]
        p += 1
    }
    return result
}

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

/// C[m, n] = alpha · A[m, k] · B, with B given as `[n, k]` (`bTransposed`, rows read along k) or `[k, n]`.
/// Leading dimensions let A, B and C be column blocks of wider matrices (one attention head of a
/// `[tokens, heads·headSize]` projection). C is overwritten.
public func gemm(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, bTransposed: Bool,
                 c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float) {
    if bTransposed {
        for i in 0..<m {
            for j in 0..<n { c[i * ldc + j] = alpha * dot(a + i * lda, b + j * ldb, k) }
        }
        return
    }
    // B is [k, n]: accumulate rows of B scaled by A[i, p] so the inner loop runs along contiguous memory.
    for i in 0..<m {
        let out = c + i * ldc
        for j in 0..<n { out[j] = 0 }
        for p in 0..<k {
            let scale = alpha * a[i * lda + p]
            let row = b + p * ldb
            var j = 0
            let scale4 = SIMD4<Float>(repeating: scale)
            while j + 4 <= n {
                let updated = load4(UnsafePointer(out + j)) + scale4 * load4(row + j)
                UnsafeMutableRawPointer(out + j).storeBytes(of: updated, as: SIMD4<Float>.self)
                j += 4
            }
            while j < n {
                out[j] += scale * row[j]
                j += 1
            }
        }
    }
}

/// `gemm` computed with Double accumulation, for tests.
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
