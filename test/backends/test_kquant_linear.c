/*
 * test_kquant_linear.c — LINEAR with ggml k-quant (Q2_K .. Q6_K), Q5_0,
 * Q5_1 and BF16 weights: the ref executor (the oracle: tensor/qweights.h's arithmetic
 * over the weight's affine form) against the cpu executor with each kernel
 * family forced (avx512-vnni, avx2, generic, as far as this machine runs
 * them), on shapes of a small model (n = 576, k = 1536; Q5_0 / Q5_1 also
 * k = 576, SmolLM2's rows that are not whole super-blocks), an odd n and
 * batches of 1 row (decode: the column-split GEMV path) and 7 rows, with a
 * bias and a fused activation. The cpu must claim and run every case
 * itself (no silent fallback to ref). The ref result is also checked
 * against a float64 product with the dequantised weights (gguf-py's
 * values, test_kquants.c): only the int8 activation quantisation may
 * separate them.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/backend.h"
#include "backends/cpu/qgemm.h"
#include "backends/cpu/qmat.h"
#include "backends/sched.h"
#include "harness.h"
#include "tensor/kquants.h"
#include "tensor/qweights.h"

static uint64_t rng_state = 0x6A09E667F3BCC909ull;

static float urand(void) { /* [-1, 1), xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (float)((rng_state * 0x2545F4914F6CDD1Dull) >> 40) / 8388608.0f - 1.0f;
}

typedef ia_status (*quant_fn)(const float *, void *, int64_t);

/* Weight rows of n × k floats → a tensor's bytes of dtype (malloc'd). */
static void *make_weight(ia_dtype dt, int64_t n, int64_t k, const float *wf) {
    size_t rb = ia_dtype_row_bytes(dt, 0, k);
    unsigned char *out = malloc(rb * (size_t)n);
    if (!out) return NULL;
    for (int64_t r = 0; r < n; r++) {
        const float *x = wf + r * k;
        void *y = out + (size_t)r * rb;
        ia_status st = IA_OK;
        switch (dt) {
        case IA_DTYPE_Q2_K: st = ia_quantize_q2_K(x, y, k); break;
        case IA_DTYPE_Q3_K: st = ia_quantize_q3_K(x, y, k); break;
        case IA_DTYPE_Q4_K: st = ia_quantize_q4_K(x, y, k); break;
        case IA_DTYPE_Q5_K: st = ia_quantize_q5_K(x, y, k); break;
        case IA_DTYPE_Q6_K: st = ia_quantize_q6_K(x, y, k); break;
        case IA_DTYPE_BF16:
            for (int64_t i = 0; i < k; i++) { /* truncation is enough: any bits are a valid weight */
                uint32_t b;
                memcpy(&b, &x[i], 4);
                ((uint16_t *)y)[i] = (uint16_t)(b >> 16);
            }
            break;
        default: st = ia_dtype_from_f32(dt, x, y, k); /* Q5_0, Q5_1 */
        }
        if (st != IA_OK) {
            free(out);
            return NULL;
        }
    }
    return out;
}

typedef struct exec {
    ia_backend *cpu, *ref;
    ia_sched *s_ref, *s_cpu;
} exec;

static int exec_open(exec *e, const char *kernel) {
    ia_backend_config cfg;
    ia_backend *list[2];
    memset(e, 0, sizeof *e);
    ia_backend_config_init(&cfg);
    cfg.kernel = kernel;
    if (ia_backend_find("cpu")->init(&cfg, &e->cpu) != IA_OK) return 0;
    ia_backend_config_init(&cfg);
    if (ia_backend_find("ref")->init(&cfg, &e->ref) != IA_OK) return 0;
    list[0] = e->ref;
    if (ia_sched_create(list, 1, &e->s_ref) != IA_OK) return 0;
    list[0] = e->cpu, list[1] = e->ref;
    return ia_sched_create(list, 2, &e->s_cpu) == IA_OK;
}

static void exec_close(exec *e) {
    ia_sched_free(e->s_ref);
    ia_sched_free(e->s_cpu);
    ia_backend_free(e->cpu);
    ia_backend_free(e->ref);
}

/* y = act(x · Wᵀ + b) through s; cpu non-NULL: the weight is prepared by
 * it and *where gets the executor index that ran the node. */
