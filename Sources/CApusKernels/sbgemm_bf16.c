// y = x · Wᵀ (+ bias) with x and W in bf16 and fp32 sums (see apus_bf16.h for the format and the rounding).
//
// Notation: x is [m, k] in bf16 with row stride ldx = kp·2, where kp = ceil(k/2) is the number of k-pairs;
// W is [n, k] packed as panels of 32 columns, each panel [kp, 32, 2] (pair-major, then column, then the two k
// values of the pair); y is [m, n]. The loop order is sgemm_packed.c's: per panel, k-pairs in blocks of KC
// (a block is KC × 64 bf16 = 32 KiB and stays in L1 while every row block streams past it), then rows in
// blocks of MR. The micro-kernel keeps an MR × 32 tile of y in registers; per pair p it broadcasts row r's
// (x[r, 2p], x[r, 2p+1]) as one 32-bit lane and vdpbf16ps adds x[r,2p]·W[j,2p] + x[r,2p+1]·W[j,2p+1] to
// column j's accumulator. Tiles are written back (masked at the right edge) after each k block.
#include "apus_bf16.h"
#include "apus_elementwise.h"
#include "apus_kernels.h"
#include <string.h>

// k-pairs per block. The 32 KiB panel block plus a 12-row slice of x (12 KiB) fits a 48 KiB L1d (Zen 5,
// Sapphire Rapids). Measured on Zen 5 (4096 rows, MiniLM and BERT-base shapes): 256 beat 128 by 5–27% and
// 192 by 0–15%; 64 was 10–45% slower. A 32 KiB-L1d CPU (Zen 4) may prefer 128; not measured.
#define KC 256

static inline float bf16_to_float(uint16_t value) {
    const uint32_t bits = (uint32_t)value << 16; // bf16 is the top half of an fp32: widening is exact
    float result;
    memcpy(&result, &bits, sizeof result);
    return result;
}

uint16_t apus_bf16_round(float x) {
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    const uint32_t magnitude = bits & 0x7FFFFFFFu;
    if (magnitude > 0x7F800000u) return (uint16_t)((bits >> 16) | 0x0040u); // NaN: quiet it, keep sign and payload top
    if (magnitude < 0x00800000u) return (uint16_t)((bits >> 16) & 0x8000u); // zero or subnormal: signed zero
    // Ties to even: add just under half an ulp of the result, plus one when the kept part is odd. A carry out of
    // the mantissa bumps the exponent, which is the correct result (up to infinity past bf16's largest finite).
    bits += 0x7FFFu + ((bits >> 16) & 1u);
    return (uint16_t)(bits >> 16);
}

size_t apus_bf16_packed_size(int n, int k) {
    const size_t panels = (size_t)(n + APUS_BF16_PANEL_WIDTH - 1) / APUS_BF16_PANEL_WIDTH;
    const size_t pairs = (size_t)(k + 1) / 2;
    return panels * pairs * 2 * APUS_BF16_PANEL_WIDTH;
}

void apus_pack_weights_bf16(const float *w, int n, int k, uint16_t *packed) {
    const int panels = (n + APUS_BF16_PANEL_WIDTH - 1) / APUS_BF16_PANEL_WIDTH, pairs = (k + 1) / 2;
    for (int panel = 0; panel < panels; panel++) {
        uint16_t *out = packed + (size_t)panel * pairs * 2 * APUS_BF16_PANEL_WIDTH;
        for (int p = 0; p < pairs; p++) {
            for (int j = 0; j < APUS_BF16_PANEL_WIDTH; j++) {
                const int column = panel * APUS_BF16_PANEL_WIDTH + j;
                for (int half = 0; half < 2; half++) {
                    const int index = 2 * p + half;
                    const uint16_t value = column < n && index < k ? apus_bf16_round(w[(size_t)column * k + index]) : 0;
                    out[((size_t)p * APUS_BF16_PANEL_WIDTH + j) * 2 + half] = value;
                }
            }
        }
    }
}

