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
 * Work is cut into row chunks of CHUNK_ROWS; a chunk is quantised, then
 * multiplied by the task's column range, then handed to the epilogue while
 * it is still in cache. One pool run per call, in one of two shapes:
 *   - row split (at least ROW_SPLIT_CHUNKS chunks per thread): tasks are
 *     ranges of whole chunks × all columns; each thread quantises the rows
 *     it multiplies and keeps the whole packed matrix in its own L2, and
 *     the atomic task counter balances a shared, noisy machine;
 *   - column split (fewer rows: a batch-1 sequence): tasks are ranges of
 *     16-channel blocks × all rows, so each thread streams only its share
 *     of the weights (the bottleneck at small m). Every task needs every
 *     row quantised, so each first claims QUANT_ROWS slices of rows from
 *     an atomic counter until none are left, then waits until all claimed
 *     slices are done. Nothing can deadlock: a task waits only for slices
 *     already being quantised by running threads. (A separate pool run for
 *     the quantisation cost one more wake-up, ~14 µs on the shared 2-vCPU
 *     test machine.)
 * Each output element is computed by the same instruction sequence however
 * the work is split, so results do not depend on the thread count.
 */
#include "backends/cpu/qgemm.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backends/cpu/cpu_features.h"
#include "backends/cpu/qgemm_kernels.h"

/* Rows per chunk: a multiple of the 6-row VNNI tile. Big enough that a
 * column tile's codes (64 channels × k) are reused by many row tiles,
 * small enough that the chunk's codes (72 × k bytes: 27 KiB at k = 384)
 * stay in L1/L2 while the weights stream past. On Sapphire Rapids 24–72
 * were within noise of each other, 120 and 240 up to 10 % slower at
 * n = 1536 (bench/qgemm_bench.c shapes, best of interleaved runs). */
#ifndef CHUNK_ROWS
#define CHUNK_ROWS 72
#endif

/* Below this many multiply-adds a call runs on the caller's thread. Two
 * threads win once half the work outlasts a pool run: W / 2R > O, with
 * R ≈ 600 G int8 MAC/s per Sapphire Rapids core and O ≈ 3 µs on an idle
 * machine (~14 µs, best of 2000, on the shared 2-vCPU one the kernels were
 * tuned on) gives W > 3.6 M. */
#define PARALLEL_MIN_MACS (1 << 22)

/* Row split from this many chunks per thread (fewer: column split). Two,
 * so the atomic counter can still move a chunk from a slow thread. */
#define ROW_SPLIT_CHUNKS 2

/* Row-split tasks per thread: a slow thread on a shared, noisy machine
 * claims fewer of them. */
#define TASKS_PER_THREAD 4

/* Rows per quantisation slice on the column-split path. */
#define QUANT_ROWS 16

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
    int chunks;           /* row chunks of CHUNK_ROWS */
    int tm, tn;           /* tasks: tm ranges of chunks × tn ranges of columns */
    int shared_rows;      /* column split: rows are quantised in slices first */
    int slices;           /* ... of QUANT_ROWS rows */
    atomic_int next_slice, done_slices;
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

/* Column split: quantise unclaimed slices, then wait for the rest. */
static void quantize_shared(qgemm_job *j) {
    int s;
    while ((s = atomic_fetch_add_explicit(&j->next_slice, 1, memory_order_relaxed)) < j->slices) {
        int r0 = s * QUANT_ROWS, r1 = r0 + QUANT_ROWS < j->m ? r0 + QUANT_ROWS : j->m;
        quantize_rows(j, r0, r1);
        atomic_fetch_add_explicit(&j->done_slices, 1, memory_order_release);
    }
    /* every slice is claimed; the unfinished ones are in progress on other
     * threads, a slice's worth of work (~1 µs) at most */
    while (atomic_load_explicit(&j->done_slices, memory_order_acquire) < j->slices) continue;
}

/* A range of row chunks × a range of columns: per chunk, quantise (unless
 * shared), multiply, epilogue. */
static void gemm_task(void *ctx, int task, int thread) {
    qgemm_job *j = ctx;
    int ti = task / j->tn, tj = task % j->tn;
    int blocks = (j->n + IA_QMAT_BLOCK - 1) / IA_QMAT_BLOCK;
    int j0 = (int)((int64_t)blocks * tj / j->tn) * IA_QMAT_BLOCK;
    int j1 = (int)((int64_t)blocks * (tj + 1) / j->tn) * IA_QMAT_BLOCK;
    int c0 = (int)((int64_t)j->chunks * ti / j->tm), c1 = (int)((int64_t)j->chunks * (ti + 1) / j->tm);
    (void)thread;
    if (j1 > j->n) j1 = j->n;
    if (j->shared_rows) quantize_shared(j);
    if (j0 >= j1) return;
    for (int c = c0; c < c1; c++) {
        int r0 = c * CHUNK_ROWS, r1 = r0 + CHUNK_ROWS < j->m ? r0 + CHUNK_ROWS : j->m;
        if (!j->shared_rows) quantize_rows(j, r0, r1);
        j->impl->gemm(j->w, r1 - r0, j->xq + (size_t)r0 * (size_t)j->k,
                      j->sa + (size_t)r0 * (size_t)j->groups,
                      j->sas + (size_t)r0 * (size_t)j->groups, j0, j1, j->bias,
                      j->y + (size_t)r0 * j->ldy, j->ldy);
        if (j->epilogue)
            for (int r = r0; r < r1; r++) {
                float *row = j->y + (size_t)r * j->ldy + j0;
                j->epilogue(row, row, (size_t)(j1 - j0));
            }
    }
}

