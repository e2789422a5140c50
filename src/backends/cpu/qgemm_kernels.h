/*
 * qgemm_kernels.h — private interface between the qgemm driver (qgemm.c)
 * and its per-ISA kernels (qgemm_vnni.c, qgemm_avx2.c, qgemm_wasm_simd128.c,
 * qgemm_generic.c).
 *
 * The driver owns threading, row chunking and the epilogue; a variant
 * supplies the two loops whose speed depends on the ISA: quantising
 * activation rows into the workspace, and multiplying a chunk of quantised
 * rows by a range of the packed matrix (layout in quant/qmat_layout.h).
 * As for sgemm (gemm_kernels.h), each variant is reached through a getter
 * that returns NULL when its file was compiled without the ISA, and the
 * driver asks cpu_features.h whether the running CPU has it.
 */
#ifndef IA_BACKENDS_CPU_QGEMM_KERNELS_H
#define IA_BACKENDS_CPU_QGEMM_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "backends/cpu/qgemm.h"
#include "backends/cpu/qmat_layout.h"

struct ia_qgemm_impl {
    const char *name; /* "avx512-vnni", "avx2", "wasm_simd128", "generic" */
    int mr;           /* rows per micro-tile (the driver's row chunks are multiples) */

    /* For rows r < m of x (row r at x + r*ldx, k floats): the int8 codes
     * into xq[r*k ..], and per group g (k / group of them) the scale
     * sa[r*groups + g] and sas[r*groups + g] = sa · Σ codes of the group,
     * exactly as qmat.h defines them (ia_qact_scale/_code). */
    void (*quantize)(int m, int k, int group, const float *x, size_t ldx, int8_t *xq,
                     float *sa, float *sas);

    /* y[r*ldy + j] = Σ_g sa·(d·Σ xq·q) + m·sas  (+ bias[j])  for r < m and
     * j in [j0, j1), from rows quantised by `quantize` (xq row stride k,
     * sa/sas row stride groups). j0 is a multiple of 16, j1 ≤ n. Writes
     * nothing else of y; reads xq/sa/sas of the m rows only. */
    void (*gemm)(const ia_qmat *w, int m, const int8_t *xq, const float *sa, const float *sas,
                 int j0, int j1, const float *bias, float *y, size_t ldy);
};

/* NULL when the file was built without the ISA (non-x86 targets; for
 * wasm_simd128, anything but wasm32 with -msimd128). */
const ia_qgemm_impl *ia_qgemm_impl_vnni(void);
const ia_qgemm_impl *ia_qgemm_impl_avx2(void);
const ia_qgemm_impl *ia_qgemm_impl_wasm_simd128(void);
const ia_qgemm_impl *ia_qgemm_impl_generic(void);

#endif
