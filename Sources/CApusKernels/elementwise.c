// Activations, softmax, LayerNorm and RMSNorm (see apus_elementwise.h), written three times: plain C that
// the compiler vectorises for the baseline target, AVX2 + FMA on 8 lanes and AVX-512 on 16 lanes. The three
// evaluate the same formulas with the same constants; only the vector width and FMA rounding differ.
//
// e^x: Cody–Waite reduction x = n·ln2 + r, |r| ≤ ln2/2 (ln2 split into a head with few significant bits, so
// n·head is exact, and a tail: Cephes' constants), then e^r ≈ 1 + r + c2·r² + … + c6·r⁶, a relative-error
// minimax fit made for Apus with a Remez exchange in mpmath (3.1e-9 relative, 0.05 ulp), and a scaling by 2ⁿ.
// AVX-512 scales with vscalefps; the others build 2ⁿ from exponent bits in two halves, so that n = 128 (x up
// to ln FLT_MAX) never forms an infinite scale.
//
// Φ(x) for the erf GELU: with z = |x|/√2, erf(z) = z·P(z²) for z ≤ 1 and erfc(z) = e^(-z²)·Q(t), t = 1/(1 + z/2),
// beyond; Φ = 1 - ½erfc (x > 0) or ½erfc (x < 0) keeps the left tail accurate instead of cancelling in
// 1 + erf. P (degree 6 in z², 1.2e-9 relative) and Q (degree 8 in t, 5e-9 relative on 1 ≤ z ≤ 9.5) are
// relative-error least-squares fits made for Apus against mpmath (t is the variable of Abramowitz & Stegun
// 7.1.26, fitted to higher degree on a narrower range).
//
// The sigmoid forms are evaluated as x / (1 + e^(-a·x)), which neither overflows (x / inf = 0) nor cancels;
// the tanh GELU is one of them, since ½(1 + tanh(u)) = sigmoid(2u).
#include "apus_elementwise.h"
#include <math.h>
#include <string.h>

#define EXP_LOWEST (-87.33654f)  // e^x here is just above FLT_MIN; below it the result is flushed to 0
#define EXP_HIGHEST 88.72283f    // just below ln(FLT_MAX); above it the result is +inf
#define LOG2E 1.44269504088896341f
#define LN2_HEAD 0.693359375f
#define LN2_TAIL (-2.12194440e-4f)
#define ROUNDING_SHIFTER 12582912.0f // 1.5·2²³: adding it rounds to an integer held in the low mantissa bits
#define EXP_C2 0.4999999403953552f
#define EXP_C3 0.1666652113199234f
#define EXP_C4 0.04166838899254799f
#define EXP_C5 0.008368710055947304f
#define EXP_C6 0.001381461275741458f

#define SQRT_HALF 0.70710678118654752f
#define ERF_P0 1.1283791065216064f
#define ERF_P1 (-0.37612625956535339f)
#define ERF_P2 0.11283585429191589f
#define ERF_P3 (-0.026853820309042931f)
#define ERF_P4 0.0051883426494896412f
#define ERF_P5 (-0.00080103112850338221f)
#define ERF_P6 7.8542208939325064e-05f
#define ERFC_Q0 (-5.0602793635334820e-06f)
#define ERFC_Q1 0.28222158551216125f
#define ERFC_Q2 0.28077289462089539f
#define ERFC_Q3 0.25415295362472534f
#define ERFC_Q4 0.15412846207618713f
#define ERFC_Q5 0.11337412148714066f
#define ERFC_Q6 0.015032962895929813f
#define ERFC_Q7 (-0.17806684970855713f)
#define ERFC_Q8 0.078819163143634796f

#define GELU_TANH_SCALE (-1.5957691216057308f) // -2·√(2/π): e^(-2u) with u = √(2/π)(x + 0.044715x³)
#define GELU_TANH_CUBIC 0.044715f
#define QUICK_GELU_SCALE (-1.702f)

static apus_isa usable_isa(apus_isa isa) {
#if defined(__x86_64__)
    return isa;
#else
    (void)isa;
    return APUS_ISA_PORTABLE;
#endif
}

// MARK: - Portable
//
// Scalar functions without branches or calls, so the loops that use them vectorise; 16-lane accumulator
// arrays stand in for vector registers in the reductions (the compiler may not reassociate a plain sum).

#define LANES 16

typedef union {
    float f;
    uint32_t u;
} float_bits;

static inline float exp_portable(float x) {
    float clamped = x < EXP_LOWEST ? EXP_LOWEST : x; // NaN fails both tests and flows through
    clamped = clamped > EXP_HIGHEST ? EXP_HIGHEST : clamped;
    const float shifted = clamped * LOG2E + ROUNDING_SHIFTER;
    const float n = shifted - ROUNDING_SHIFTER;
    float r = clamped - n * LN2_HEAD;
    r = r - n * LN2_TAIL;
    float p = EXP_C6;
    p = p * r + EXP_C5;
    p = p * r + EXP_C4;
    p = p * r + EXP_C3;
    p = p * r + EXP_C2;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    float_bits bits = {shifted}, first, second;
    const int32_t exponent = (int32_t)(bits.u - 0x4B400000u), half = exponent >> 1;
    first.u = (uint32_t)(half + 127) << 23;
    second.u = (uint32_t)(exponent - half + 127) << 23;
    float result = p * first.f * second.f;
    result = x < EXP_LOWEST ? 0.0f : result;
    result = x > EXP_HIGHEST ? INFINITY : result;
    return result;
}

