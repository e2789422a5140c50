/*
 * qgemm.c — the quantised-weight GEMM driver: variant dispatch, workspace
 * layout, threading, row chunking and the epilogue (contracts in qgemm.h).
 * Portable C: the ISA lives in the kernels (qgemm_kernels.h).
 *
 * Workspace (64-byte aligned sections, sizes by ia_qgemm_workspace_size):
 *   xq  [m][k]      int8 activation codes, rows contiguous so a micro-tile's
 *                   broadcasts walk MR short streams
 *   sa  [m][groups] float scales
 *   sas [m][groups] float sa · Σ codes (the m·S term, premultiplied)
 *
 * Work is cut into row chunks of CHUNK_ROWS; one chunk is quantised, then
 * multiplied by the task's column range, then handed to the epilogue while
 * it is still in cache. Threads:
 *   - many rows (m ≥ ROW_SPLIT_MIN_M): one task per row chunk, all columns;
 *     each thread quantises the rows it multiplies (one pool run), keeps
 *     the whole packed matrix in its own L2, and the atomic task counter
 *     balances a shared, noisy machine;
 *   - few rows: the columns are split across threads in 16-channel blocks
 *     (each thread streams its share of the weights once); the rows are
 *     quantised first, by their own pool run, since every column task
 *     reads all of them.
 * Each output element is computed by the same instruction sequence however
 * the work is split, so results do not depend on the thread count.
 */
#include "backends/cpu/qgemm.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backends/cpu/cpu_features.h"
#include "backends/cpu/qgemm_kernels.h"

/* Rows per chunk. Big enough that a column tile's codes (64 channels × k)
 * are reused from L1 by many row tiles, small enough that the chunk's
 * activation codes (CHUNK_ROWS × k bytes: 48 KiB at k = 384, 192 KiB at
 * k = 1536) stay in L2 while the weights stream past them.
 * Measured on Sapphire Rapids, see bench/qgemm_bench.c. */
#define CHUNK_ROWS 120

/* Below this many multiply-adds a call runs on the caller's thread: waking
 * the pool costs a few µs, about what 2^20 int8 MACs take on one core. */
#define PARALLEL_MIN_MACS (1 << 20)

/* From this many rows per thread the rows are split rather than the
 * columns: then every thread has chunks of its own to balance with. */
#define ROW_SPLIT_MIN_M (2 * CHUNK_ROWS)

/* Rows per task when only quantising (the column-split path's first run). */
#define QUANT_ROWS 32

#define WS_ALIGN 64

typedef struct qgemm_job {
    const ia_qgemm_impl *impl;
    const ia_qmat *w;
    int m, n, k, group, groups;
    const float *x;
    size_t ldx, ldy;
    const float *bias;
    float *y;
    ia_gemm_epilogue epilogue;
    int8_t *xq;
    float *sa, *sas;
    int tn;         /* column ranges; row chunks are tasks / tn */
    int quantized;  /* 1: rows were quantised by an earlier pool run */
} qgemm_job;

static size_t round_ws(size_t x) { return (x + WS_ALIGN - 1) / WS_ALIGN * WS_ALIGN; }

size_t ia_qgemm_workspace_size(const ia_qmat *w, int m) {
    size_t rows = m > 0 ? (size_t)m : 0;
    return round_ws(rows * (size_t)w->k) + 2 * round_ws(rows * (size_t)w->groups * sizeof(float));
}

/* Quantises rows [r0, r1) into the workspace. */
static void quantize_rows(const qgemm_job *j, int r0, int r1) {
    j->impl->quantize(r1 - r0, j->k, j->group, j->x + (size_t)r0 * j->ldx, j->ldx,
                      j->xq + (size_t)r0 * (size_t)j->k, j->sa + (size_t)r0 * (size_t)j->groups,
                      j->sas + (size_t)r0 * (size_t)j->groups);
}

static void quantize_task(void *ctx, int task, int thread) {
    const qgemm_job *j = ctx;
    int r0 = task * QUANT_ROWS, r1 = r0 + QUANT_ROWS < j->m ? r0 + QUANT_ROWS : j->m;
    (void)thread;
    quantize_rows(j, r0, r1);
}

/* One row chunk × one column range: quantise (unless done), multiply,
 * epilogue. */
