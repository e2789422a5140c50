/*
 * gemm.c — the sgemm driver: kernel dispatch, path choice, cache blocking,
 * threading, and the reference triple loop (contracts in gemm.h).
 *
 * Three ways to run a call (plan() picks by shape):
 *
 *   PATH_PACK_B — large m, or trans_b = 0. GotoBLAS/MLAS loop nest with A
 *   read in place:
 *     task (m0..m1, n0..n1)                   one per pool thread
 *       for jc in n0..n1 step NC               B block of NC columns
 *         for pc in 0..k step KC               ... and KC depth
 *           pack op(B)[pc.., jc..] → scratch   per-thread, ≤ L2
 *           impl->block(rows m0..m1)           micro-tiles, A slice in L1
 *   Packing a weight block costs about as much L2 traffic as multiplying
 *   ~16 rows by it, so it only pays when m is large.
 *
 *   PATH_PACK_A — trans_b = 1, mid m (batch-1 sequences, attention Q·K^T):
 *   the roles flip. A^T (small) is packed once per KC block and the weight
 *   rows are broadcast straight from the file mapping (impl->block_t), so
 *   the weights are streamed once and never copied.
 *
 *   PATH_DOT — trans_b = 1, a dozen rows or so: plain dot products of A
 *   rows with weight rows (impl->dot_bt), nothing packed at all.
 *
 * Threads: the packed block is private to the task's thread, so threads
 * never wait on each other. Small-m paths split n only, so each thread
 * streams its own share of the weights; the packed-B path splits n first
 * and m when there are threads left.
 *
 * Weights are PyTorch [n,k] (trans_b = 1) used in place from the file
 * mapping; nothing is repacked at load time.
 */
#include "backends/cpu/gemm.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backends/cpu/cpu_features.h"
#include "backends/cpu/gemm_kernels.h"

/* KC: depth of one packed block. 384 = MiniLM's hidden size, so k = 384
 * runs in one block and k = 1536 in four; the A slice a micro-tile keeps
 * in L1 is then 14 rows × 384 × 4 B = 21 KiB of the 48 KiB L1D, and one
 * 32-wide B panel (48 KiB) streams from L2. Measured on Sapphire Rapids:
 * 256 and 512 were both within 2 % but no better. */
#define KC_MAX 384

/* NC: columns of one packed block; KC_MAX × 512 × 4 B = 768 KiB, well
 * inside a 2 MiB L2 (1 MiB on Skylake-SP still fits). */
#define NC_MAX 512

/* Below this many multiply-adds (m·n·k) a call runs on the caller's thread
 * only: waking the pool costs a few µs, about what 2^18 FMAs take on one
 * AVX-512 core. */
#define PARALLEL_MIN_FMAS (1 << 18)

/* Packed-B path: columns per n-task at least this many, else rows are
 * split instead. At m = 4096, n = 384 on 2 threads, splitting m (each
 * thread packs all 384 columns, its A slice meets 12 panels) ran 344
 * GFLOP/s against 323 for two 192-column halves (best of 5). */
#define TASK_MIN_COLS 384

/* Rows per packed-B row task when m is large: each task packs its own
 * copy of its weight columns, which 1024 rows amortise to ~1 %. */
#define TASK_ROWS 1024

/* trans_b = 1 calls with at most this many rows take the kernel's dot_bt
 * path (no packing) when it has one; so do 17..19 rows, where block_t
 * would leave over 40 % of its 16-lane vectors empty. Crossovers measured
 * on Sapphire Rapids with MiniLM shapes, weights cold (L3) and hot (L2):
 * m = 10 dot 92 vs block_t 74 GFLOP/s, m = 16 dot 104 vs 122. */
#define DOT_MAX_M 12

/* Depth of one dot_bt pass: the A rows (≤ 19 × 384 × 4 B = 29 KiB) and
 * 4 weight rows (6 KiB) stay in the 48 KiB L1D; k = 1536 runs as 4
 * passes. Measured: 256 and 512 were 5–15 % slower on the MiniLM shapes. */
