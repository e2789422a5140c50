/*
 * qgemm.h — y = x · dequant(W)^T + bias for quantised weights (qmat.h gives
 * the exact arithmetic), with run-time dispatch: AVX-512 VNNI
 * (vpdpbusd), AVX2 (vpmaddubsw), WebAssembly SIMD128 (i32x4.dot_i16x8_s),
 * portable C.
 *
 * The activations are quantised once per call into a workspace (per row and
 * weight group, int8), then every kernel multiplies int8 activations with
 * the unsigned 8/4/2-bit codes unpacked in registers, accumulating int32
 * per group and float across groups.
 */
#ifndef IA_BACKENDS_CPU_QGEMM_H
#define IA_BACKENDS_CPU_QGEMM_H

#include <stddef.h>

#include "backends/cpu/gemm.h"
#include "backends/cpu/qmat.h"
#include "util/threadpool.h"

typedef struct ia_qgemm_impl ia_qgemm_impl;

/* The best variant this CPU runs, capped by `max_kernel` ("generic",
 * "wasm_simd128", "avx2", "avx512"; NULL = no cap), as gemm_kernels.h
 * does for sgemm.
 * IA_KERNEL in the environment caps it too. Never NULL. */
const ia_qgemm_impl *ia_qgemm_pick(const char *max_kernel);
const char *ia_qgemm_impl_name(const ia_qgemm_impl *impl); /* "avx512-vnni", "avx2", "wasm_simd128", "generic" */

/* Bytes of workspace ia_qgemm needs for m rows of this matrix. */
size_t ia_qgemm_workspace_size(const ia_qmat *w, int m);

/* y[m][n] = x[m][k] · dequant(w)^T + bias (bias may be NULL), then
 * epilogue(row, row, len) over finished row segments (NULL: none).
 * ws: at least ia_qgemm_workspace_size(w, m) bytes, 64-byte aligned.
 * pool may be NULL (caller's thread only); max_threads caps the threads
 * taking part (0: the whole pool). */
void ia_qgemm(const ia_qgemm_impl *impl, ia_pool *pool, int max_threads, const ia_qmat *w, int m, const float *x,
              int ldx, const float *bias, float *y, int ldy, ia_gemm_epilogue epilogue, void *ws);

#endif