static ia_status run_linear(ia_sched *s, ia_backend *cpu, ia_dtype dt, const void *wdata, int64_t m, int64_t n,
                            int64_t k, float *x, float *bias, int act, float *y, int *where) {
    ia_graph *g = NULL;
    ia_tensor w, b, *xt, *out;
    int prepared = 0;
    ia_status st;
    memset(&w, 0, sizeof w);
    memset(&b, 0, sizeof b);
    if ((st = ia_graph_create(&g)) != IA_OK) return st;
    ia_tensor_init(&w, dt, 2, (const int64_t[]){n, k}, 0);
    w.data = (void *)wdata, w.flags = IA_TENSOR_PARAM, w.use = IA_USE_MATMUL, w.name = "w";
    ia_tensor_init(&b, IA_DTYPE_F32, 1, (const int64_t[]){n}, 0);
    b.data = bias, b.flags = IA_TENSOR_PARAM, b.name = "b";
    if (cpu) {
        if ((st = cpu->iface->prepare_weight(cpu, &w)) != IA_OK) goto done;
        prepared = 1;
        if ((st = cpu->iface->prepare_weight(cpu, &b)) != IA_OK) goto done;
    }
    st = IA_ERR_INTERNAL;
    xt = ia_graph_input(g, IA_DTYPE_F32, 2, (const int64_t[]){m, k}, x, "x");
    out = xt ? ia_graph_op(g, IA_OP_LINEAR, 2, (const int64_t[]){m, n}, xt, &w, &b, NULL) : NULL;
    if (!out) goto done;
    ia_graph_last(g)->iparam[0] = act;
    if ((st = ia_graph_mark_output(g, out)) != IA_OK || (st = ia_sched_run(s, g)) != IA_OK) goto done;
    if (where) *where = ia_sched_node_backend(s, 0);
    st = ia_tensor_download(out, y, (size_t)(m * n) * sizeof *y);
done:
    if (st != IA_OK) fprintf(stderr, "  linear: %s\n", ia_last_error());
    if (prepared) {
        cpu->iface->release_weight(cpu, &w);
        cpu->iface->release_weight(cpu, &b);
    }
    ia_graph_free(g);
    return st;
}

/* Worst over rows of max |a − b| / max |b| (test_ops.c's row error). */
static double row_err(const float *a, const float *b, int64_t m, int64_t n) {
    double worst = 0;
    for (int64_t r = 0; r < m; r++) {
        double diff = 0, scale = 0;
        for (int64_t j = 0; j < n; j++) {
            double d = fabs((double)a[r * n + j] - b[r * n + j]);
            if (d != d) return INFINITY;
            diff = d > diff ? d : diff;
            scale = fabs(b[r * n + j]) > scale ? fabs(b[r * n + j]) : scale;
        }
        if (scale > 0 && diff / scale > worst) worst = diff / scale;
    }
    return worst;
}

static const char *const KERNELS[] = {NULL, "avx2", "generic"};

