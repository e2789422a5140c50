/*
 * gemm_packed.c — linear layers with the weights packed once, when a model
 * prepares them, into the panel layout of the GEMM micro-kernels
 * (gemm_kernels.h: pack_b), as ONNX Runtime's MLAS prepacks.
 *
 * Why: packing a weight block costs about as much memory traffic as
 * multiplying ~16 rows by it. Per call that is amortised on 2 threads, but
 * with 16 threads each row task packed its own copy of the whole weight, so
 * 16 copies per layer; on 16 cores the linear layers stopped scaling at 8
 * threads. Packed once, any thread reads any column range: the task grid
 * splits rows into tasks of at least ROWS_PER_TASK and the columns among
 * the threads left, with no packing at all.
 *
 * Layout: the weight [n, k] (trans_b = 1) in blocks of NC columns × KC
 * depth, block (jb, pb) packed by impl->pack_b at off[jb * nb_k + pb]; a
 * range of panels starting at column c of a block begins (c − jc) · kc
 * floats into it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backends/cpu/gemm.h"
#include "backends/cpu/gemm_kernels.h"
#include "util/error.h"

#define KC 384 /* as gemm.c's KC_MAX: MiniLM's hidden size in one block */
#define NC 512
#define ALIGN 64

/* Rows a task gets at least when there are enough: a micro-tile reuses a
 * packed panel for up to 14 rows, so fewer rows per task would read the
 * weights more often than they compute with them. */
#define ROWS_PER_TASK 128

/* Below this many multiply-adds a call stays on the caller's thread. */
#define PARALLEL_MIN_FMAS (1 << 18)

struct ia_sgemm_packed {
    const ia_sgemm_impl *impl;
    int n, k, nc, kc, nb_n, nb_k;
    size_t *off;  /* [nb_n * nb_k] floats into data */
    float *data;
    size_t bytes;
};

static int imin(int a, int b) { return a < b ? a : b; }
static int ceil_div(int a, int b) { return (a + b - 1) / b; }

/* The fewest blocks of at most max, evened out, rounded up to `to`. */
static int even_block(int len, int max, int to) {
    int nb = ceil_div(len, max), b = ceil_div(ceil_div(len, nb), to) * to;
    return b < max ? b : max;
}

ia_status ia_sgemm_pack(const ia_sgemm_impl *impl, int n, int k, const float *B, int ldb, ia_sgemm_packed **out) {
    ia_sgemm_packed *p;
    size_t total = 0;
    *out = NULL;
    if (n < 1 || k < 1 || !B) return ia_error(IA_ERR_INVALID_ARG, "sgemm_pack: %d x %d", n, k);
    if (!(p = calloc(1, sizeof *p))) return ia_error(IA_ERR_NOMEM, "packed weights");
    p->impl = impl;
    p->n = n, p->k = k;
    p->nc = even_block(n, NC, impl->nr);
    p->kc = even_block(k, KC, 16);
    p->nb_n = ceil_div(n, p->nc);
    p->nb_k = ceil_div(k, p->kc);
    if (!(p->off = malloc((size_t)p->nb_n * (size_t)p->nb_k * sizeof *p->off))) goto nomem;
    for (int jb = 0; jb < p->nb_n; jb++)
        for (int pb = 0; pb < p->nb_k; pb++) {
            int ncb = imin(p->nc, n - jb * p->nc), kcb = imin(p->kc, k - pb * p->kc);
            p->off[jb * p->nb_k + pb] = total;
            total += (size_t)ceil_div(ncb, impl->nr) * (size_t)impl->nr * (size_t)kcb;
        }
    p->bytes = total * sizeof(float);
    if (posix_memalign((void **)&p->data, ALIGN, p->bytes ? p->bytes : ALIGN) != 0) {
        p->data = NULL;
        goto nomem;
    }
    for (int jb = 0; jb < p->nb_n; jb++)
        for (int pb = 0; pb < p->nb_k; pb++) {
            int jc = jb * p->nc, pc = pb * p->kc;
            impl->pack_b(1, imin(p->kc, k - pc), imin(p->nc, n - jc), B + (size_t)jc * ldb + pc, ldb,
                         p->data + p->off[jb * p->nb_k + pb]);
        }
    *out = p;
    return IA_OK;
nomem:
    ia_sgemm_packed_free(p);
    return ia_error(IA_ERR_NOMEM, "packed weights of %d x %d", n, k);
}

