// Row operations of the tiled (online-softmax) attention path: for one row of a score tile, the running maximum
// and the exp-and-sum step. In Swift these loops compile to scalar code (a float max or sum is a reduction the
// compiler may not reorder), and for 128-key tiles they cost more than the tile's two matrix products.
#include "apus_kernels.h"
#include "apus_elementwise.h"
#include <math.h>

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx512f"))) static float row_max_avx512(const float *x, int count) {
    __m512 best = _mm512_set1_ps(-INFINITY);
    int i = 0;
    for (; i + 16 <= count; i += 16) best = _mm512_max_ps(best, _mm512_loadu_ps(x + i));
    if (i < count) {
        const __mmask16 mask = (__mmask16)((1u << (count - i)) - 1);
        best = _mm512_max_ps(best, _mm512_mask_loadu_ps(_mm512_set1_ps(-INFINITY), mask, x + i));
    }
    return _mm512_reduce_max_ps(best);
}

__attribute__((target("avx512f"))) static void row_shift_avx512(float *x, int count, float shift) {
    const __m512 s = _mm512_set1_ps(shift);
    int i = 0;
    for (; i + 16 <= count; i += 16) _mm512_storeu_ps(x + i, _mm512_sub_ps(_mm512_loadu_ps(x + i), s));
    if (i < count) {
        const __mmask16 mask = (__mmask16)((1u << (count - i)) - 1);
        _mm512_mask_storeu_ps(x + i, mask, _mm512_sub_ps(_mm512_maskz_loadu_ps(mask, x + i), s));
    }
}

__attribute__((target("avx512f"))) static float row_sum_avx512(const float *x, int count) {
    __m512 total = _mm512_setzero_ps();
    int i = 0;
    for (; i + 16 <= count; i += 16) total = _mm512_add_ps(total, _mm512_loadu_ps(x + i));
    if (i < count) total = _mm512_add_ps(total, _mm512_maskz_loadu_ps((__mmask16)((1u << (count - i)) - 1), x + i));
    return _mm512_reduce_add_ps(total);
}
#endif

static float row_max(apus_isa isa, const float *x, int count) {
#if defined(__x86_64__)
    if (isa == APUS_ISA_AVX512) return row_max_avx512(x, count);
#endif
    (void)isa;
    float best = -INFINITY;
    for (int i = 0; i < count; i++) best = x[i] > best ? x[i] : best;
    return best;
}

static void row_shift(apus_isa isa, float *x, int count, float shift) {
#if defined(__x86_64__)
    if (isa == APUS_ISA_AVX512) { row_shift_avx512(x, count, shift); return; }
#endif
    (void)isa;
    for (int i = 0; i < count; i++) x[i] -= shift;
}

static float row_sum(apus_isa isa, const float *x, int count) {
#if defined(__x86_64__)
    if (isa == APUS_ISA_AVX512) return row_sum_avx512(x, count);
#endif
    (void)isa;
    float total = 0.0f;
    for (int i = 0; i < count; i++) total += x[i];
    return total;
}

float apus_online_softmax_step(apus_isa isa, float *scores, int count, float *maximum, float *sum) {
    const float previous = *maximum;
    const float tile_max = row_max(isa, scores, count);
    const float new_max = tile_max > previous ? tile_max : previous;
    if (new_max == -INFINITY) { // every score so far is masked: nothing to add
        for (int i = 0; i < count; i++) scores[i] = 0.0f;
        return 1.0f;
    }
    const float correction = previous == -INFINITY ? 0.0f : (float)exp((double)previous - (double)new_max);
    row_shift(isa, scores, count, new_max);
    apus_exp(isa, scores, scores, count);
    *maximum = new_max;
    *sum = *sum * correction + row_sum(isa, scores, count);
    return correction;
}