void ia_qgemm(const ia_qgemm_impl *impl, ia_pool *pool, int max_threads, const ia_qmat *w, int m, const float *x,
              int ldx, const float *bias, float *y, int ldy, ia_gemm_epilogue epilogue, void *ws) {
    qgemm_job j;
    int threads = pool ? ia_pool_size(pool) : 1, blocks;
    if (max_threads > 0 && max_threads < threads) threads = max_threads;
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
    j.chunks = (m + CHUNK_ROWS - 1) / CHUNK_ROWS;
    j.tm = j.tn = 1;
    blocks = (j.n + IA_QMAT_BLOCK - 1) / IA_QMAT_BLOCK;
    atomic_init(&j.next_slice, 0);
    atomic_init(&j.done_slices, 0);

    if (threads < 2 || (int64_t)m * j.n * j.k < PARALLEL_MIN_MACS) {
        gemm_task(&j, 0, 0);
        return;
    }
    if (j.chunks >= ROW_SPLIT_CHUNKS * threads) {
        j.tm = j.chunks < TASKS_PER_THREAD * threads ? j.chunks : TASKS_PER_THREAD * threads;
    } else {
        j.tn = threads < blocks ? threads : blocks;
        j.shared_rows = 1;
        j.slices = (m + QUANT_ROWS - 1) / QUANT_ROWS;
    }
    ia_pool_run_n(pool, j.tm * j.tn, threads, gemm_task, &j);
}

/* ---- dispatch ---------------------------------------------------------- */

/* Best first; a cap names a starting point in this list. "avx512" is the
 * sgemm spelling (IA_KERNEL is shared with it) and means the VNNI variant.
 * An x86 build has the first two, a wasm32 build with -msimd128 the third. */
static const char *const variant_names[] = {"avx512-vnni", "avx2", "wasm_simd128", "generic"};
#define N_VARIANTS (int)(sizeof variant_names / sizeof *variant_names)

/* As in gemm.c: the ISA kernel files (qgemm_vnni.c, qgemm_avx2.c) are built
 * only for x86, so only x86 builds reference them; qgemm_wasm_simd128.c is
 * built everywhere and answers NULL without __wasm_simd128__. */
static const ia_qgemm_impl *variant(int i) {
    ia_cpu_features f = ia_cpu_features_get();
    (void)f; /* unread where no ISA kernel is built */
    switch (i) {
    case 0: /* the file is built with F/BW/VL/DQ/VNNI + AVX2/FMA/F16C flags,
             * and the compiler may use any of them, so all are required */
#if defined(__x86_64__) || defined(__i386__)
        if (f.avx512f && f.avx512bw && f.avx512vl && f.avx512dq && f.avx512vnni && f.avx2 &&
            f.fma && f.f16c)
            return ia_qgemm_impl_vnni();
#endif
        return NULL;
    case 1:
#if defined(__x86_64__) || defined(__i386__)
        if (f.avx2 && f.fma && f.f16c) return ia_qgemm_impl_avx2();
#endif
        return NULL;
    case 2:
        return ia_qgemm_impl_wasm_simd128();
    default:
        return ia_qgemm_impl_generic();
    }
}

/* Index in variant_names of a cap (0 = no cap for unknown names/NULL). */
static int cap_index(const char *name) {
    if (!name) return 0;
    if (strcmp(name, "avx512") == 0) return 0;
    for (int i = 0; i < N_VARIANTS; i++)
        if (strcmp(name, variant_names[i]) == 0) return i;
    return 0;
}

const ia_qgemm_impl *ia_qgemm_pick(const char *max_kernel) {
    int a = cap_index(max_kernel), b = cap_index(getenv("IA_KERNEL"));
    for (int i = a > b ? a : b; i < N_VARIANTS; i++) {
        const ia_qgemm_impl *impl = variant(i);
        if (impl) return impl;
    }
    return ia_qgemm_impl_generic(); /* not reached: generic always exists */
}

const char *ia_qgemm_impl_name(const ia_qgemm_impl *impl) { return impl->name; }
