// Matrix products for linear layers and attention.
//
// Notation in this file: x is [m, k] (rows × inFeatures), W is [n, k] (outFeatures × inFeatures, the layout
// checkpoints store), y = x · Wᵀ is [m, n]. Both operands are read along k, so the fast path is a
// register-blocked dot-product kernel: 4 rows of x × 2 rows of W, 8 SIMD4 accumulators, summed across
// lanes at the end. SIMD4 because without a CPU flag the build targets baseline x86-64 (SSE2), where
// `a * b + c` on SIMD4 lowers to mulps/addps (`addingProduct` would call libm fmaf). The kernels issue
// replaces this with packed-panel micro-kernels in C with run-time ISA dispatch.

@inline(__always)
private func load4(_ pointer: UnsafePointer<Float>) -> SIMD4<Float> {
    UnsafeRawPointer(pointer).loadUnaligned(as: SIMD4<Float>.self)
}

/// 4 rows of x against 2 rows of W: 8 dot products of length k.
@inline(__always)
private func dotTile4x2(_ x: UnsafePointer<Float>, _ ldx: Int, _ w: UnsafePointer<Float>, _ ldw: Int, _ k: Int) -> SIMD8<Float> {
    var a00 = SIMD4<Float>(), a01 = SIMD4<Float>(), a10 = SIMD4<Float>(), a11 = SIMD4<Float>()
    var a20 = SIMD4<Float>(), a21 = SIMD4<Float>(), a30 = SIMD4<Float>(), a31 = SIMD4<Float>()
    let x0 = x, x1 = x + ldx, x2 = x + 2 * ldx, x3 = x + 3 * ldx
    let w0 = w, w1 = w + ldw
    var p = 0
    while p + 4 <= k {
        let b0 = load4(w0 + p), b1 = load4(w1 + p)
        let r0 = load4(x0 + p), r1 = load4(x1 + p), r2 = load4(x2 + p), r3 = load4(x3 + p)
        a00 = a00 + r0 * b0; a01 = a01 + r0 * b1
        a10 = a10 + r1 * b0; a11 = a11 + r1 * b1
        a20 = a20 + r2 * b0; a21 = a21 + r2 * b1
        a30 = a30 + r3 * b0; a31 = a31 + r3 * b1
        p += 4
    }
    var result = SIMD8<Float>(a00.sum(), a01.sum(), a10.sum(), a11.sum(), a20.sum(), a21.sum(), a30.sum(), a31.sum())
    while p < k {
        let b0 = w0[p], b1 = w1[p]
        result = result + SIMD8<Float>(x0[p] * b0, x0[p] * b1, x1[p] * b0, x1[p] * b1,
                                       x2[p] * b0, x2[p] * b1, x3[p] * b0, x3[p] * b1)
        p += 1
    }
    return result
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

/// y[rows, outFeatures] = x[rows, inFeatures] · W[outFeatures, inFeatures]ᵀ (+ bias[outFeatures]).
///
/// Output columns are processed in blocks of `columnBlock` W rows (kept in L2 while every group of 4 x rows
/// passes over them); blocks are split over `pool` when the product is large enough to pay for waking threads.
public func matmul(_ x: UnsafePointer<Float>, rows: Int, inFeatures: Int, weight: UnsafePointer<Float>, outFeatures: Int,
                   bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>, pool: ThreadPool) {
    let columnBlock = 32
    let blocks = (outFeatures + columnBlock - 1) / columnBlock
    let k = inFeatures
    let shared = UncheckedSendable((x: x, weight: weight, bias: bias, output: output))
    let body = { (block: Int) in
        let (x, weight, bias, output) = shared.value
        let columnStart = block * columnBlock, columnEnd = min(columnStart + columnBlock, outFeatures)
        var row = 0
        while row + 4 <= rows {
            var column = columnStart
            while column + 2 <= columnEnd {
                let tile = dotTile4x2(x + row * k, k, weight + column * k, k, k)
                let b0 = bias?[column] ?? 0, b1 = bias?[column + 1] ?? 0
                for r in 0..<4 {
                    output[(row + r) * outFeatures + column] = tile[2 * r] + b0
                    output[(row + r) * outFeatures + column + 1] = tile[2 * r + 1] + b1
                }
                column += 2
            }
            while column < columnEnd {
                for r in 0..<4 {
                    output[(row + r) * outFeatures + column] = dot(x + (row + r) * k, weight + column * k, k) + (bias?[column] ?? 0)
                }
                column += 1
            }
            row += 4
        }
        while row < rows {
            for column in columnStart..<columnEnd {
                output[row * outFeatures + column] = dot(x + row * k, weight + column * k, k) + (bias?[column] ?? 0)
            }
            row += 1
        }
    }
    // Waking a second thread costs microseconds: only split products above ~1 MFLOP.
    if 2 * rows * inFeatures * outFeatures >= 1_000_000 && pool.threadCount > 1 {
        pool.parallelFor(blocks, body)
    } else {
        for block in 0..<blocks { body(block) }
    }
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