#define DOT_KC 384

/* trans_b = 1 calls with more rows than DOT_MAX_M but at most this many
 * take block_t, packing A^T (≤ 256 × KC_MAX floats = 384 KiB per thread,
 * L2-resident) and reading the weights in place. Above it the packed-B
 * path's better reuse wins and packing the weights is amortised. */
#define PACK_A_MAX_M 256

/* Paths that split only n do so on multiples of 16 columns: a 64-byte line
 * of C is then written by one thread only. */
#define SPLIT_UNIT 16

/* Scratch is aligned for the kernels' aligned panel loads. */
#define SCRATCH_ALIGN 64

/* How a call is carried out (see gemm_kernels.h for the kernel side). */
typedef enum sgemm_path {
    PATH_PACK_B, /* pack weight blocks, A in place: large m, and trans_b = 0 */
    PATH_DOT,    /* dot_bt: tiny m, nothing packed */
    PATH_PACK_A, /* block_t: mid m, A^T packed, weights in place */
} sgemm_path;

typedef struct sgemm_job {
    const ia_sgemm_impl *impl;
    sgemm_path path;
    int trans_b, m, n, k;
    const float *A, *B, *bias;
    float *C;
    int lda, ldb, ldc;
    int kc, nc;      /* block sizes */
    int tm, tn;      /* task grid: tm row ranges × tn column ranges */
    int unit;        /* column ranges are split on multiples of this */
    float *scratch;  /* pool-size slices of `slice` floats */
    size_t slice;
    ia_gemm_epilogue epilogue; /* run on each finished block of C, or NULL */
} sgemm_job;

static int imin(int a, int b) { return a < b ? a : b; }

static int round_up(int x, int to) { return (x + to - 1) / to * to; }

/* Splits len into the fewest blocks of at most max, then evens them out
 * and rounds up to a multiple of `to` (k = 400 → 2 × 208, not 384 + 16). */
static int even_block(int len, int max, int to) {
    int nb = (len + max - 1) / max;
    int b = round_up((len + nb - 1) / nb, to);
    return b < max ? b : max;
}

static void run_task(void *ctx, int task, int thread) {
    const sgemm_job *j = ctx;
    const ia_sgemm_impl *impl = j->impl;
    int ti = task / j->tn, tj = task % j->tn;
    int units = (j->n + j->unit - 1) / j->unit;
    int m0 = (int)((int64_t)j->m * ti / j->tm), m1 = (int)((int64_t)j->m * (ti + 1) / j->tm);
    int n0 = imin(j->n, units * tj / j->tn * j->unit);
    int n1 = imin(j->n, units * (tj + 1) / j->tn * j->unit);
    float *buf = j->scratch ? j->scratch + (size_t)thread * j->slice : NULL; /* NULL: dot */
    const float *A = j->A + (size_t)m0 * j->lda;
    float *C = j->C + (size_t)m0 * j->ldc;
    if (m0 >= m1 || n0 >= n1) return;
    for (int jc = n0; jc < n1; jc += j->nc) {
        int nc = imin(j->nc, n1 - jc);
        const float *bias = j->bias ? j->bias + jc : NULL;
        for (int pc = 0; pc < j->k; pc += j->kc) {
            int kc = imin(j->kc, j->k - pc);
            const float *blk = j->trans_b ? j->B + (size_t)jc * j->ldb + pc
                                          : j->B + (size_t)pc * j->ldb + jc;
            switch (j->path) {
            case PATH_DOT:
                impl->dot_bt(m1 - m0, nc, kc, A + pc, j->lda, blk, j->ldb, bias, C + jc,
                             j->ldc, pc > 0);
                break;
            case PATH_PACK_A:
                impl->pack_b(1, kc, m1 - m0, A + pc, j->lda, buf);
                impl->block_t(m1 - m0, nc, kc, buf, blk, j->ldb, bias, C + jc, j->ldc, pc > 0);
                break;
            default:
                impl->pack_b(j->trans_b, kc, nc, blk, j->ldb, buf);
                impl->block(m1 - m0, nc, kc, A + pc, j->lda, buf, bias, C + jc, j->ldc,
                            pc > 0);
                break;
            }
        }
        if (j->epilogue) /* the block is complete and still in L2 */
            for (int i = 0; i < m1 - m0; i++) {
                float *c = C + (size_t)i * j->ldc + jc;
                j->epilogue(c, c, (size_t)nc);
            }
    }
}