// One tile: rows [0, mr) of x (offset to the k block), panel block b ([kc pairs, 32, 2]), into y (offset to the
// tile), `valid` columns written. `first` starts from bias (or zero) instead of reloading y.
typedef void (*tile_kernel)(const uint16_t *x, int ldx, int kc, const uint16_t *b, float *y, int ldy, int valid,
                            int first, const float *bias);

// MARK: portable

static void convert_rows_portable(const float *x, int ldx, int m, int k, uint16_t *out) {
    const int ldo = (k + 1) / 2 * 2;
    for (int r = 0; r < m; r++) {
        for (int i = 0; i < k; i++) out[(size_t)r * ldo + i] = apus_bf16_round(x[(size_t)r * ldx + i]);
        if (k < ldo) out[(size_t)r * ldo + k] = 0;
    }
}

static void tile_portable(const uint16_t *x, int ldx, int mr, int kc, const uint16_t *b, float *y, int ldy,
                          int valid, int first, const float *bias) {
    float acc[APUS_BF16_PANEL_WIDTH];
    for (int r = 0; r < mr; r++) {
        for (int j = 0; j < APUS_BF16_PANEL_WIDTH; j++)
            acc[j] = first ? (bias && j < valid ? bias[j] : 0.0f) : (j < valid ? y[(size_t)r * ldy + j] : 0.0f);
        const uint16_t *row = x + (size_t)r * ldx;
        for (int p = 0; p < kc; p++) {
            const float a0 = bf16_to_float(row[2 * p]), a1 = bf16_to_float(row[2 * p + 1]);
            const uint16_t *bp = b + (size_t)p * 2 * APUS_BF16_PANEL_WIDTH;
            // Products of bf16 values are exact in fp32, so only these two additions round, as in vdpbf16ps.
            for (int j = 0; j < APUS_BF16_PANEL_WIDTH; j++) {
                acc[j] += a0 * bf16_to_float(bp[2 * j]);
                acc[j] += a1 * bf16_to_float(bp[2 * j + 1]);
            }
        }
        for (int j = 0; j < valid; j++) y[(size_t)r * ldy + j] = acc[j];
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

#define BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))

// MARK: AVX-512 BF16

BF16_TARGET static void convert_rows_avx512bf16(const float *x, int ldx, int m, int k, uint16_t *out) {
    const int ldo = (k + 1) / 2 * 2;
    for (int r = 0; r < m; r++) {
        const float *source = x + (size_t)r * ldx;
        uint16_t *target = out + (size_t)r * ldo;
        int i = 0;
        for (; i + 32 <= k; i += 32) {
            const __m512bh v = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(source + i + 16), _mm512_loadu_ps(source + i));
            _mm512_storeu_si512(target + i, (__m512i)v);
        }
        if (i < k) { // masked loads read zeros past k, which also gives the pad value
            const int rest = k - i;
            const __mmask16 mask0 = rest >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << rest) - 1);
            const __mmask16 mask1 = rest <= 16 ? 0 : (__mmask16)((1u << (rest - 16)) - 1);
            const __m512bh v = _mm512_cvtne2ps_pbh(_mm512_maskz_loadu_ps(mask1, source + i + 16),
                                                   _mm512_maskz_loadu_ps(mask0, source + i));
            const __mmask32 store = (__mmask32)(((uint64_t)1 << (ldo - i)) - 1);
            _mm512_mask_storeu_epi16(target + i, store, (__m512i)v);
        }
    }
}

// MR = 12 rows × 32 columns = 24 zmm accumulators, plus two panel vectors and one broadcast: 27 of 32
// registers. More rows would spill the accumulators.
#define BF16_MR 12

