/*
 * vec.h — row kernels of the CPU backend (softmax, GELU, layer norm, ...)
 * with run-time dispatch, like the GEMM: the portable versions are the
 * reference, the SIMD versions must agree with them to float rounding.
 */
#ifndef IA_BACKENDS_CPU_VEC_H
#define IA_BACKENDS_CPU_VEC_H

#include <stddef.h>

typedef struct ia_vec_ops {
    const char *name;
    /* x[0..n) = softmax(scale * x) in place. */
    void (*softmax)(float *x, int n, float scale);
    /* y[i] = x[i] * 0.5 * (1 + erf(x[i] / sqrt 2)); y may equal x. */
    void (*gelu)(float *y, const float *x, size_t n);
    /* y = (x + r - mean) / sqrt(var + eps) * g + b over one row of n;
     * r may be NULL. Two passes, biased variance (as torch.layer_norm). */
    void (*layer_norm)(float *y, const float *x, const float *r, const float *g,
                       const float *b, int n, float eps);
    /* y[i] = x[i] / (1 + e^−x[i]); y may equal x. */
    void (*silu)(float *y, const float *x, size_t n);
    /* y = (x + r) / sqrt(mean((x + r)²) + eps) · g over one row of n; r
     * and g may be NULL (as torch's LlamaRMSNorm in float32). */
    void (*rms_norm)(float *y, const float *x, const float *r, const float *g, int n, float eps);
    /* Σ a[i]·b[i] over n (a single-query attention score). */
    float (*dot)(const float *a, const float *b, int n);
    /* y[i] += a · x[i] over n (a single-query attention output). */
    void (*axpy)(float *y, float a, const float *x, int n);
} ia_vec_ops;

/* The portable variant, the reference in tests. */
const ia_vec_ops *ia_vec_ops_generic(void);

/* The AVX-512 variant, or NULL when the CPU lacks it (the same ISA set as
 * the AVX-512 GEMM). There is no AVX2 variant yet: the CPU backend uses
 * the portable one with its AVX2 GEMM. */
const ia_vec_ops *ia_vec_ops_avx512(void);

/* The WebAssembly SIMD128 variant (vec_wasm_simd128.c), or NULL in builds
 * other than wasm32 with -msimd128; the CPU backend uses it with the
 * wasm_simd128 GEMM. */
const ia_vec_ops *ia_vec_ops_wasm_simd128(void);

#endif