static inline float gaussian_cdf_portable(float x) {
    const float z = x * SQRT_HALF, magnitude = fabsf(z), square = z * z;
    float p = ERF_P6;
    p = p * square + ERF_P5;
    p = p * square + ERF_P4;
    p = p * square + ERF_P3;
    p = p * square + ERF_P2;
    p = p * square + ERF_P1;
    p = p * square + ERF_P0;
    const float central = 0.5f + 0.5f * (z * p);
    const float t = 1.0f / (1.0f + 0.5f * magnitude);
    float q = ERFC_Q8;
    q = q * t + ERFC_Q7;
    q = q * t + ERFC_Q6;
    q = q * t + ERFC_Q5;
    q = q * t + ERFC_Q4;
    q = q * t + ERFC_Q3;
    q = q * t + ERFC_Q2;
    q = q * t + ERFC_Q1;
    q = q * t + ERFC_Q0;
    const float half_tail = 0.5f * exp_portable(-square) * q;
    const float tail = x > 0.0f ? 1.0f - half_tail : half_tail;
    return magnitude > 1.0f ? tail : central;
}

static inline float activation_portable(const apus_activation activation, float x) {
    switch (activation) {
    case APUS_ACTIVATION_GELU_ERF: return x * gaussian_cdf_portable(x);
    case APUS_ACTIVATION_GELU_TANH: {
        const float inner = GELU_TANH_CUBIC * x * x * x + x;
        return x / (1.0f + exp_portable(GELU_TANH_SCALE * inner));
    }
    case APUS_ACTIVATION_QUICK_GELU: return x / (1.0f + exp_portable(QUICK_GELU_SCALE * x));
    case APUS_ACTIVATION_RELU: return x < 0.0f ? 0.0f : x;
    case APUS_ACTIVATION_SILU: return x / (1.0f + exp_portable(-x));
    case APUS_ACTIVATION_NONE: break;
    }
    return x;
}

#define ACTIVATION_ROWS_PORTABLE(NAME, CODE)                                                                  \
    static void activation_rows_portable_##NAME(float *y, int ldy, int rows, int cols) {                      \
        for (int r = 0; r < rows; r++) {                                                                      \
            float *row = y + (size_t)r * ldy;                                                                 \
            for (int c = 0; c < cols; c++) row[c] = activation_portable(CODE, row[c]);                       \
        }                                                                                                     \
    }
ACTIVATION_ROWS_PORTABLE(gelu_erf, APUS_ACTIVATION_GELU_ERF)
ACTIVATION_ROWS_PORTABLE(gelu_tanh, APUS_ACTIVATION_GELU_TANH)
ACTIVATION_ROWS_PORTABLE(quick_gelu, APUS_ACTIVATION_QUICK_GELU)
ACTIVATION_ROWS_PORTABLE(relu, APUS_ACTIVATION_RELU)
ACTIVATION_ROWS_PORTABLE(silu, APUS_ACTIVATION_SILU)

static void exp_portable_count(const float *x, float *y, int count) {
    for (int i = 0; i < count; i++) y[i] = exp_portable(x[i]);
}

static void softmax_row_portable(float *x, int width, float scale, int valid) {
    float lanes[LANES];
    for (int j = 0; j < LANES; j++) lanes[j] = -INFINITY;
    int c = 0;
    for (; c + LANES <= valid; c += LANES) {
        for (int j = 0; j < LANES; j++) {
            const float v = x[c + j] * scale;
            lanes[j] = v > lanes[j] ? v : lanes[j];
        }
    }
    float maximum = -INFINITY;
    for (int j = 0; j < LANES; j++) maximum = lanes[j] > maximum ? lanes[j] : maximum;
    for (; c < valid; c++) maximum = x[c] * scale > maximum ? x[c] * scale : maximum;
    if (valid == 0 || maximum == -INFINITY) {
        memset(x, 0, (size_t)width * sizeof(float));
        return;
    }
    for (int j = 0; j < LANES; j++) lanes[j] = 0.0f;
    c = 0;
    for (; c + LANES <= valid; c += LANES) {
        for (int j = 0; j < LANES; j++) {
            const float e = exp_portable(x[c + j] * scale - maximum);
            x[c + j] = e;
            lanes[j] += e;
        }
    }
    for (; c < valid; c++) {
        const float e = exp_portable(x[c] * scale - maximum);
        x[c] = e;
        lanes[c % LANES] += e;
    }
    float sum = 0.0f;
    for (int j = 0; j < LANES; j++) sum += lanes[j];
    const float inverse = 1.0f / sum;
    for (c = 0; c < valid; c++) x[c] *= inverse;
    memset(x + valid, 0, (size_t)(width - valid) * sizeof(float));
}

static float sum_portable(const float *v, int width) {
    float lanes[LANES] = {0};
    int c = 0;
    for (; c + LANES <= width; c += LANES)
        for (int j = 0; j < LANES; j++) lanes[j] += v[c + j];
    for (; c < width; c++) lanes[c % LANES] += v[c];
    float sum = 0.0f;
    for (int j = 0; j < LANES; j++) sum += lanes[j];
    return sum;
}

// Σ(v - shift) and Σ(v - shift)² over a row.
static void deviations_portable(const float *v, int width, float shift, float *sum, float *squares) {
    float lanes[LANES] = {0}, square_lanes[LANES] = {0};
    int c = 0;
    for (; c + LANES <= width; c += LANES) {
        for (int j = 0; j < LANES; j++) {
            const float d = v[c + j] - shift;
            lanes[j] += d;
            square_lanes[j] += d * d;
        }
    }
    for (; c < width; c++) {
        const float d = v[c] - shift;
        lanes[c % LANES] += d;
        square_lanes[c % LANES] += d * d;
    }
    *sum = 0.0f;
    *squares = 0.0f;
    for (int j = 0; j < LANES; j++) {
        *sum += lanes[j];
        *squares += square_lanes[j];
    }
}

// The LayerNorm statistics shared by every path: `estimate` is the first-pass mean, `deviation_sum` and
// `squares` the second pass's Σd and Σd² with d = v - estimate. The mean is estimate + Σd/width: the
// correction is small and accurate even when the estimate lost bits to a large offset. The biased variance
// is Σd²/width - (Σd/width)², taken in Double; the correction term is tiny next to Σd²/width, so nothing
// cancels.
static float inverse_deviation(float deviation_sum, float squares, int width, float epsilon, float *correction) {
    *correction = deviation_sum / (float)width;
    double variance = (double)squares / width - (double)*correction * *correction;
    if (variance < 0) variance = 0;
    return (float)(1.0 / sqrt(variance + epsilon));
}