/* The packing scratch of calls made from this thread, kept between calls:
 * with 16 pool threads a call needs 16 slices of up to 768 KiB, and a
 * fresh malloc per call was an mmap, page faults and an munmap for every
 * linear layer. Per calling thread, so sessions on different application
 * threads never share it; it only grows, and is freed when its thread
 * exits (a thread-specific key with a destructor: application threads come
 * and go). */
typedef struct scratch_block {
    void *mem;
    size_t cap;
} scratch_block;

#include "util/threads.h"
#if defined(IA_HAVE_PTHREADS)
#include <pthread.h>

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void scratch_free(void *p) {
    scratch_block *b = p;
    free(b->mem);
    free(b);
}

static void scratch_key_make(void) { pthread_key_create(&scratch_key, scratch_free); }

static scratch_block *thread_block(void) {
    scratch_block *b;
    pthread_once(&scratch_once, scratch_key_make);
    if ((b = pthread_getspecific(scratch_key)) == NULL && (b = calloc(1, sizeof *b)) != NULL &&
        pthread_setspecific(scratch_key, b) != 0) {
        free(b);
        b = NULL;
    }
    return b;
}
#else
static scratch_block *thread_block(void) {
    static scratch_block b;
    return &b;
}
#endif

static void *call_scratch(size_t bytes) {
    scratch_block *b = thread_block();
    if (!b) return NULL;
    if (bytes > b->cap) {
        void *p = NULL;
        if (posix_memalign(&p, SCRATCH_ALIGN, bytes) != 0) return NULL;
        free(b->mem);
        b->mem = p;
        b->cap = bytes;
    }
    return b->mem;
}

/* C = bias (or 0) broadcast over rows: the whole answer when k == 0. */
static void fill_bias(int m, int n, const float *bias, float *C, int ldc) {
    for (int i = 0; i < m; i++) {
        float *c = C + (size_t)i * ldc;
        if (bias) memcpy(c, bias, (size_t)n * sizeof *c);
        else memset(c, 0, (size_t)n * sizeof *c);
    }
}

/* Chooses the path, block sizes and task grid for one call. */
static void plan(sgemm_job *j, int threads) {
    const ia_sgemm_impl *impl = j->impl;
    int m = j->m, n = j->n, k = j->k;
    int parallel = threads > 1 && (int64_t)m * n * k >= PARALLEL_MIN_FMAS;

    if (j->trans_b && impl->dot_bt &&
        (m <= DOT_MAX_M || (m < 32 && m * 5 < round_up(m, 16) * 3)))
        j->path = PATH_DOT;
    else if (j->trans_b && impl->block_t && m <= PACK_A_MAX_M) j->path = PATH_PACK_A;
    else j->path = PATH_PACK_B;

    j->tm = j->tn = 1;
    j->unit = impl->nr;
    j->nc = n;
    switch (j->path) {
    case PATH_DOT:
    case PATH_PACK_A:
        /* split n only: every thread streams its own share of the weights,
         * and the (small) A is read or packed by each */
        j->unit = SPLIT_UNIT;
        if (parallel) j->tn = imin(threads, (n + SPLIT_UNIT - 1) / SPLIT_UNIT);
        j->kc = even_block(k, j->path == PATH_DOT ? DOT_KC : KC_MAX, 16);
        j->slice = j->path == PATH_DOT ? 0 : (size_t)round_up(m, impl->nr) * j->kc;
        return;
    default:
        break;
    }
    /* PATH_PACK_B. Split columns first (no duplicated packing), keeping at
     * least TASK_MIN_COLS per task; rows take up the remaining threads
     * (then each row task packs its own copy of its B columns, which a
     * large m amortises). */
    if (parallel) {
        int panels = (n + impl->nr - 1) / impl->nr;
        int max_tn = imin(panels, (n + TASK_MIN_COLS - 1) / TASK_MIN_COLS);
        j->tn = imin(threads, max_tn > 0 ? max_tn : 1);
        int tm = (threads + j->tn - 1) / j->tn;
        /* a large m gets up to 4× more row tasks than threads, so a thread
         * that loses its core for a while leaves its rows to the others */
        int tm_bal = imin(m / TASK_ROWS, 4 * tm);
        j->tm = imin(tm > tm_bal ? tm : tm_bal, (m + impl->mr - 1) / impl->mr);
        if (j->tm < 1) j->tm = 1;
        j->nc = ((panels + j->tn - 1) / j->tn) * impl->nr; /* widest task */
    }
    j->kc = even_block(k, KC_MAX, 16);
    j->nc = even_block(j->nc, NC_MAX, impl->nr);
    j->slice = (size_t)j->kc * (size_t)j->nc;
}