void ia_sgemm_packed_free(ia_sgemm_packed *p) {
    if (!p) return;
    free(p->data);
    free(p->off);
    free(p);
}

const ia_sgemm_impl *ia_sgemm_packed_impl(const ia_sgemm_packed *p) { return p->impl; }
size_t ia_sgemm_packed_bytes(const ia_sgemm_packed *p) { return p->bytes; }

typedef struct packed_job {
    const ia_sgemm_packed *p;
    int m, tm, tn, units;
    const float *A, *bias;
    float *C;
    int lda, ldc;
    ia_gemm_epilogue epilogue;
} packed_job;

static void packed_task(void *ctx, int task, int thread) {
    const packed_job *j = ctx;
    const ia_sgemm_packed *p = j->p;
    int ti = task / j->tn, tj = task % j->tn, nr = p->impl->nr;
    int m0 = (int)((int64_t)j->m * ti / j->tm), m1 = (int)((int64_t)j->m * (ti + 1) / j->tm);
    int n0 = imin(p->n, j->units * tj / j->tn * nr), n1 = imin(p->n, j->units * (tj + 1) / j->tn * nr);
    (void)thread;
    if (m0 >= m1 || n0 >= n1) return;
    for (int jb = n0 / p->nc; jb < p->nb_n && jb * p->nc < n1; jb++) {
        int jc = jb * p->nc, cs = n0 > jc ? n0 : jc, ce = imin(n1, imin(jc + p->nc, p->n));
        for (int pb = 0; pb < p->nb_k; pb++) {
            int pc = pb * p->kc, kcb = imin(p->kc, p->k - pc);
            const float *bp = p->data + p->off[jb * p->nb_k + pb] + (size_t)(cs - jc) * (size_t)kcb;
            p->impl->block(m1 - m0, ce - cs, kcb, j->A + (size_t)m0 * j->lda + pc, j->lda, bp,
                           j->bias ? j->bias + cs : NULL, j->C + (size_t)m0 * j->ldc + cs, j->ldc, pb > 0);
        }
        if (j->epilogue) /* the columns are complete and still in cache */
            for (int i = m0; i < m1; i++) {
                float *c = j->C + (size_t)i * j->ldc + cs;
                j->epilogue(c, c, (size_t)(ce - cs));
            }
    }
}

void ia_sgemm_prepacked(const ia_sgemm_packed *p, ia_pool *pool, int max_threads, int m, const float *A, int lda,
                        const float *bias, float *C, int ldc, ia_gemm_epilogue epilogue) {
    packed_job j;
    int threads = pool ? ia_pool_size(pool) : 1;
    if (max_threads > 0 && max_threads < threads) threads = max_threads;
    if (m <= 0) return;
    memset(&j, 0, sizeof j);
    j.p = p, j.m = m, j.A = A, j.lda = lda, j.bias = bias, j.C = C, j.ldc = ldc, j.epilogue = epilogue;
    j.units = ceil_div(p->n, p->impl->nr);
    j.tm = j.tn = 1;
    if (threads > 1 && (int64_t)m * p->n * p->k >= PARALLEL_MIN_FMAS) {
        /* rows first, in tasks of at least ROWS_PER_TASK; the threads left
         * split the columns (panels) */
        j.tm = imin(threads, m / ROWS_PER_TASK > 1 ? m / ROWS_PER_TASK : 1);
        j.tn = imin(j.units, ceil_div(threads, j.tm));
    }
    if (j.tm * j.tn == 1) packed_task(&j, 0, 0);
    else ia_pool_run_n(pool, j.tm * j.tn, threads, packed_task, &j);
}