static void layer_norm_row_portable(const float *x, const float *residual, int width, const float *gamma,
                                    const float *beta, float epsilon, float *out) {
    const float *v = x;
    if (residual) {
        for (int c = 0; c < width; c++) out[c] = x[c] + residual[c];
        v = out;
    }
    const float estimate = sum_portable(v, width) / (float)width;
    float deviation_sum, squares, correction;
    deviations_portable(v, width, estimate, &deviation_sum, &squares);
    const float inverse = inverse_deviation(deviation_sum, squares, width, epsilon, &correction);
    if (beta) {
        for (int c = 0; c < width; c++) out[c] = ((v[c] - estimate) - correction) * inverse * gamma[c] + beta[c];
    } else {
        for (int c = 0; c < width; c++) out[c] = ((v[c] - estimate) - correction) * inverse * gamma[c];
    }
}

static float rms_inverse(float squares, int width, float epsilon) {
    return (float)(1.0 / sqrt((double)squares / width + epsilon));
}

static void rms_norm_row_portable(const float *x, int width, const float *weight, float offset, float epsilon,
                                  float *out) {
    float lanes[LANES] = {0};
    int c = 0;
    for (; c + LANES <= width; c += LANES)
        for (int j = 0; j < LANES; j++) lanes[j] += x[c + j] * x[c + j];
    for (; c < width; c++) lanes[c % LANES] += x[c] * x[c];
    float squares = 0.0f;
    for (int j = 0; j < LANES; j++) squares += lanes[j];
    const float inverse = rms_inverse(squares, width, epsilon);
    for (c = 0; c < width; c++) out[c] = (x[c] * inverse) * (weight[c] + offset);
}

#if defined(__x86_64__)
#include <immintrin.h>

// MARK: - AVX-512

#define AVX512_INLINE __attribute__((target("avx512f"), always_inline)) static inline
#define AVX512 __attribute__((target("avx512f"))) static

AVX512_INLINE __mmask16 tail_mask16(int count) { return (__mmask16)((1u << count) - 1); }

AVX512_INLINE __m512 exp512(__m512 x) {
    // Clamping above at 89 lets vscalefps overflow to +inf by itself; max(lowest, x) keeps NaN (the second
    // operand is returned when either is NaN).
    const __m512 clamped = _mm512_min_ps(_mm512_set1_ps(89.0f), _mm512_max_ps(_mm512_set1_ps(EXP_LOWEST), x));
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(clamped, _mm512_set1_ps(LOG2E)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(LN2_HEAD), clamped);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(LN2_TAIL), r);
    __m512 p = _mm512_fmadd_ps(_mm512_set1_ps(EXP_C6), r, _mm512_set1_ps(EXP_C5));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(EXP_C4));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(EXP_C3));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(EXP_C2));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    const __m512 result = _mm512_scalef_ps(p, n);
    return _mm512_mask_mov_ps(result, _mm512_cmp_ps_mask(x, _mm512_set1_ps(EXP_LOWEST), _CMP_LT_OQ),
                              _mm512_setzero_ps());
}

AVX512_INLINE __m512 gelu_erf512(__m512 x) {
    const __m512 one = _mm512_set1_ps(1.0f), half = _mm512_set1_ps(0.5f);
    const __m512 z = _mm512_mul_ps(x, _mm512_set1_ps(SQRT_HALF));
    const __m512 magnitude = _mm512_abs_ps(z), square = _mm512_mul_ps(z, z);
    const __mmask16 in_tail = _mm512_cmp_ps_mask(magnitude, one, _CMP_GT_OQ);
    // Most vectors of an FFN activation lie entirely on one side of |z| = 1 often enough to skip a branch.
    __m512 central = one, tail = one;
    if (in_tail != 0xFFFF) {
        __m512 p = _mm512_fmadd_ps(_mm512_set1_ps(ERF_P6), square, _mm512_set1_ps(ERF_P5));
        p = _mm512_fmadd_ps(p, square, _mm512_set1_ps(ERF_P4));
        p = _mm512_fmadd_ps(p, square, _mm512_set1_ps(ERF_P3));
        p = _mm512_fmadd_ps(p, square, _mm512_set1_ps(ERF_P2));
        p = _mm512_fmadd_ps(p, square, _mm512_set1_ps(ERF_P1));
        p = _mm512_fmadd_ps(p, square, _mm512_set1_ps(ERF_P0));
        central = _mm512_fmadd_ps(half, _mm512_mul_ps(z, p), half);
    }
    if (in_tail) {
        const __m512 t = _mm512_div_ps(one, _mm512_fmadd_ps(half, magnitude, one));
        __m512 q = _mm512_fmadd_ps(_mm512_set1_ps(ERFC_Q8), t, _mm512_set1_ps(ERFC_Q7));
        q = _mm512_fmadd_ps(q, t, _mm512_set1_ps(ERFC_Q6));
        q = _mm512_fmadd_ps(q, t, _mm512_set1_ps(ERFC_Q5));
        q = _mm512_fmadd_ps(q, t, _mm512_set1_ps(ERFC_Q4));
        q = _mm512_fmadd_ps(q, t, _mm512_set1_ps(ERFC_Q3));
        q = _mm512_fmadd_ps(q, t, _mm512_set1_ps(ERFC_Q2));
        q = _mm512_fmadd_ps(q, t, _mm512_set1_ps(ERFC_Q1));
        q = _mm512_fmadd_ps(q, t, _mm512_set1_ps(ERFC_Q0));
        const __m512 half_tail = _mm512_mul_ps(_mm512_mul_ps(half, exp512(_mm512_sub_ps(_mm512_setzero_ps(), square))), q);
        const __mmask16 positive = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GT_OQ);
        tail = _mm512_mask_sub_ps(half_tail, positive, one, half_tail);
    }
    return _mm512_mul_ps(x, _mm512_mask_mov_ps(central, in_tail, tail));
}