IA_TEST(kquant_linear_cpu_matches_ref) {
    static const ia_dtype types[] = {IA_DTYPE_Q2_K, IA_DTYPE_Q3_K, IA_DTYPE_Q4_K, IA_DTYPE_Q5_K,
                                     IA_DTYPE_Q6_K, IA_DTYPE_BF16, IA_DTYPE_Q5_0, IA_DTYPE_Q5_1};
    static const int64_t shapes[][2] = {{576, 1536}, {37, 512}, {45, 576}}; /* n, k */
    /* 1: decode (column split); 7: a short prompt; 40: enough rows that
     * the VNNI kernel expands split codes (Q5_K, Q6_K) per column tile */
    static const int64_t rows[] = {1, 7, 40};
    /* test_ops.c's LINEAR bound: exact integer parts, float sums over
     * groups that may be ordered differently (measured there ≤ 6e-7) */
    const double tol = 5e-6;
    double worst = 0, worst_float = 0;
    for (int kv = 0; kv < 3; kv++) {
        exec e;
        if (!exec_open(&e, KERNELS[kv])) {
            CHECK_MSG(0, "cannot open executors");
            exec_close(&e);
            return;
        }
        for (size_t t = 0; t < sizeof types / sizeof *types; t++)
            for (size_t s = 0; s < 3; s++)
                for (size_t ri = 0; ri < sizeof rows / sizeof *rows; ri++) {
                    int64_t n = shapes[s][0], k = shapes[s][1], m = rows[ri];
                    if (k % ia_dtype_block_elems(types[t], 0)) continue; /* k-quants: whole super-blocks only */
                    float *wf = malloc((size_t)(n * k) * sizeof *wf), *deq = malloc((size_t)(n * k) * sizeof *deq);
                    float *x = malloc((size_t)(m * k) * sizeof *x), *bias = malloc((size_t)n * sizeof *bias);
                    float *yr = malloc((size_t)(m * n) * sizeof *yr), *yc = malloc((size_t)(m * n) * sizeof *yc);
                    float *yf = malloc((size_t)(m * n) * sizeof *yf);
                    void *wd;
                    int where = -1, act = (int)(t + s) % 3 == 0 ? IA_ACT_NONE : (t + s) % 3 == 1 ? IA_ACT_SILU : IA_ACT_GELU;
                    REQUIRE(wf && deq && x && bias && yr && yc && yf);
                    for (int64_t i = 0; i < n * k; i++) wf[i] = 0.05f * urand() + (i % 97 == 0 ? 0.3f : 0.0f);
                    for (int64_t i = 0; i < m * k; i++) x[i] = urand() * (i % 31 == 0 ? 4.0f : 1.0f);
                    for (int64_t j = 0; j < n; j++) bias[j] = 0.1f * urand();
                    wd = make_weight(types[t], n, k, wf);
                    REQUIRE(wd);
                    if (run_linear(e.s_ref, NULL, types[t], wd, m, n, k, x, bias, act, yr, NULL) != IA_OK ||
                        run_linear(e.s_cpu, e.cpu, types[t], wd, m, n, k, x, bias, act, yc, &where) != IA_OK) {
                        CHECK_MSG(0, "%s n=%lld k=%lld m=%lld: run failed", ia_dtype_name(types[t]), (long long)n,
                                  (long long)k, (long long)m);
                    } else {
                        double err = row_err(yc, yr, m, n);
                        const char *kn = e.cpu->iface->kernel_name(e.cpu);
                        CHECK_MSG(where == 0, "%s n=%lld k=%lld m=%lld (%s): ran on executor %d, not the cpu",
                                  ia_dtype_name(types[t]), (long long)n, (long long)k, (long long)m, kn, where);
                        CHECK_MSG(err <= tol, "%s n=%lld k=%lld m=%lld (%s): cpu vs ref row error %.3g (tol %.1g)",
                                  ia_dtype_name(types[t]), (long long)n, (long long)k, (long long)m, kn, err, tol);
                        worst = err > worst ? err : worst;
                        if (kv == 0 && act == IA_ACT_NONE) {
                            /* ref against float64 with the dequantised weights */
                            double ef;
                            for (int64_t j = 0; j < n; j++)
                                ia_dtype_row_to_f32(types[t], 0, (const char *)wd + j * ia_dtype_row_bytes(types[t], 0, k),
                                                    deq + j * k, k);
                            for (int64_t r = 0; r < m; r++)
                                for (int64_t j = 0; j < n; j++) {
                                    double acc = bias[j];
                                    for (int64_t p = 0; p < k; p++) acc += (double)x[r * k + p] * deq[j * k + p];
                                    yf[r * n + j] = (float)acc;
                                }
                            ef = row_err(yr, yf, m, n);
                            /* int8 activations (BF16 weights: exact float
                             * GEMM): relative error ~ 1/127/sqrt(group)
                             * per term; 3e-2 of the row's largest output
                             * is far above that and far below a wrong
                             * code, scale or sub-block order (≥ 0.3) */
                            CHECK_MSG(ef <= (types[t] == IA_DTYPE_BF16 ? 1e-5 : 3e-2),
                                      "%s n=%lld k=%lld m=%lld: ref vs float64 product %.3g", ia_dtype_name(types[t]),
                                      (long long)n, (long long)k, (long long)m, ef);
                            worst_float = ef > worst_float ? ef : worst_float;
                        }
                    }
                    free(wf), free(deq), free(x), free(bias), free(yr), free(yc), free(yf), free(wd);
                }
        printf("  cpu kernels %s: done\n", e.cpu->iface->kernel_name(e.cpu));
        exec_close(&e);
    }
    printf("  worst cpu-vs-ref row error %.2g; worst ref vs float64 (dequantised weights) %.2g\n", worst, worst_float);
}

