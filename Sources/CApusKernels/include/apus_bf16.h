// bf16 matrix products: weights rounded to bf16 once at load, activations rounded per call, products summed
// in fp32. bf16 keeps fp32's exponent and 8 significant bits, so a product of two bf16 values is exact in fp32
// and only the inputs lose precision (relative error ≤ 2⁻⁸ each). AVX-512 BF16's vdpbf16ps does 32 such
// multiply-adds per instruction, twice the work of an fp32 FMA, and the operands take half the bytes.
//
// Rounding (every path, so all give the same bits): round to nearest, ties to even; NaN stays NaN (quieted);
// fp32 subnormals (|x| < 2⁻¹²⁶) become a zero of the same sign. The flush is what vcvtne2ps2bf16 and
// vdpbf16ps do with subnormal inputs (Intel SDM, VCVTNE2PS2BF16: "input denormals are always treated as
// zero"); doing the same in C keeps the portable path bit-identical and costs nothing measurable.
#ifndef APUS_BF16_H
#define APUS_BF16_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Code paths of the bf16 product, lowest first.
typedef enum {
    APUS_BF16_PORTABLE = 0,    ///< plain C: bf16 widened to fp32 (bits << 16), fp32 multiply-adds
    APUS_BF16_AVX512BF16 = 1,  ///< AVX-512 F + BW + BF16 (vcvtne2ps2bf16, vdpbf16ps)
} apus_isa_bf16;

/// The best bf16 path this CPU and operating system support (CPUID leaf 7 subleaf 1 EAX bit 5, plus the
/// AVX-512 register state enabled in XCR0).
apus_isa_bf16 apus_bf16_detect(void);

/// Columns per bf16 weight panel (same panel width as the fp32 kernels).
#define APUS_BF16_PANEL_WIDTH 32

/// The bf16 bit pattern of x under the rounding described above.
uint16_t apus_bf16_round(float x);

/// uint16 elements apus_pack_weights_bf16 writes for W [n, k]: ceil(n/32) panels of ceil(k/2) k-pairs × 64.
size_t apus_bf16_packed_size(int n, int k);

/// Packs W [n, k] (row-major fp32, as checkpoints store linear weights) into bf16 panels of 32 output columns.
/// Inside a panel, k goes in pairs (k padded to even with zeros) and each pair p is 64 values: column j's
/// (W[j, 2p], W[j, 2p+1]) at 2j and 2j+1, the operand layout of vdpbf16ps. Columns past n are zero.
void apus_pack_weights_bf16(const float *w, int n, int k, uint16_t *packed);

/// Rounds x [m, k] (row stride ldx floats) to bf16 rows of ceil(k/2)·2 values (row stride the same), the
/// last one 0 when k is odd. Uses vcvtne2ps2bf16 when the CPU has it; the bits do not depend on the path.
void apus_convert_rows_bf16(const float *x, int ldx, int m, int k, uint16_t *out);

/// apus_convert_rows_bf16 on a given path (which must be supported), so tests can compare the paths' bits.
void apus_convert_rows_bf16_isa(apus_isa_bf16 isa, const float *x, int ldx, int m, int k, uint16_t *out);

/// y[m, n] (row stride ldy) = act(x · Wᵀ (+ bias[n] when not NULL)), for the panels [panel_begin, panel_end) of W
/// packed by apus_pack_weights_bf16. x is bf16 from apus_convert_rows_bf16 (row stride ceil(k/2)·2). Sums are
/// fp32. Columns past n in the last panel are not written. `activation` is an apus_activation value
/// (apus_elementwise.h; 0 for none), applied in fp32 to each output tile while it is in cache.
void apus_sbgemm_bf16_packed(apus_isa_bf16 isa, const uint16_t *x_bf16, int m, int k, const uint16_t *packed, int n,
                             int panel_begin, int panel_end, const float *bias, int activation, float *y, int ldy);

#ifdef __cplusplus
}
#endif

#endif