AVX512_INLINE __m512 activation512(const apus_activation activation, __m512 x) {
    const __m512 one = _mm512_set1_ps(1.0f);
    switch (activation) {
    case APUS_ACTIVATION_GELU_ERF: return gelu_erf512(x);
    case APUS_ACTIVATION_GELU_TANH: {
        const __m512 inner = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_set1_ps(GELU_TANH_CUBIC), _mm512_mul_ps(x, x)), x, x);
        return _mm512_div_ps(x, _mm512_add_ps(one, exp512(_mm512_mul_ps(_mm512_set1_ps(GELU_TANH_SCALE), inner))));
    }
    case APUS_ACTIVATION_QUICK_GELU:
        return _mm512_div_ps(x, _mm512_add_ps(one, exp512(_mm512_mul_ps(_mm512_set1_ps(QUICK_GELU_SCALE), x))));
    case APUS_ACTIVATION_RELU: return _mm512_max_ps(_mm512_setzero_ps(), x); // NaN in x is returned
    case APUS_ACTIVATION_SILU: return _mm512_div_ps(x, _mm512_add_ps(one, exp512(_mm512_sub_ps(_mm512_setzero_ps(), x))));
    case APUS_ACTIVATION_NONE: break;
    }
    return x;
}

AVX512_INLINE void activation_rows512(const apus_activation activation, float *y, int ldy, int rows, int cols) {
    const int full = cols & ~15;
    const __mmask16 tail = tail_mask16(cols - full);
    for (int r = 0; r < rows; r++) {
        float *row = y + (size_t)r * ldy;
        for (int c = 0; c < full; c += 16) _mm512_storeu_ps(row + c, activation512(activation, _mm512_loadu_ps(row + c)));
        if (tail) _mm512_mask_storeu_ps(row + full, tail, activation512(activation, _mm512_maskz_loadu_ps(tail, row + full)));
    }
}

#define ACTIVATION_ROWS512(NAME, CODE)                                                                         \
    AVX512 void activation_rows512_##NAME(float *y, int ldy, int rows, int cols) {                             \
        activation_rows512(CODE, y, ldy, rows, cols);                                                          \
    }
ACTIVATION_ROWS512(gelu_erf, APUS_ACTIVATION_GELU_ERF)
ACTIVATION_ROWS512(gelu_tanh, APUS_ACTIVATION_GELU_TANH)
ACTIVATION_ROWS512(quick_gelu, APUS_ACTIVATION_QUICK_GELU)
ACTIVATION_ROWS512(relu, APUS_ACTIVATION_RELU)
ACTIVATION_ROWS512(silu, APUS_ACTIVATION_SILU)

AVX512 void exp512_count(const float *x, float *y, int count) {
    const int full = count & ~15;
    const __mmask16 tail = tail_mask16(count - full);
    for (int i = 0; i < full; i += 16) _mm512_storeu_ps(y + i, exp512(_mm512_loadu_ps(x + i)));
    if (tail) _mm512_mask_storeu_ps(y + full, tail, exp512(_mm512_maskz_loadu_ps(tail, x + full)));
}

AVX512 void softmax_row512(float *x, int width, float scale, int valid) {
    const int full = valid & ~15;
    const __mmask16 tail = tail_mask16(valid - full);
    const __m512 s = _mm512_set1_ps(scale);
    __m512 maxima = _mm512_set1_ps(-INFINITY);
    for (int c = 0; c < full; c += 16) maxima = _mm512_max_ps(maxima, _mm512_mul_ps(_mm512_loadu_ps(x + c), s));
    if (tail) maxima = _mm512_mask_max_ps(maxima, tail, maxima, _mm512_mul_ps(_mm512_maskz_loadu_ps(tail, x + full), s));
    const float maximum = _mm512_reduce_max_ps(maxima);
    if (valid == 0 || maximum == -INFINITY) {
        memset(x, 0, (size_t)width * sizeof(float));
        return;
    }
    const __m512 shift = _mm512_set1_ps(maximum);
    __m512 sums = _mm512_setzero_ps();
    for (int c = 0; c < full; c += 16) {
        const __m512 e = exp512(_mm512_sub_ps(_mm512_mul_ps(_mm512_loadu_ps(x + c), s), shift));
        _mm512_storeu_ps(x + c, e);
        sums = _mm512_add_ps(sums, e);
    }
    if (tail) {
        const __m512 e = exp512(_mm512_sub_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(tail, x + full), s), shift));
        _mm512_mask_storeu_ps(x + full, tail, e);
        sums = _mm512_mask_add_ps(sums, tail, sums, e);
    }
    const __m512 inverse = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(sums));
    for (int c = 0; c < full; c += 16) _mm512_storeu_ps(x + c, _mm512_mul_ps(_mm512_loadu_ps(x + c), inverse));
    if (tail) _mm512_mask_storeu_ps(x + full, tail, _mm512_mul_ps(_mm512_maskz_loadu_ps(tail, x + full), inverse));
    memset(x + valid, 0, (size_t)(width - valid) * sizeof(float));
}