/* The cpu packs k-quants with their integer scales (ia_qmat_pack_kquant);
 * that form must be the float form's matrix exactly (unpacked: the same
 * codes, d and m) and give the same bits from every kernel. */
IA_TEST(kquant_qmat_int8_scales_match_float_form) {
    static const ia_dtype types[] = {IA_DTYPE_Q2_K, IA_DTYPE_Q3_K, IA_DTYPE_Q4_K, IA_DTYPE_Q5_K, IA_DTYPE_Q6_K};
    const int64_t n = 37, k = 768;
    static const char *const caps[] = {"generic", "avx2", NULL};
    const int64_t m = 27;
    for (size_t t = 0; t < sizeof types / sizeof *types; t++) {
        float *wf = malloc((size_t)(n * k) * sizeof *wf), *x = malloc((size_t)(m * k) * sizeof *x);
        float *y1 = malloc((size_t)(m * n) * sizeof *y1), *y2 = malloc((size_t)(m * n) * sizeof *y2);
        void *wd, *ws;
        ia_qweights qf, qk;
        ia_qmat *a = NULL, *b = NULL;
        REQUIRE(wf && x && y1 && y2);
        for (int64_t i = 0; i < n * k; i++) wf[i] = urand() * (i % 7 == 0 ? 2.0f : 0.5f);
        for (int64_t i = 0; i < m * k; i++) x[i] = urand();
        wd = make_weight(types[t], n, k, wf);
        REQUIRE(wd);
        if (t != 2) { /* random block bytes (Q4_K: quantised rows): every code and scale pattern, finite fp16 d/dmin */
            static const size_t doff[][2] = {{80, 82}, {108, 108}, {0, 2}, {0, 2}, {208, 208}};
            size_t bb = ia_dtype_block_bytes(types[t], 0), nbk = (size_t)(n * k / 256);
            for (size_t i = 0; i < nbk * bb; i++) ((unsigned char *)wd)[i] = (unsigned char)(urand() * 128.0f + 128.0f);
            for (size_t i = 0; i < nbk; i++)
                for (int f = 0; f < 2; f++) {
                    uint16_t h = (uint16_t)((int)(urand() * 15000.0f + 15000.0f) | (urand() < 0 ? 0x8000 : 0)); /* < 0x7c00 */
                    memcpy((unsigned char *)wd + i * bb + doff[t][f], &h, 2);
                }
        }
        REQUIRE(ia_qweights_from_dtype(types[t], 0, wd, n, k, &qf) == IA_OK);
        REQUIRE(ia_qmat_pack(&qf, &a) == IA_OK);
        CHECK_STATUS(ia_qmat_pack_kquant(types[t], wd, n, k, &b), IA_OK);
        REQUIRE(b);
        CHECK_MSG(ia_qmat_bytes(b) < ia_qmat_bytes(a), "%s: %zu bytes, float form %zu", ia_dtype_name(types[t]),
                  ia_qmat_bytes(b), ia_qmat_bytes(a));
        CHECK_STATUS(ia_qmat_unpack(b, &qk), IA_OK);
        CHECK(qk.bits == qf.bits && qk.group == qf.group && qk.n == n && qk.k == k);
        CHECK_MSG(!memcmp(qk.q, qf.q, (size_t)(n * k)), "%s: codes differ", ia_dtype_name(types[t]));
        CHECK_MSG(!memcmp(qk.d, qf.d, (size_t)(n * (k / qf.group)) * sizeof(float)) &&
                      !memcmp(qk.m, qf.m, (size_t)(n * (k / qf.group)) * sizeof(float)),
                  "%s: scales differ", ia_dtype_name(types[t]));
        ws = aligned_alloc(64, (ia_qgemm_workspace_size(a, (int)m) + 63) / 64 * 64);
        REQUIRE(ws);
        for (int c = 0; c < 3; c++)
            for (int64_t mm = 1; mm <= m; mm += 13) { /* 1, 14, 27: below and above VNNI's expansion */
                const ia_qgemm_impl *impl = ia_qgemm_pick(caps[c]);
                ia_qgemm(impl, NULL, 1, a, (int)mm, x, (int)k, NULL, y1, (int)n, NULL, ws);
                ia_qgemm(impl, NULL, 1, b, (int)mm, x, (int)k, NULL, y2, (int)n, NULL, ws);
                CHECK_MSG(!memcmp(y1, y2, (size_t)(mm * n) * sizeof *y1), "%s %s m=%lld: outputs differ",
                          ia_dtype_name(types[t]), ia_qgemm_impl_name(impl), (long long)mm);
            }
        ia_qweights_free(&qf);
        ia_qweights_free(&qk);
        ia_qmat_free(a);
        ia_qmat_free(b);
        free(wf), free(x), free(y1), free(y2), free(wd), free(ws);
    }
    {   /* refused: not k-quant data, not whole super-blocks */
        ia_qmat *q = (ia_qmat *)&q;
        unsigned char blk[210] = {0};
        CHECK_STATUS(ia_qmat_pack_kquant(IA_DTYPE_Q4_0, blk, 1, 256, &q), IA_ERR_INVALID_ARG);
        CHECK(q == NULL);
        CHECK_STATUS(ia_qmat_pack_kquant(IA_DTYPE_Q6_K, blk, 1, 128, &q), IA_ERR_INVALID_ARG);
        blk[208] = 0x00, blk[209] = 0x7c; /* d = inf */
        CHECK_STATUS(ia_qmat_pack_kquant(IA_DTYPE_Q6_K, blk, 1, 256, &q), IA_ERR_FORMAT);
        CHECK(q == NULL);
    }
}