static void gemm_task(void *ctx, int task, int thread) {
    const qgemm_job *j = ctx;
    int chunk = task / j->tn, tj = task % j->tn;
    int blocks = (j->n + IA_QMAT_BLOCK - 1) / IA_QMAT_BLOCK;
    int j0 = (int)((int64_t)blocks * tj / j->tn) * IA_QMAT_BLOCK;
    int j1 = (int)((int64_t)blocks * (tj + 1) / j->tn) * IA_QMAT_BLOCK;
    int r0 = chunk * CHUNK_ROWS, r1 = r0 + CHUNK_ROWS < j->m ? r0 + CHUNK_ROWS : j->m;
    (void)thread;
    if (j1 > j->n) j1 = j->n;
    if (j0 >= j1 || r0 >= r1) return;
    if (!j->quantized) quantize_rows(j, r0, r1);
    j->impl->gemm(j->w, r1 - r0, j->xq + (size_t)r0 * (size_t)j->k,
                  j->sa + (size_t)r0 * (size_t)j->groups, j->sas + (size_t)r0 * (size_t)j->groups,
                  j0, j1, j->bias, j->y + (size_t)r0 * j->ldy, j->ldy);
    if (j->epilogue)
        for (int r = r0; r < r1; r++) {
            float *row = j->y + (size_t)r * j->ldy + j0;
            j->epilogue(row, row, (size_t)(j1 - j0));
        }
}

void ia_qgemm(const ia_qgemm_impl *impl, ia_pool *pool, const ia_qmat *w, int m, const float *x,
              int ldx, const float *bias, float *y, int ldy, ia_gemm_epilogue epilogue, void *ws) {
    qgemm_job j;
    int threads = ia_pool_size(pool), chunks, blocks;
    uintptr_t p = (uintptr_t)ws;

    if (m <= 0) return;
    memset(&j, 0, sizeof j);
    j.impl = impl;
    j.w = w;
    j.m = m, j.n = (int)w->n, j.k = (int)w->k, j.group = (int)w->group;
    j.groups = (int)w->groups;
    j.x = x, j.ldx = (size_t)ldx;
    j.bias = bias, j.y = y, j.ldy = (size_t)ldy;
    j.epilogue = epilogue;
    j.xq = (int8_t *)p;
    p += round_ws((size_t)m * (size_t)j.k);
    j.sa = (float *)p;
    p += round_ws((size_t)m * (size_t)j.groups * sizeof(float));
    j.sas = (float *)p;

    chunks = (m + CHUNK_ROWS - 1) / CHUNK_ROWS;
    blocks = (j.n + IA_QMAT_BLOCK - 1) / IA_QMAT_BLOCK;
    j.tn = 1;
    if (threads < 2 || (int64_t)m * j.n * j.k < PARALLEL_MIN_MACS) {
        for (int c = 0; c < chunks; c++) gemm_task(&j, c, 0);
        return;
    }
    if (m < ROW_SPLIT_MIN_M * threads || chunks < threads) {
        /* few rows: quantise them all first, then split the columns */
        j.tn = threads < blocks ? threads : blocks;
        if ((int64_t)m * j.k >= PARALLEL_MIN_MACS / 64)
            ia_pool_run(pool, (m + QUANT_ROWS - 1) / QUANT_ROWS, quantize_task, &j);
        else
            quantize_rows(&j, 0, m);
        j.quantized = 1;
    }
    ia_pool_run(pool, chunks * j.tn, gemm_task, &j);
}

/* ---- dispatch ---------------------------------------------------------- */

/* Best first; a cap names a starting point in this list. "avx512" is the
 * sgemm spelling (IA_KERNEL is shared with it) and means the VNNI variant. */
static const char *const variant_names[] = {"avx512-vnni", "avx2", "generic"};

static const ia_qgemm_impl *variant(int i) {
    ia_cpu_features f = ia_cpu_features_get();
    switch (i) {
    case 0: /* the file is built with F/BW/VL/DQ/VNNI + AVX2/FMA/F16C flags,
             * and the compiler may use any of them, so all are required */
        if (f.avx512f && f.avx512bw && f.avx512vl && f.avx512dq && f.avx512vnni && f.avx2 &&
            f.fma && f.f16c)
            return ia_qgemm_impl_vnni();
        return NULL;
    case 1:
        if (f.avx2 && f.fma && f.f16c) return ia_qgemm_impl_avx2();
        return NULL;
    default:
        return ia_qgemm_impl_generic();
    }
}

/* Index in variant_names of a cap (0 = no cap for unknown names/NULL). */
static int cap_index(const char *name) {
    if (!name) return 0;
    if (strcmp(name, "avx512") == 0) return 0;
    for (int i = 0; i < 3; i++)
        if (strcmp(name, variant_names[i]) == 0) return i;
    return 0;
}

const ia_qgemm_impl *ia_qgemm_pick(const char *max_kernel) {
    int a = cap_index(max_kernel), b = cap_index(getenv("IA_KERNEL"));
    for (int i = a > b ? a : b; i < 3; i++) {
        const ia_qgemm_impl *impl = variant(i);
        if (impl) return impl;
    }
    return ia_qgemm_impl_generic(); /* not reached: generic always exists */
}

const char *ia_qgemm_impl_name(const ia_qgemm_impl *impl) { return impl->name; }
