/*
 * quantize.h — float weights → quantised codes (qmat.h's arithmetic), and
 * the conversions between that plain form and what files store.
 *
 * Scale choice: per row and group, the quantiser searches a clip ratio
 * (how much of the group's range the code range covers) that minimises the
 * importance-weighted squared error
 *
 *     Σ_k imp[k] · (w[k] − ŵ[k])²
 *
 * where imp[k] is the mean square of input k over calibration activations
 * (E[x_k²]: the diagonal of the layer's input second moment, so error on
 * inputs that carry large activations costs more) — or 1 for every k when
 * no calibration is given. Ratio 1 (no clipping) is always a candidate, so
 * the search never does worse than plain min/max scaling on that measure.
 */
#ifndef IA_QUANT_QUANTIZE_H
#define IA_QUANT_QUANTIZE_H

#include <stdint.h>

#include "tensor/blocks.h"
#include "tensor/qweights.h"

typedef enum ia_quant_scheme {
    IA_QUANT_SYMMETRIC = 0,  /* levels symmetric around 0 (m = -d·2^(bits-1), or -1.5 d at 2 bits) */
    IA_QUANT_ASYMMETRIC = 1, /* d = (max - min) / (2^bits - 1), m = min, per group */
} ia_quant_scheme;

typedef struct ia_quant_params {
    int bits;               /* 8, 4, 2 */
    ia_quant_scheme scheme;
    int64_t group;          /* divides k; k = per channel */
    const float *importance;/* [k] E[x_k^2] from calibration, or NULL */
    int clip_search;        /* 1: search clip ratios; 0: plain min/max (ggml's reference rules) */
    int fp16_scales;        /* 1: d and m rounded to fp16 before the codes are chosen
                               (required to store as q8_0/q4_0/q4_1) */
} ia_quant_params;

/* Quantises w [n][k] (row-major floats) into out (allocated here; release
 * with ia_qweights_free). IA_ERR_INVALID_ARG on a bad combination. */
ia_status ia_quantize_weights(const float *w, int64_t n, int64_t k, const ia_quant_params *p,
                              ia_qweights *out);

/* Importance-weighted relative error of a quantisation:
 * Σ imp·(w−ŵ)² / Σ imp·w² over the whole matrix (imp = 1 if NULL). */
double ia_quant_error(const float *w, const ia_qweights *q, const float *importance);

#endif
