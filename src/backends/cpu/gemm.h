/*
 * gemm.h — fp32 matrix multiply for the CPU backend, with run-time dispatch
 * between AVX-512, AVX2+FMA, WebAssembly SIMD128 and portable C kernels.
 *
 *   C[m,n] = A[m,k] · op(B) (+ bias[n])
 *   trans_b = 1: B is [n,k] row-major (a PyTorch nn.Linear weight, used in
 *                place from the file mapping), op(B) = B^T
 *   trans_b = 0: B is [k,n] row-major, op(B) = B
 * lda/ldb/ldc are row strides in elements. bias may be NULL.
 * pool may be NULL: then the caller's thread does all the work (attention
 * calls it that way from inside its own parallel tasks).
 */
#ifndef IA_BACKENDS_CPU_GEMM_H
#define IA_BACKENDS_CPU_GEMM_H

#include <stddef.h>

#include "util/threadpool.h"

void ia_sgemm(ia_pool *pool, int trans_b, int m, int n, int k,
              const float *A, int lda, const float *B, int ldb,
              const float *bias, float *C, int ldc);

/* A function applied in place to each finished row segment of C while it
 * is still in cache (e.g. GELU after the FFN's first linear layer). */
typedef void (*ia_gemm_epilogue)(float *y, const float *x, size_t n);

/* ia_sgemm, then epilogue(c, c, len) over every row segment of C (NULL: none). */
void ia_sgemm_ep(ia_pool *pool, int trans_b, int m, int n, int k,
                 const float *A, int lda, const float *B, int ldb,
                 const float *bias, float *C, int ldc, ia_gemm_epilogue epilogue);

/* Name of the kernel the dispatcher picked: "avx512", "avx2" (x86),
 * "wasm_simd128" (wasm32 built with -msimd128) or "generic".
 * IA_KERNEL=generic|wasm_simd128|avx2|avx512 in the environment forces a
 * lower one (a name this build lacks: the next one below it that it has). */
const char *ia_sgemm_kernel_name(void);

/* Plain triple loop, the reference the fast kernels are tested against. */
void ia_sgemm_reference(int trans_b, int m, int n, int k, const float *A, int lda,
                        const float *B, int ldb, const float *bias, float *C,
                        int ldc);

#endif