void ia_sgemm_with(const ia_sgemm_impl *impl, ia_pool *pool, int max_threads, int trans_b, int m, int n,
                   int k, const float *A, int lda, const float *B, int ldb,
                   const float *bias, float *C, int ldc, ia_gemm_epilogue epilogue) {
    sgemm_job j;
    /* scratch slices are indexed by pool thread index, so there are as
     * many as the pool has threads; the plan uses at most max_threads */
    int slices = pool ? ia_pool_size(pool) : 1, tasks;
    int threads = max_threads > 0 && max_threads < slices ? max_threads : slices;
    void *raw = NULL;

    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        fill_bias(m, n, bias, C, ldc);
        if (epilogue)
            for (int i = 0; i < m; i++) epilogue(C + (size_t)i * ldc, C + (size_t)i * ldc, (size_t)n);
        return;
    }
    memset(&j, 0, sizeof j);
    j.impl = impl;
    j.trans_b = trans_b;
    j.m = m, j.n = n, j.k = k;
    j.A = A, j.B = B, j.bias = bias, j.C = C;
    j.lda = lda, j.ldb = ldb, j.ldc = ldc;
    j.epilogue = epilogue;
    plan(&j, threads);
    tasks = j.tm * j.tn;

    if (j.slice) {
        const size_t align = SCRATCH_ALIGN / sizeof(float);
        j.slice = (j.slice + align - 1) / align * align;
        raw = call_scratch(j.slice * sizeof(float) * (size_t)slices);
        if (!raw) {
            /* Out of memory: still answer, on this thread, packing B in
             * blocks of at most 64 × nr from the stack (nr ≤ 64: 16 KiB). */
            float stack[64 * 64 + SCRATCH_ALIGN / sizeof(float)];
            j.path = PATH_PACK_B;
            j.kc = imin(j.kc, 64);
            j.nc = impl->nr;
            j.tm = j.tn = 1;
            j.unit = impl->nr;
            j.slice = 0;
            j.scratch = (float *)(((uintptr_t)stack + SCRATCH_ALIGN - 1) &
                                  ~(uintptr_t)(SCRATCH_ALIGN - 1));
            run_task(&j, 0, 0);
            return;
        }
        j.scratch = raw;
    }
    if (tasks == 1) run_task(&j, 0, 0);
    else ia_pool_run_n(pool, tasks, threads, run_task, &j);
}

/* ---- dispatch ---------------------------------------------------------- */

/* Best first; IA_KERNEL names a starting point in this list. An x86 build
 * has the first two, a wasm32 build with -msimd128 the third; generic is
 * everywhere. */
static const char *const variant_names[] = {"avx512", "avx2", "wasm_simd128", "generic"};
#define N_VARIANTS (int)(sizeof variant_names / sizeof *variant_names)

/* The ISA kernel files (gemm_avx512.c, gemm_avx2.c) are built only for
 * x86, so only x86 builds reference them; elsewhere (wasm32, arm64) the
 * dispatch cannot name a symbol the link does not have.
 * gemm_wasm_simd128.c is built everywhere and is empty (its getter
 * answers NULL) without __wasm_simd128__; a module compiled with SIMD128
 * only instantiates in an engine that runs it, so there is nothing to ask
 * at run time. */