BF16_TARGET __attribute__((always_inline)) static inline void
tile_avx512bf16(const uint16_t *x, int ldx, const int mr, int kc, const uint16_t *b, float *y, int ldy, int valid,
                int first, const float *bias) {
    const __mmask16 mask0 = valid >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << valid) - 1);
    const __mmask16 mask1 = valid >= 32 ? (__mmask16)0xFFFF : valid <= 16 ? 0 : (__mmask16)((1u << (valid - 16)) - 1);
    __m512 acc0[BF16_MR], acc1[BF16_MR];
    const __m512 bias0 = first && bias ? _mm512_maskz_loadu_ps(mask0, bias) : _mm512_setzero_ps();
    const __m512 bias1 = first && bias ? _mm512_maskz_loadu_ps(mask1, bias + 16) : _mm512_setzero_ps();
#pragma clang loop unroll(full)
    for (int r = 0; r < BF16_MR; r++) {
        if (r < mr) {
            acc0[r] = first ? bias0 : _mm512_maskz_loadu_ps(mask0, y + (size_t)r * ldy);
            acc1[r] = first ? bias1 : _mm512_maskz_loadu_ps(mask1, y + (size_t)r * ldy + 16);
        }
    }
    for (int p = 0; p < kc; p++) {
        // 8 KiB ahead, as in sgemm_packed.c: few-row products stream the weights from memory.
        _mm_prefetch((const char *)(b + (size_t)(p + 64) * 2 * APUS_BF16_PANEL_WIDTH), _MM_HINT_T0);
        _mm_prefetch((const char *)(b + (size_t)(p + 64) * 2 * APUS_BF16_PANEL_WIDTH + 32), _MM_HINT_T0);
        const __m512bh b0 = (__m512bh)_mm512_loadu_si512(b + (size_t)p * 2 * APUS_BF16_PANEL_WIDTH);
        const __m512bh b1 = (__m512bh)_mm512_loadu_si512(b + (size_t)p * 2 * APUS_BF16_PANEL_WIDTH + 32);
#pragma clang loop unroll(full)
        for (int r = 0; r < BF16_MR; r++) {
            if (r < mr) {
                uint32_t pair; // (x[r, 2p], x[r, 2p+1]) as one lane; memcpy because rows are only 4-byte aligned
                memcpy(&pair, x + (size_t)r * ldx + 2 * p, sizeof pair);
                const __m512bh a = (__m512bh)_mm512_set1_epi32((int)pair);
                acc0[r] = _mm512_dpbf16_ps(acc0[r], a, b0);
                acc1[r] = _mm512_dpbf16_ps(acc1[r], a, b1);
            }
        }
    }
#pragma clang loop unroll(full)
    for (int r = 0; r < BF16_MR; r++) {
        if (r < mr) {
            _mm512_mask_storeu_ps(y + (size_t)r * ldy, mask0, acc0[r]);
            _mm512_mask_storeu_ps(y + (size_t)r * ldy + 16, mask1, acc1[r]);
        }
    }
}

#define BF16_TILE(MR)                                                                                          \
    BF16_TARGET static void tile_avx512bf16_##MR(const uint16_t *x, int ldx, int kc, const uint16_t *b,         \
                                                 float *y, int ldy, int valid, int first, const float *bias) { \
        tile_avx512bf16(x, ldx, MR, kc, b, y, ldy, valid, first, bias);                                        \
    }
BF16_TILE(1) BF16_TILE(2) BF16_TILE(3) BF16_TILE(4) BF16_TILE(5) BF16_TILE(6)
BF16_TILE(7) BF16_TILE(8) BF16_TILE(9) BF16_TILE(10) BF16_TILE(11) BF16_TILE(12)
static const tile_kernel avx512bf16_tiles[BF16_MR + 1] = {
    0, tile_avx512bf16_1, tile_avx512bf16_2, tile_avx512bf16_3, tile_avx512bf16_4, tile_avx512bf16_5,
    tile_avx512bf16_6, tile_avx512bf16_7, tile_avx512bf16_8, tile_avx512bf16_9, tile_avx512bf16_10,
    tile_avx512bf16_11, tile_avx512bf16_12};

