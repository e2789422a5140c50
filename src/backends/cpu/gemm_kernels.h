/*
 * gemm_kernels.h — private interface between the sgemm driver (gemm.c) and
 * its per-ISA kernels (gemm_avx512.c, gemm_avx2.c, gemm_wasm_simd128.c,
 * gemm_generic.c).
 *
 * The driver owns blocking and threading; a kernel variant supplies the two
 * inner loops that depend on the vector width:
 *   pack_b  copies one kc × nc block of op(B) into panels of `nr` columns,
 *           the layout its micro-kernel streams;
 *   block   multiplies m rows of A by one packed block into C.
 * Each variant is reached through a getter that returns NULL when the file
 * was compiled for a target without that ISA (x86 kernels on wasm32 or arm64,
 * the SIMD128 one off wasm32 or without -msimd128), so gemm.c never
 * names an ISA symbol that might not exist. Whether the *running* CPU has
 * the ISA is the driver's question (cpu_features.h), not the kernel's.
 */
#ifndef IA_BACKENDS_CPU_GEMM_KERNELS_H
#define IA_BACKENDS_CPU_GEMM_KERNELS_H

#include "backends/cpu/gemm.h"
#include "ipfs_accelerate.h"

typedef struct ia_sgemm_impl {
    const char *name; /* "avx512", "avx2", "wasm_simd128", "generic" */
    int mr;           /* rows per micro-tile */
    int nr;           /* columns per packed panel (and per micro-tile) */

    /* Packs op(B)[0..kc)[0..nc) into Bp as ceil(nc/nr) panels, panel q
     * holding Bp[q*kc*nr + p*nr + jj] = op(B)[p][q*nr + jj], columns past
     * nc zero. B points at the block's first element: trans_b=1 reads
     * B[j*ldb + p], trans_b=0 reads B[p*ldb + j]. Bp is 64-byte aligned. */
    void (*pack_b)(int trans_b, int kc, int nc, const float *B, int ldb, float *Bp);

    /* C[i][j] = (accumulate ? C[i][j] : bias ? bias[j] : 0)
     *           + sum_p A[i*lda + p] * op(B)[p][j]   for i < m, j < nc,
     * op(B) given packed by pack_b with the same kc and nc. Writes nothing
     * outside those m × nc elements of C and reads nothing outside A's
     * m × kc elements. */
    void (*block)(int m, int nc, int kc, const float *A, int lda, const float *Bp,
                  const float *bias, float *C, int ldc, int accumulate);

    /* Optional (NULL when absent): the small-m, trans_b = 1 path without
     * packing. C[i][j] = (accumulate ? C[i][j] : bias ? bias[j] : 0)
     *                    + sum_{p<kc} A[i*lda + p] * B[j*ldb + p]
     * for i < m, j < n: dot products along k, straight from the weight
     * rows. Same bounds guarantees as block. */
    void (*dot_bt)(int m, int n, int kc, const float *A, int lda, const float *B, int ldb,
                   const float *bias, float *C, int ldc, int accumulate);

    /* Optional (NULL when absent): the mid-m, trans_b = 1 path that packs
     * A instead of the weights. At is A's m × kc block packed by
     * pack_b(1, kc, m, A, lda, At) — A's rows play the panel columns — and
     * the weight rows are read in place:
     *   C[i][j] = (accumulate ? C[i][j] : bias ? bias[j] : 0)
     *             + sum_{p<kc} At(i, p) * B[j*ldb + p]   for i < m, j < n. */
    void (*block_t)(int m, int n, int kc, const float *At, const float *B, int ldb,
                    const float *bias, float *C, int ldc, int accumulate);
} ia_sgemm_impl;

/* ---- weights packed once (gemm_packed.c) ---- */

typedef struct ia_sgemm_packed ia_sgemm_packed;

/* B [n, k] (row stride ldb: a linear layer's weight, trans_b = 1) packed
 * for impl's kernels; free with ia_sgemm_packed_free. */
ia_status ia_sgemm_pack(const ia_sgemm_impl *impl, int n, int k, const float *B, int ldb, ia_sgemm_packed **out);
void ia_sgemm_packed_free(ia_sgemm_packed *p); /* NULL-safe */
const ia_sgemm_impl *ia_sgemm_packed_impl(const ia_sgemm_packed *p);
size_t ia_sgemm_packed_bytes(const ia_sgemm_packed *p);

/* C[m, n] = A[m, k] · Bᵀ (+ bias), then epilogue on finished segments, with
 * B packed by ia_sgemm_pack; at most max_threads threads of pool (NULL:
 * the caller's only). */
void ia_sgemm_prepacked(const ia_sgemm_packed *p, ia_pool *pool, int max_threads, int m, const float *A, int lda,
                        const float *bias, float *C, int ldc, ia_gemm_epilogue epilogue);

/* NULL when the file was built without the ISA (non-x86 targets; for
 * wasm_simd128, anything but wasm32 with -msimd128). */
const ia_sgemm_impl *ia_sgemm_impl_avx512(void);
const ia_sgemm_impl *ia_sgemm_impl_avx2(void);
const ia_sgemm_impl *ia_sgemm_impl_wasm_simd128(void);
const ia_sgemm_impl *ia_sgemm_impl_generic(void);

/* The variant called `name` if this build has it and this CPU can run it,
 * else NULL. For tests and benchmarks that force each variant. */
const ia_sgemm_impl *ia_sgemm_impl_find(const char *name);

/* Position of a variant name in the dispatch order, best first (0 =
 * "avx512" ... "generic" last); unknown names rank after generic. The CPU
 * backend compares two picks with it. */
int ia_sgemm_impl_rank(const char *name);

/* The dispatcher's choice for an IA_KERNEL value `request` (NULL or an
 * unknown name: the best this CPU runs; a known name: that variant, or the
 * next lower one the CPU runs — never a higher one). Never NULL. */
const ia_sgemm_impl *ia_sgemm_impl_pick(const char *request);

/* ia_sgemm() with an explicit variant instead of the dispatcher's pick. */
void ia_sgemm_with(const ia_sgemm_impl *impl, ia_pool *pool, int max_threads, int trans_b, int m, int n,
                   int k, const float *A, int lda, const float *B, int ldb,
                   const float *bias, float *C, int ldc,
                   ia_gemm_epilogue epilogue);

#endif