AVX512 void layer_norm_row512(const float *x, const float *residual, int width, const float *gamma,
                              const float *beta, float epsilon, float *out) {
    const int full = width & ~15;
    const __mmask16 tail = tail_mask16(width - full);
    const float *v = x;
    __m512 sums = _mm512_setzero_ps();
    if (residual) {
        for (int c = 0; c < full; c += 16) {
            const __m512 sum = _mm512_add_ps(_mm512_loadu_ps(x + c), _mm512_loadu_ps(residual + c));
            _mm512_storeu_ps(out + c, sum);
            sums = _mm512_add_ps(sums, sum);
        }
        if (tail) {
            const __m512 sum = _mm512_add_ps(_mm512_maskz_loadu_ps(tail, x + full), _mm512_maskz_loadu_ps(tail, residual + full));
            _mm512_mask_storeu_ps(out + full, tail, sum);
            sums = _mm512_add_ps(sums, sum);
        }
        v = out;
    } else {
        for (int c = 0; c < full; c += 16) sums = _mm512_add_ps(sums, _mm512_loadu_ps(x + c));
        if (tail) sums = _mm512_add_ps(sums, _mm512_maskz_loadu_ps(tail, x + full));
    }
    const float estimate = _mm512_reduce_add_ps(sums) / (float)width;
    const __m512 shift = _mm512_set1_ps(estimate);
    __m512 deviations = _mm512_setzero_ps(), squares = _mm512_setzero_ps();
    for (int c = 0; c < full; c += 16) {
        const __m512 d = _mm512_sub_ps(_mm512_loadu_ps(v + c), shift);
        deviations = _mm512_add_ps(deviations, d);
        squares = _mm512_fmadd_ps(d, d, squares);
    }
    if (tail) {
        const __m512 d = _mm512_maskz_sub_ps(tail, _mm512_maskz_loadu_ps(tail, v + full), shift);
        deviations = _mm512_add_ps(deviations, d);
        squares = _mm512_fmadd_ps(d, d, squares);
    }
    float correction;
    const float inverse = inverse_deviation(_mm512_reduce_add_ps(deviations), _mm512_reduce_add_ps(squares), width,
                                            epsilon, &correction);
    const __m512 scale = _mm512_set1_ps(inverse), centre = _mm512_set1_ps(correction);
    for (int c = 0; c < full; c += 16) {
        const __m512 t = _mm512_mul_ps(_mm512_sub_ps(_mm512_sub_ps(_mm512_loadu_ps(v + c), shift), centre), scale);
        const __m512 g = _mm512_loadu_ps(gamma + c);
        _mm512_storeu_ps(out + c, beta ? _mm512_fmadd_ps(t, g, _mm512_loadu_ps(beta + c)) : _mm512_mul_ps(t, g));
    }
    if (tail) {
        const __m512 t = _mm512_mul_ps(_mm512_sub_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(tail, v + full), shift), centre), scale);
        const __m512 g = _mm512_maskz_loadu_ps(tail, gamma + full);
        _mm512_mask_storeu_ps(out + full, tail,
                              beta ? _mm512_fmadd_ps(t, g, _mm512_maskz_loadu_ps(tail, beta + full)) : _mm512_mul_ps(t, g));
    }
}

AVX512 void rms_norm_row512(const float *x, int width, const float *weight, float offset, float epsilon,
                            float *out) {
    const int full = width & ~15;
    const __mmask16 tail = tail_mask16(width - full);
    __m512 squares = _mm512_setzero_ps();
    for (int c = 0; c < full; c += 16) {
        const __m512 v = _mm512_loadu_ps(x + c);
        squares = _mm512_fmadd_ps(v, v, squares);
    }
    if (tail) {
        const __m512 v = _mm512_maskz_loadu_ps(tail, x + full);
        squares = _mm512_fmadd_ps(v, v, squares);
    }
    const __m512 scale = _mm512_set1_ps(rms_inverse(_mm512_reduce_add_ps(squares), width, epsilon));
    const __m512 shift = _mm512_set1_ps(offset);
    for (int c = 0; c < full; c += 16) {
        const __m512 w = _mm512_add_ps(_mm512_loadu_ps(weight + c), shift);
        _mm512_storeu_ps(out + c, _mm512_mul_ps(_mm512_mul_ps(_mm512_loadu_ps(x + c), scale), w));
    }
    if (tail) {
        const __m512 w = _mm512_add_ps(_mm512_maskz_loadu_ps(tail, weight + full), shift);
        _mm512_mask_storeu_ps(out + full, tail, _mm512_mul_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(tail, x + full), scale), w));
    }
}

// MARK: - AVX2 + FMA

#define AVX2_INLINE __attribute__((target("avx2,fma"), always_inline)) static inline
#define AVX2 __attribute__((target("avx2,fma"))) static

// Row tails use vmaskmovps, whose mask is a vector: `count` leading -1s, read from this table.
static const int32_t tail_mask_table[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

AVX2_INLINE __m256i tail_mask8(int count) { return _mm256_loadu_si256((const __m256i *)(tail_mask_table + 8 - count)); }

AVX2_INLINE float sum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

AVX2_INLINE float max8(__m256 v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
}

AVX2_INLINE __m256 exp256(__m256 x) {
    const __m256 lowest = _mm256_set1_ps(EXP_LOWEST), highest = _mm256_set1_ps(EXP_HIGHEST);
    const __m256 clamped = _mm256_min_ps(highest, _mm256_max_ps(lowest, x)); // NaN flows through (see exp512)
    const __m256 shifter = _mm256_set1_ps(ROUNDING_SHIFTER);
    const __m256 shifted = _mm256_fmadd_ps(clamped, _mm256_set1_ps(LOG2E), shifter);
    const __m256 n = _mm256_sub_ps(shifted, shifter);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(LN2_HEAD), clamped);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(LN2_TAIL), r);
    __m256 p = _mm256_fmadd_ps(_mm256_set1_ps(EXP_C6), r, _mm256_set1_ps(EXP_C5));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXP_C4));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXP_C3));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXP_C2));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    const __m256i exponent = _mm256_sub_epi32(_mm256_castps_si256(shifted), _mm256_set1_epi32(0x4B400000));
    const __m256i half = _mm256_srai_epi32(exponent, 1), bias = _mm256_set1_epi32(127);
    const __m256 first = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(half, bias), 23));
    const __m256 second = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_sub_epi32(exponent, half), bias), 23));
    __m256 result = _mm256_mul_ps(_mm256_mul_ps(p, first), second);
    result = _mm256_blendv_ps(result, _mm256_setzero_ps(), _mm256_cmp_ps(x, lowest, _CMP_LT_OQ));
    return _mm256_blendv_ps(result, _mm256_set1_ps(INFINITY), _mm256_cmp_ps(x, highest, _CMP_GT_OQ));
}

