// Micro-probes behind `apus bench matmul`: the clock the core actually runs at, and the fp32 FMA throughput of
// each instruction set, so kernel speed is reported as a fraction of this machine's measured peak rather than
// of a datasheet figure (/proc/cpuinfo's MHz is the base clock, not the boost clock).
#include "apus_kernels.h"

long apus_probe_dependent_adds(long iterations) {
#if defined(__x86_64__)
    long value = 0;
    for (long i = 0; i < iterations; i++) {
        // 64 adds, each waiting for the previous: one per cycle on every x86-64 core of the last decade.
        __asm__ volatile(
            ".rept 64\n\t"
            "add $1, %0\n\t"
            ".endr\n\t"
            : "+r"(value));
    }
    return value;
#elif defined(__aarch64__)
    long value = 0;
    for (long i = 0; i < iterations; i++) {
        __asm__ volatile(
            ".rept 64\n\t"
            "add %0, %0, #1\n\t"
            ".endr\n\t"
            : "+r"(value));
    }
    return value;
#else
    (void)iterations;
    return 0;
#endif
}

// 16 independent accumulators cover FMA latency × units on current cores (4 cycles × 2 units = 8 at least).
#define PROBE_CHAINS 16

static float probe_portable(long iterations) {
    float acc[PROBE_CHAINS];
    for (int c = 0; c < PROBE_CHAINS; c++) acc[c] = (float)c;
    const float a = 0.999999f, b = 1e-7f;
    for (long i = 0; i < iterations; i++)
        for (int c = 0; c < PROBE_CHAINS; c++) acc[c] = acc[c] * a + b;
    float sum = 0;
    for (int c = 0; c < PROBE_CHAINS; c++) sum += acc[c];
    return sum;
}

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx2,fma"))) static float probe_avx2(long iterations) {
    __m256 acc[PROBE_CHAINS];
    for (int c = 0; c < PROBE_CHAINS; c++) acc[c] = _mm256_set1_ps((float)c);
    const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
    for (long i = 0; i < iterations; i++) {
#pragma clang loop unroll(full)
        for (int c = 0; c < PROBE_CHAINS; c++) acc[c] = _mm256_fmadd_ps(acc[c], a, b);
    }
    __m256 sum = _mm256_setzero_ps();
    for (int c = 0; c < PROBE_CHAINS; c++) sum = _mm256_add_ps(sum, acc[c]);
    float lanes[8];
    _mm256_storeu_ps(lanes, sum);
    return lanes[0];
}

__attribute__((target("avx512f"))) static float probe_avx512(long iterations) {
    __m512 acc[PROBE_CHAINS];
    for (int c = 0; c < PROBE_CHAINS; c++) acc[c] = _mm512_set1_ps((float)c);
    const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
    for (long i = 0; i < iterations; i++) {
#pragma clang loop unroll(full)
        for (int c = 0; c < PROBE_CHAINS; c++) acc[c] = _mm512_fmadd_ps(acc[c], a, b);
    }
    __m512 sum = _mm512_setzero_ps();
    for (int c = 0; c < PROBE_CHAINS; c++) sum = _mm512_add_ps(sum, acc[c]);
    return _mm512_reduce_add_ps(sum);
}
#endif

double apus_probe_fma_flops(apus_isa isa, long iterations, float *sink) {
    float result;
    double lanes;
#if defined(__x86_64__)
    if (isa == APUS_ISA_AVX512) { result = probe_avx512(iterations); lanes = 16; }
    else if (isa == APUS_ISA_AVX2) { result = probe_avx2(iterations); lanes = 8; }
    else
#endif
    { (void)isa; result = probe_portable(iterations); lanes = 1; }
    *sink = result;
    return 2.0 * lanes * PROBE_CHAINS * (double)iterations;
}