static const ia_sgemm_impl *variant(int i) {
    ia_cpu_features f = ia_cpu_features_get();
    (void)f; /* unread where no ISA kernel is built */
    switch (i) {
    case 0: /* the file is built with F/BW/VL/DQ + AVX2/FMA/F16C flags, and
             * the compiler may use any of them, so all are required */
#if defined(__x86_64__) || defined(__i386__)
        if (f.avx512f && f.avx512bw && f.avx512vl && f.avx512dq && f.avx2 && f.fma && f.f16c)
            return ia_sgemm_impl_avx512();
#endif
        return NULL;
    case 1:
#if defined(__x86_64__) || defined(__i386__)
        if (f.avx2 && f.fma && f.f16c) return ia_sgemm_impl_avx2();
#endif
        return NULL;
    case 2:
        return ia_sgemm_impl_wasm_simd128();
    default:
        return ia_sgemm_impl_generic();
    }
}

const ia_sgemm_impl *ia_sgemm_impl_find(const char *name) {
    for (int i = 0; i < N_VARIANTS; i++)
        if (strcmp(name, variant_names[i]) == 0) return variant(i);
    return NULL;
}

int ia_sgemm_impl_rank(const char *name) {
    for (int i = 0; i < N_VARIANTS; i++)
        if (strcmp(name, variant_names[i]) == 0) return i;
    return N_VARIANTS;
}

const ia_sgemm_impl *ia_sgemm_impl_pick(const char *request) {
    int start = 0;
    if (request)
        for (int i = 0; i < N_VARIANTS; i++)
            if (strcmp(request, variant_names[i]) == 0) start = i;
    for (int i = start; i < N_VARIANTS; i++) {
        const ia_sgemm_impl *impl = variant(i);
        if (impl) return impl;
    }
    return ia_sgemm_impl_generic(); /* not reached: generic always exists */
}

/* Index+1 of the chosen variant, 0 until the first call. Racing first
 * calls compute the same answer, so a relaxed atomic is enough. */
static atomic_int chosen;

static const ia_sgemm_impl *pick(void) {
    int c = atomic_load_explicit(&chosen, memory_order_relaxed);
    if (!c) {
        const ia_sgemm_impl *impl = ia_sgemm_impl_pick(getenv("IA_KERNEL"));
        for (c = 0; c < N_VARIANTS - 1 && strcmp(impl->name, variant_names[c]) != 0; c++) continue;
        c += 1;
        atomic_store_explicit(&chosen, c, memory_order_relaxed);
    }
    return variant(c - 1);
}

void ia_sgemm(ia_pool *pool, int trans_b, int m, int n, int k, const float *A, int lda,
              const float *B, int ldb, const float *bias, float *C, int ldc) {
    ia_sgemm_with(pick(), pool, 0, trans_b, m, n, k, A, lda, B, ldb, bias, C, ldc, NULL);
}

void ia_sgemm_ep(ia_pool *pool, int trans_b, int m, int n, int k, const float *A, int lda,
                 const float *B, int ldb, const float *bias, float *C, int ldc,
                 ia_gemm_epilogue epilogue) {
    ia_sgemm_with(pick(), pool, 0, trans_b, m, n, k, A, lda, B, ldb, bias, C, ldc, epilogue);
}

const char *ia_sgemm_kernel_name(void) { return pick()->name; }

void ia_sgemm_reference(int trans_b, int m, int n, int k, const float *A, int lda,
                        const float *B, int ldb, const float *bias, float *C, int ldc) {
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double s = bias ? bias[j] : 0.0;
            for (int p = 0; p < k; p++)
                s += (double)A[(size_t)i * lda + p] *
                     (trans_b ? B[(size_t)j * ldb + p] : B[(size_t)p * ldb + j]);
            C[(size_t)i * ldc + j] = (float)s;
        }
}