AVX2_INLINE __m256 gelu_erf256(__m256 x) {
    const __m256 one = _mm256_set1_ps(1.0f), half = _mm256_set1_ps(0.5f);
    const __m256 z = _mm256_mul_ps(x, _mm256_set1_ps(SQRT_HALF));
    const __m256 magnitude = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), z), square = _mm256_mul_ps(z, z);
    const __m256 in_tail = _mm256_cmp_ps(magnitude, one, _CMP_GT_OQ);
    const int tail_lanes = _mm256_movemask_ps(in_tail);
    __m256 central = one, tail = one;
    if (tail_lanes != 0xFF) {
        __m256 p = _mm256_fmadd_ps(_mm256_set1_ps(ERF_P6), square, _mm256_set1_ps(ERF_P5));
        p = _mm256_fmadd_ps(p, square, _mm256_set1_ps(ERF_P4));
        p = _mm256_fmadd_ps(p, square, _mm256_set1_ps(ERF_P3));
        p = _mm256_fmadd_ps(p, square, _mm256_set1_ps(ERF_P2));
        p = _mm256_fmadd_ps(p, square, _mm256_set1_ps(ERF_P1));
        p = _mm256_fmadd_ps(p, square, _mm256_set1_ps(ERF_P0));
        central = _mm256_fmadd_ps(half, _mm256_mul_ps(z, p), half);
    }
    if (tail_lanes) {
        const __m256 t = _mm256_div_ps(one, _mm256_fmadd_ps(half, magnitude, one));
        __m256 q = _mm256_fmadd_ps(_mm256_set1_ps(ERFC_Q8), t, _mm256_set1_ps(ERFC_Q7));
        q = _mm256_fmadd_ps(q, t, _mm256_set1_ps(ERFC_Q6));
        q = _mm256_fmadd_ps(q, t, _mm256_set1_ps(ERFC_Q5));
        q = _mm256_fmadd_ps(q, t, _mm256_set1_ps(ERFC_Q4));
        q = _mm256_fmadd_ps(q, t, _mm256_set1_ps(ERFC_Q3));
        q = _mm256_fmadd_ps(q, t, _mm256_set1_ps(ERFC_Q2));
        q = _mm256_fmadd_ps(q, t, _mm256_set1_ps(ERFC_Q1));
        q = _mm256_fmadd_ps(q, t, _mm256_set1_ps(ERFC_Q0));
        const __m256 half_tail = _mm256_mul_ps(_mm256_mul_ps(half, exp256(_mm256_sub_ps(_mm256_setzero_ps(), square))), q);
        const __m256 positive = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GT_OQ);
        tail = _mm256_blendv_ps(half_tail, _mm256_sub_ps(one, half_tail), positive);
    }
    return _mm256_mul_ps(x, _mm256_blendv_ps(central, tail, in_tail));
}

AVX2_INLINE __m256 activation256(const apus_activation activation, __m256 x) {
    const __m256 one = _mm256_set1_ps(1.0f);
    switch (activation) {
    case APUS_ACTIVATION_GELU_ERF: return gelu_erf256(x);
    case APUS_ACTIVATION_GELU_TANH: {
        const __m256 inner = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_set1_ps(GELU_TANH_CUBIC), _mm256_mul_ps(x, x)), x, x);
        return _mm256_div_ps(x, _mm256_add_ps(one, exp256(_mm256_mul_ps(_mm256_set1_ps(GELU_TANH_SCALE), inner))));
    }
    case APUS_ACTIVATION_QUICK_GELU:
        return _mm256_div_ps(x, _mm256_add_ps(one, exp256(_mm256_mul_ps(_mm256_set1_ps(QUICK_GELU_SCALE), x))));
    case APUS_ACTIVATION_RELU: return _mm256_max_ps(_mm256_setzero_ps(), x);
    case APUS_ACTIVATION_SILU: return _mm256_div_ps(x, _mm256_add_ps(one, exp256(_mm256_sub_ps(_mm256_setzero_ps(), x))));
    case APUS_ACTIVATION_NONE: break;
    }
    return x;
}

AVX2_INLINE void activation_rows256(const apus_activation activation, float *y, int ldy, int rows, int cols) {
    const int full = cols & ~7, rest = cols - full;
    const __m256i tail = tail_mask8(rest);
    for (int r = 0; r < rows; r++) {
        float *row = y + (size_t)r * ldy;
        for (int c = 0; c < full; c += 8) _mm256_storeu_ps(row + c, activation256(activation, _mm256_loadu_ps(row + c)));
        if (rest) _mm256_maskstore_ps(row + full, tail, activation256(activation, _mm256_maskload_ps(row + full, tail)));
    }
}

#define ACTIVATION_ROWS256(NAME, CODE)                                                                         \
    AVX2 void activation_rows256_##NAME(float *y, int ldy, int rows, int cols) {                               \
        activation_rows256(CODE, y, ldy, rows, cols);                                                          \
    }
ACTIVATION_ROWS256(gelu_erf, APUS_ACTIVATION_GELU_ERF)
ACTIVATION_ROWS256(gelu_tanh, APUS_ACTIVATION_GELU_TANH)
ACTIVATION_ROWS256(quick_gelu, APUS_ACTIVATION_QUICK_GELU)
ACTIVATION_ROWS256(relu, APUS_ACTIVATION_RELU)
ACTIVATION_ROWS256(silu, APUS_ACTIVATION_SILU)

AVX2 void exp256_count(const float *x, float *y, int count) {
    const int full = count & ~7, rest = count - full;
    const __m256i tail = tail_mask8(rest);
    for (int i = 0; i < full; i += 8) _mm256_storeu_ps(y + i, exp256(_mm256_loadu_ps(x + i)));
    if (rest) _mm256_maskstore_ps(y + full, tail, exp256(_mm256_maskload_ps(x + full, tail)));
}

