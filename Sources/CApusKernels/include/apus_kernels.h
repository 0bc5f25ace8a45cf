// The innermost SIMD kernels of Apus, in C because per-function instruction sets
// (__attribute__((target(...)))) let one binary carry AVX2, AVX-512 and portable versions and pick at run
// time, which Swift cannot express: without a whole-build CPU flag, Swift SIMD lowers to baseline SSE2.
// Everything around these kernels (packing policy, threading, shapes) stays in Swift.
#ifndef APUS_KERNELS_H
#define APUS_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Instruction-set levels the kernels can use, lowest first.
typedef enum {
    APUS_ISA_PORTABLE = 0, ///< plain C, auto-vectorised for the baseline target (SSE2 / NEON)
    APUS_ISA_AVX2 = 1,     ///< AVX2 + FMA (x86-64-v3)
    APUS_ISA_AVX512 = 2,   ///< AVX-512 F (x86-64-v4)
} apus_isa;

/// The best level this CPU and operating system support (CPUID and XGETBV on x86; portable elsewhere).
apus_isa apus_detect_isa(void);

/// Columns per packed weight panel: W is stored as panels of 32 output columns, k-major inside a panel.
#define APUS_PANEL_WIDTH 32

/// Packs W [n, k] (row-major, as checkpoints store linear weights) into ceil(n/32) panels of [k, 32] floats,
/// zero-padding the last panel. `packed` must hold apus_packed_size(n, k) floats.
size_t apus_packed_size(int n, int k);
void apus_pack_weights(const float *w, int n, int k, float *packed);

/// Packs a strided matrix into panels: B is W [n, k] with row stride ldb when `b_is_nk`, else Wᵀ given as
/// [k, n] with row stride ldb (attention's V). Lets small products on column blocks (one attention head) use
/// the same micro-kernels.
void apus_pack_strided(const float *b, int ldb, int n, int k, int b_is_nk, float *packed);

/// y[m, n] (row stride ldy) = act(x[m, k] (row stride ldx) · Wᵀ (+ bias[n] when not NULL)), for the panels
/// [panel_begin, panel_end) of a packed W. Columns past n in the last panel are not written. `activation` is an
/// apus_activation value (apus_elementwise.h; 0 for none), applied to each output tile while it is in cache.
void apus_sgemm_packed(apus_isa isa, const float *x, int ldx, int m, int k, const float *packed, int n,
                       int panel_begin, int panel_end, const float *bias, int activation, float *y, int ldy);

/// One key tile of an online softmax for one query row (attention's tiled path): raises `*maximum` to cover the
/// `count` scores, replaces them by exp(score − maximum) (−inf → 0), adds their sum to `*sum` after rescaling it
/// to the new maximum, and returns exp(old − new maximum), the factor earlier context must be rescaled by.
float apus_online_softmax_step(apus_isa isa, float *scores, int count, float *maximum, float *sum);

/// Atomically stores `value` at `word` (release order), for a value other threads watch with
/// apus_spin_until_changed.
void apus_atomic_store_u64(uint64_t *word, uint64_t value);

/// Spins (with the CPU's pause hint) until `*word` differs from `seen` or `seconds` have passed; returns 1 if it
/// changed. Bounded, so an idle pool goes back to sleeping.
int apus_spin_until_changed(const uint64_t *word, uint64_t seen, double seconds);

/// Runs 64 × `iterations` dependent integer additions (one cycle each), so cycles / seconds is the clock the
/// core runs at. Returns a value the caller must keep (0 where no probe exists for the architecture).
long apus_probe_dependent_adds(long iterations);

/// Runs `iterations` rounds of 16 independent fp32 FMA chains on `isa`'s widest vectors and returns the
/// floating-point operations performed (2 per lane per FMA); `sink` receives a result to keep.
double apus_probe_fma_flops(apus_isa isa, long iterations, float *sink);

#ifdef __cplusplus
}
#endif

#endif