// The detected path, looked up once: CPUID can trap to the hypervisor in a VM (microseconds per call).
static apus_isa_bf16 detected_isa(void) {
    static int cached = -1; // a racing first call just detects twice and stores the same value
    int value = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (value < 0) {
        value = (int)apus_bf16_detect();
        __atomic_store_n(&cached, value, __ATOMIC_RELAXED);
    }
    return (apus_isa_bf16)value;
}
#endif

void apus_convert_rows_bf16_isa(apus_isa_bf16 isa, const float *x, int ldx, int m, int k, uint16_t *out) {
#if defined(__x86_64__)
    if (isa == APUS_BF16_AVX512BF16) { convert_rows_avx512bf16(x, ldx, m, k, out); return; }
#endif
    (void)isa;
    convert_rows_portable(x, ldx, m, k, out);
}

void apus_convert_rows_bf16(const float *x, int ldx, int m, int k, uint16_t *out) {
#if defined(__x86_64__)
    apus_convert_rows_bf16_isa(detected_isa(), x, ldx, m, k, out);
#else
    convert_rows_portable(x, ldx, m, k, out);
#endif
}

void apus_sbgemm_bf16_packed(apus_isa_bf16 isa, const uint16_t *x_bf16, int m, int k, const uint16_t *packed, int n,
                             int panel_begin, int panel_end, const float *bias, int activation, float *y, int ldy) {
#if !defined(__x86_64__)
    isa = APUS_BF16_PORTABLE;
#endif
    // The epilogue is fp32 work: it runs on the best fp32 path (AVX-512 whenever BF16 is there).
    const apus_isa epilogue_isa = isa == APUS_BF16_AVX512BF16 ? APUS_ISA_AVX512 : apus_detect_isa();
    const int pairs = (k + 1) / 2, ldx = 2 * pairs;
    const int mr = isa == APUS_BF16_AVX512BF16 ? 12 : 4;
    for (int panel = panel_begin; panel < panel_end; panel++) {
        const int column = panel * APUS_BF16_PANEL_WIDTH;
        const int valid = n - column < APUS_BF16_PANEL_WIDTH ? n - column : APUS_BF16_PANEL_WIDTH;
        const uint16_t *panel_data = packed + (size_t)panel * pairs * 2 * APUS_BF16_PANEL_WIDTH;
        const float *panel_bias = bias ? bias + column : 0;
        if (k == 0) { // y = bias: the k loop below would never write the tile
            for (int r = 0; r < m; r++)
                for (int j = 0; j < valid; j++) y[(size_t)r * ldy + column + j] = panel_bias ? panel_bias[j] : 0.0f;
            if (activation != APUS_ACTIVATION_NONE)
                apus_activation_rows(epilogue_isa, (apus_activation)activation, y + column, ldy, m, valid);
            continue;
        }
        for (int p0 = 0; p0 < pairs; p0 += KC) {
            const int kc = pairs - p0 < KC ? pairs - p0 : KC;
            const uint16_t *b = panel_data + (size_t)p0 * 2 * APUS_BF16_PANEL_WIDTH;
            for (int r0 = 0; r0 < m; r0 += mr) {
                const int rows = m - r0 < mr ? m - r0 : mr;
                const uint16_t *xt = x_bf16 + (size_t)r0 * ldx + 2 * p0;
                float *yt = y + (size_t)r0 * ldy + column;
#if defined(__x86_64__)
                if (isa == APUS_BF16_AVX512BF16) avx512bf16_tiles[rows](xt, ldx, kc, b, yt, ldy, valid, p0 == 0, panel_bias);
                else
#endif
                tile_portable(xt, ldx, rows, kc, b, yt, ldy, valid, p0 == 0, panel_bias);
                // Fused epilogue on the finished tile while it is in L1 (see sgemm_packed.c).
                if (activation != APUS_ACTIVATION_NONE && p0 + kc == pairs)
                    apus_activation_rows(epilogue_isa, (apus_activation)activation, yt, ldy, rows, valid);
            }
        }
    }
}
