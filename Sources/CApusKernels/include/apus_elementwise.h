// Element-wise and row-wise kernels: activations, softmax, LayerNorm and RMSNorm, each with AVX-512, AVX2 + FMA
// and portable versions chosen by an apus_isa argument (see apus_kernels.h for why these live in C).
//
// Every function is pure apart from its output, allocates nothing and may be called from any thread, so the
// matrix-product kernel can call apus_activation_rows on a finished output tile while it is still in L1.
// Accuracy (checked per ISA against Double references by ApusTensorTests): exp ≤ 0.9 ulp with FMA (≤ 1.2 ulp
// portable) where the result is a normal float; erf- and tanh-GELU within 2.5e-7·|y| + 2e-7 of exact.
#ifndef APUS_ELEMENTWISE_H
#define APUS_ELEMENTWISE_H

#include "apus_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/// Activation functions, as transformers' ACT2FN names them (see Activations.swift for the mapping).
typedef enum {
    APUS_ACTIVATION_NONE = 0,       ///< identity: lets a caller pass "no epilogue" through the same path
    APUS_ACTIVATION_GELU_ERF = 1,   ///< x·Φ(x) = ½x(1 + erf(x/√2))  (`gelu`)
    APUS_ACTIVATION_GELU_TANH = 2,  ///< ½x(1 + tanh(√(2/π)(x + 0.044715x³)))  (`gelu_new`, `gelu_pytorch_tanh`)
    APUS_ACTIVATION_QUICK_GELU = 3, ///< x·sigmoid(1.702x)  (`quick_gelu`)
    APUS_ACTIVATION_RELU = 4,       ///< max(0, x); NaN stays NaN
    APUS_ACTIVATION_SILU = 5,       ///< x·sigmoid(x)  (`silu`, `swish`)
} apus_activation;

/// Applies `activation` in place to y[rows, cols] with row stride ldy; the ldy - cols floats after each row
/// are not touched, so y can be a tile of a wider matrix.
void apus_activation_rows(apus_isa isa, apus_activation activation, float *y, int ldy, int rows, int cols);

/// y[i] = e^x[i] for `count` floats (y may equal x). Results below the smallest normal float (x < -87.3365)
/// are 0 rather than denormal — denormal probabilities would only slow the products that consume them —
/// x > 88.7228 gives +inf, NaN stays NaN.
void apus_exp(apus_isa isa, const float *x, float *y, int count);

/// Softmax of each row of x[rows, width] (row stride ldx), in place: the row maximum is subtracted first, so
/// large logits do not overflow; -inf entries (masked positions) become 0 and a row of only -inf becomes
/// zeros, not NaN. A NaN anywhere in a row makes the whole row NaN, as in PyTorch.
void apus_softmax_rows(apus_isa isa, float *x, int ldx, int rows, int width);

/// Softmax of scale·x (scale > 0, e.g. 1/√headSize applied to raw scores) over the first valid_columns[r]
/// entries of each row r, with entries past them set to 0: a causal mask without writing -inf first.
/// valid_columns may be NULL (every column valid); counts are clamped to [0, width], and a row with none
/// becomes zeros.
void apus_softmax_rows_masked(apus_isa isa, float *x, int ldx, int rows, int width, float scale,
                              const int *valid_columns);

/// out[r] = LayerNorm(x[r] (+ residual[r])) for contiguous rows of `width` floats, as torch.nn.LayerNorm:
/// (v - mean) / sqrt(var + ε) · γ (+ β), with the biased variance. residual and beta may be NULL. out may
/// alias x or residual. The mean is taken in two passes (a first estimate, then the mean of the deviations
/// from it), so rows with a large common offset keep full precision in fp32.
void apus_layer_norm_rows(apus_isa isa, const float *x, const float *residual, int rows, int width,
                          const float *gamma, const float *beta, float epsilon, float *out);

/// out[r] = x[r] / sqrt(mean(x[r]²) + ε) · (weight + weight_offset), as LlamaRMSNorm (weight_offset 0) or
/// Gemma's (1 + w) form (weight_offset 1). out may alias x.
void apus_rms_norm_rows(apus_isa isa, const float *x, int rows, int width, const float *weight,
                        float weight_offset, float epsilon, float *out);

#ifdef __cplusplus
}
#endif

#endif