/* Q5_0 / Q5_1 are packed as 4 low bits + a 1-bit plane with float scales
 * (ia_qmat_pack_split5): the same matrix as the plain 8-bit packing of
 * their codes, so every kernel must give the same bits from both, at
 * GEMV sizes (the split planes read in registers) and from 12 rows (VNNI
 * expands them per column tile). */
IA_TEST(q5_qmat_split_matches_8bit_form) {
    static const ia_dtype types[] = {IA_DTYPE_Q5_0, IA_DTYPE_Q5_1};
    static const char *const caps[] = {"generic", "avx2", NULL};
    const int64_t n = 45, k = 576, m = 27;
    for (size_t t = 0; t < 2; t++) {
        float *wf = malloc((size_t)(n * k) * sizeof *wf), *x = malloc((size_t)(m * k) * sizeof *x);
        float *y1 = malloc((size_t)(m * n) * sizeof *y1), *y2 = malloc((size_t)(m * n) * sizeof *y2);
        void *wd, *ws;
        ia_qweights qf, qs;
        ia_qmat *a = NULL, *b = NULL;
        REQUIRE(wf && x && y1 && y2);
        for (int64_t i = 0; i < n * k; i++) wf[i] = urand() * (i % 7 == 0 ? 2.0f : 0.5f);
        for (int64_t i = 0; i < m * k; i++) x[i] = urand();
        wd = make_weight(types[t], n, k, wf);
        REQUIRE(wd);
        REQUIRE(ia_qweights_from_dtype(types[t], 0, wd, n, k, &qf) == IA_OK);
        CHECK(qf.bits == 8 && qf.group == 32);
        REQUIRE(ia_qmat_pack(&qf, &a) == IA_OK);
        CHECK_STATUS(ia_qmat_pack_split5(&qf, &b), IA_OK);
        REQUIRE(b);
        CHECK_MSG(ia_qmat_bytes(b) < ia_qmat_bytes(a), "%s: %zu bytes, 8-bit form %zu", ia_dtype_name(types[t]),
                  ia_qmat_bytes(b), ia_qmat_bytes(a));
        CHECK_STATUS(ia_qmat_unpack(b, &qs), IA_OK);
        CHECK(qs.bits == 8 && qs.group == 32 && !memcmp(qs.q, qf.q, (size_t)(n * k)));
        CHECK(!memcmp(qs.d, qf.d, (size_t)(n * k / 32) * sizeof(float)) &&
              !memcmp(qs.m, qf.m, (size_t)(n * k / 32) * sizeof(float)));
        ws = aligned_alloc(64, (ia_qgemm_workspace_size(a, (int)m) + 63) / 64 * 64);
        REQUIRE(ws);
        for (int c = 0; c < 3; c++)
            for (int64_t mm = 1; mm <= m; mm += 13) { /* 1, 14, 27 */
                const ia_qgemm_impl *impl = ia_qgemm_pick(caps[c]);
                ia_qgemm(impl, NULL, 1, a, (int)mm, x, (int)k, NULL, y1, (int)n, NULL, ws);
                ia_qgemm(impl, NULL, 1, b, (int)mm, x, (int)k, NULL, y2, (int)n, NULL, ws);
                CHECK_MSG(!memcmp(y1, y2, (size_t)(mm * n) * sizeof *y1), "%s %s m=%lld: outputs differ",
                          ia_dtype_name(types[t]), ia_qgemm_impl_name(impl), (long long)mm);
            }
        ia_qmat_free(b);
        qf.q[5] = 32; /* not a 5-bit code */
        CHECK_STATUS(ia_qmat_pack_split5(&qf, &b), IA_ERR_INVALID_ARG);
        CHECK(b == NULL);
        ia_qweights_free(&qf);
        ia_qweights_free(&qs);
        ia_qmat_free(a);
        free(wf), free(x), free(y1), free(y2), free(wd), free(ws);
    }
}