AVX2 void softmax_row256(float *x, int width, float scale, int valid) {
    const int full = valid & ~7, rest = valid - full;
    const __m256i tail = tail_mask8(rest);
    const __m256 s = _mm256_set1_ps(scale), minus_infinity = _mm256_set1_ps(-INFINITY);
    __m256 maxima = minus_infinity;
    for (int c = 0; c < full; c += 8) maxima = _mm256_max_ps(maxima, _mm256_mul_ps(_mm256_loadu_ps(x + c), s));
    if (rest) {
        const __m256 v = _mm256_blendv_ps(minus_infinity, _mm256_mul_ps(_mm256_maskload_ps(x + full, tail), s),
                                          _mm256_castsi256_ps(tail));
        maxima = _mm256_max_ps(maxima, v);
    }
    const float maximum = max8(maxima);
    if (valid == 0 || maximum == -INFINITY) {
        memset(x, 0, (size_t)width * sizeof(float));
        return;
    }
    const __m256 shift = _mm256_set1_ps(maximum);
    __m256 sums = _mm256_setzero_ps();
    for (int c = 0; c < full; c += 8) {
        const __m256 e = exp256(_mm256_sub_ps(_mm256_mul_ps(_mm256_loadu_ps(x + c), s), shift));
        _mm256_storeu_ps(x + c, e);
        sums = _mm256_add_ps(sums, e);
    }
    if (rest) {
        const __m256 e = _mm256_and_ps(exp256(_mm256_sub_ps(_mm256_mul_ps(_mm256_maskload_ps(x + full, tail), s), shift)),
                                       _mm256_castsi256_ps(tail));
        _mm256_maskstore_ps(x + full, tail, e);
        sums = _mm256_add_ps(sums, e);
    }
    const __m256 inverse = _mm256_set1_ps(1.0f / sum8(sums));
    for (int c = 0; c < full; c += 8) _mm256_storeu_ps(x + c, _mm256_mul_ps(_mm256_loadu_ps(x + c), inverse));
    if (rest) _mm256_maskstore_ps(x + full, tail, _mm256_mul_ps(_mm256_maskload_ps(x + full, tail), inverse));
    memset(x + valid, 0, (size_t)(width - valid) * sizeof(float));
}

AVX2 void layer_norm_row256(const float *x, const float *residual, int width, const float *gamma,
                            const float *beta, float epsilon, float *out) {
    const int full = width & ~7, rest = width - full;
    const __m256i tail = tail_mask8(rest);
    const float *v = x;
    __m256 sums = _mm256_setzero_ps();
    if (residual) {
        for (int c = 0; c < full; c += 8) {
            const __m256 sum = _mm256_add_ps(_mm256_loadu_ps(x + c), _mm256_loadu_ps(residual + c));
            _mm256_storeu_ps(out + c, sum);
            sums = _mm256_add_ps(sums, sum);
        }
        if (rest) {
            const __m256 sum = _mm256_add_ps(_mm256_maskload_ps(x + full, tail), _mm256_maskload_ps(residual + full, tail));
            _mm256_maskstore_ps(out + full, tail, sum);
            sums = _mm256_add_ps(sums, sum);
        }
        v = out;
    } else {
        for (int c = 0; c < full; c += 8) sums = _mm256_add_ps(sums, _mm256_loadu_ps(x + c));
        if (rest) sums = _mm256_add_ps(sums, _mm256_maskload_ps(x + full, tail));
    }
    const float estimate = sum8(sums) / (float)width;
    const __m256 shift = _mm256_set1_ps(estimate);
    __m256 deviations = _mm256_setzero_ps(), squares = _mm256_setzero_ps();
    for (int c = 0; c < full; c += 8) {
        const __m256 d = _mm256_sub_ps(_mm256_loadu_ps(v + c), shift);
        deviations = _mm256_add_ps(deviations, d);
        squares = _mm256_fmadd_ps(d, d, squares);
    }
    if (rest) {
        const __m256 d = _mm256_and_ps(_mm256_sub_ps(_mm256_maskload_ps(v + full, tail), shift), _mm256_castsi256_ps(tail));
        deviations = _mm256_add_ps(deviations, d);
        squares = _mm256_fmadd_ps(d, d, squares);
    }
    float correction;
    const float inverse = inverse_deviation(sum8(deviations), sum8(squares), width, epsilon, &correction);
    const __m256 scale = _mm256_set1_ps(inverse), centre = _mm256_set1_ps(correction);
    for (int c = 0; c < full; c += 8) {
        const __m256 t = _mm256_mul_ps(_mm256_sub_ps(_mm256_sub_ps(_mm256_loadu_ps(v + c), shift), centre), scale);
        const __m256 g = _mm256_loadu_ps(gamma + c);
        _mm256_storeu_ps(out + c, beta ? _mm256_fmadd_ps(t, g, _mm256_loadu_ps(beta + c)) : _mm256_mul_ps(t, g));
    }
    if (rest) {
        const __m256 t = _mm256_mul_ps(_mm256_sub_ps(_mm256_sub_ps(_mm256_maskload_ps(v + full, tail), shift), centre), scale);
        const __m256 g = _mm256_maskload_ps(gamma + full, tail);
        _mm256_maskstore_ps(out + full, tail,
                            beta ? _mm256_fmadd_ps(t, g, _mm256_maskload_ps(beta + full, tail)) : _mm256_mul_ps(t, g));
    }
}

AVX2 void rms_norm_row256(const float *x, int width, const float *weight, float offset, float epsilon, float *out) {
    const int full = width & ~7, rest = width - full;
    const __m256i tail = tail_mask8(rest);
    __m256 squares = _mm256_setzero_ps();
    for (int c = 0; c < full; c += 8) {
        const __m256 v = _mm256_loadu_ps(x + c);
        squares = _mm256_fmadd_ps(v, v, squares);
    }
    if (rest) {
        const __m256 v = _mm256_maskload_ps(x + full, tail);
        squares = _mm256_fmadd_ps(v, v, squares);
    }
    const __m256 scale = _mm256_set1_ps(rms_inverse(sum8(squares), width, epsilon));
    const __m256 shift = _mm256_set1_ps(offset);
    for (int c = 0; c < full; c += 8) {
        const __m256 w = _mm256_add_ps(_mm256_loadu_ps(weight + c), shift);
        _mm256_storeu_ps(out + c, _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(x + c), scale), w));
    }
    if (rest) {
        const __m256 w = _mm256_add_ps(_mm256_maskload_ps(weight + full, tail), shift);
        _mm256_maskstore_ps(out + full, tail, _mm256_mul_ps(_mm256_mul_ps(_mm256_maskload_ps(x + full, tail), scale), w));
    }
}
#endif

// MARK: - Entry points

typedef void (*activation_rows_kernel)(float *y, int ldy, int rows, int cols);

static activation_rows_kernel activation_kernel(apus_isa isa, apus_activation activation) {
#if defined(__x86_64__)
    if (isa == APUS_ISA_AVX512) {
        switch (activation) {
        case APUS_ACTIVATION_GELU_ERF: return activation_rows512_gelu_erf;
        case APUS_ACTIVATION_GELU_TANH: return activation_rows512_gelu_tanh;
        case APUS_ACTIVATION_QUICK_GELU: return activation_rows512_quick_gelu;
        case APUS_ACTIVATION_RELU: return activation_rows512_relu;
        case APUS_ACTIVATION_SILU: return activation_rows512_silu;
        case APUS_ACTIVATION_NONE: return 0;
        }
    }
    if (isa == APUS_ISA_AVX2) {
        switch (activation) {
        case APUS_ACTIVATION_GELU_ERF: return activation_rows256_gelu_erf;
        case APUS_ACTIVATION_GELU_TANH: return activation_rows256_gelu_tanh;
        case APUS_ACTIVATION_QUICK_GELU: return activation_rows256_quick_gelu;
        case APUS_ACTIVATION_RELU: return activation_rows256_relu;
        case APUS_ACTIVATION_SILU: return activation_rows256_silu;
        case APUS_ACTIVATION_NONE: return 0;
        }
    }
#endif
    switch (activation) {
    case APUS_ACTIVATION_GELU_ERF: return activation_rows_portable_gelu_erf;
    case APUS_ACTIVATION_GELU_TANH: return activation_rows_portable_gelu_tanh;
    case APUS_ACTIVATION_QUICK_GELU: return activation_rows_portable_quick_gelu;
    case APUS_ACTIVATION_RELU: return activation_rows_portable_relu;
    case APUS_ACTIVATION_SILU: return activation_rows_portable_silu;
    case APUS_ACTIVATION_NONE: return 0;
    }
    return 0; // an out-of-range code from a caller: leave y as it is
}

void apus_activation_rows(apus_isa isa, apus_activation activation, float *y, int ldy, int rows, int cols) {
    const activation_rows_kernel kernel = activation_kernel(usable_isa(isa), activation);
    if (kernel && rows > 0 && cols > 0) kernel(y, ldy, rows, cols);
}

void apus_exp(apus_isa isa, const float *x, float *y, int count) {
    if (count <= 0) return;
    switch (usable_isa(isa)) {
#if defined(__x86_64__)
    case APUS_ISA_AVX512: exp512_count(x, y, count); return;
    case APUS_ISA_AVX2: exp256_count(x, y, count); return;
#endif
    default: exp_portable_count(x, y, count); return;
    }
}

void apus_softmax_rows_masked(apus_isa isa, float *x, int ldx, int rows, int width, float scale,
                              const int *valid_columns) {
    if (width <= 0) return;
    isa = usable_isa(isa);
    for (int r = 0; r < rows; r++) {
        float *row = x + (size_t)r * ldx;
        int valid = valid_columns ? valid_columns[r] : width;
        valid = valid < 0 ? 0 : valid > width ? width : valid;
#if defined(__x86_64__)
        if (isa == APUS_ISA_AVX512) { softmax_row512(row, width, scale, valid); continue; }
        if (isa == APUS_ISA_AVX2) { softmax_row256(row, width, scale, valid); continue; }
#endif
        softmax_row_portable(row, width, scale, valid);
    }
}

void apus_softmax_rows(apus_isa isa, float *x, int ldx, int rows, int width) {
    apus_softmax_rows_masked(isa, x, ldx, rows, width, 1.0f, 0);
}

void apus_layer_norm_rows(apus_isa isa, const float *x, const float *residual, int rows, int width,
                          const float *gamma, const float *beta, float epsilon, float *out) {
    if (width <= 0) return;
    isa = usable_isa(isa);
    for (int r = 0; r < rows; r++) {
        const size_t offset = (size_t)r * width;
        const float *row_residual = residual ? residual + offset : 0;
#if defined(__x86_64__)
        if (isa == APUS_ISA_AVX512) { layer_norm_row512(x + offset, row_residual, width, gamma, beta, epsilon, out + offset); continue; }
        if (isa == APUS_ISA_AVX2) { layer_norm_row256(x + offset, row_residual, width, gamma, beta, epsilon, out + offset); continue; }
#endif
        layer_norm_row_portable(x + offset, row_residual, width, gamma, beta, epsilon, out + offset);
    }
}

void apus_rms_norm_rows(apus_isa isa, const float *x, int rows, int width, const float *weight,
                        float weight_offset, float epsilon, float *out) {
    if (width <= 0) return;
    isa = usable_isa(isa);
    for (int r = 0; r < rows; r++) {
        const size_t offset = (size_t)r * width;
#if defined(__x86_64__)
        if (isa == APUS_ISA_AVX512) { rms_norm_row512(x + offset, width, weight, weight_offset, epsilon, out + offset); continue; }
        if (isa == APUS_ISA_AVX2) { rms_norm_row256(x + offset, width, weight, weight_offset, epsilon, out + offset); continue; }
#endif
        rms_norm_row_portable(x + offset, width, weight, weight_offset, epsilon, out + offset);
    }
}