/* Token tables are k-quants too in llama.cpp's files (a Q4_K_M model's
 * token_embd is Q4_K or Q6_K): GET_ROWS dequantises the rows it gathers,
 * on the cpu exactly as on ref and as ia_dtype_row_to_f32. */
IA_TEST(kquant_get_rows_cpu_matches_ref) {
    static const ia_dtype types[] = {IA_DTYPE_Q2_K, IA_DTYPE_Q3_K, IA_DTYPE_Q4_K, IA_DTYPE_Q5_K,
                                     IA_DTYPE_Q6_K, IA_DTYPE_Q5_0, IA_DTYPE_Q5_1};
    const int64_t rows = 11, cols = 512, nid = 6;
    int32_t ids[6] = {3, 0, 10, 3, 7, 1};
    exec e;
    REQUIRE(exec_open(&e, NULL));
    for (size_t t = 0; t < sizeof types / sizeof *types; t++) {
        float *tf = malloc((size_t)(rows * cols) * sizeof *tf), want[6 * 512], got[2][6 * 512];
        void *td;
        REQUIRE(tf);
        for (int64_t i = 0; i < rows * cols; i++) tf[i] = urand() * (1.0f + (float)(i % 5));
        td = make_weight(types[t], rows, cols, tf);
        REQUIRE(td);
        for (int i = 0; i < nid; i++)
            ia_dtype_row_to_f32(types[t], 0, (const char *)td + ids[i] * ia_dtype_row_bytes(types[t], 0, cols),
                                want + i * cols, cols);
        for (int which = 0; which < 2; which++) {
            ia_graph *g = NULL;
            ia_tensor tab, *it, *out;
            ia_sched *s = which ? e.s_cpu : e.s_ref;
            REQUIRE(ia_graph_create(&g) == IA_OK);
            memset(&tab, 0, sizeof tab);
            ia_tensor_init(&tab, types[t], 2, (const int64_t[]){rows, cols}, 0);
            tab.data = td, tab.flags = IA_TENSOR_PARAM, tab.use = IA_USE_TABLE, tab.name = "tab";
            if (which) REQUIRE(e.cpu->iface->prepare_weight(e.cpu, &tab) == IA_OK);
            it = ia_graph_input(g, IA_DTYPE_I32, 1, (const int64_t[]){nid}, ids, "ids");
            out = ia_graph_op(g, IA_OP_GET_ROWS, 2, (const int64_t[]){nid, cols}, &tab, it, NULL, NULL);
            REQUIRE(out && ia_graph_mark_output(g, out) == IA_OK);
            CHECK_STATUS(ia_sched_run(s, g), IA_OK);
            CHECK_MSG(ia_sched_node_backend(s, 0) == 0, "%s: gather ran on executor %d", ia_dtype_name(types[t]),
                      ia_sched_node_backend(s, 0));
            CHECK_STATUS(ia_tensor_download(out, got[which], sizeof got[which]), IA_OK);
            CHECK_MSG(!memcmp(got[which], want, sizeof want), "%s: %s gather differs", ia_dtype_name(types[t]),
                      which ? "cpu" : "ref");
            if (which) e.cpu->iface->release_weight(e.cpu, &tab);
            ia_graph_free(g);
        }
        free(tf), free(td);
    }
    exec_close(&e);
}
