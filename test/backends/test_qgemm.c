/*
 * test_qgemm.c — quantised matrices (quant/qmat.h) and the qgemm kernels
 * (backends/cpu/qgemm.h): the reference against hand-computed and
 * float-computed values; pack/unpack exactness and shape/code rejection;
 * every variant this CPU runs against the reference over edge shapes,
 * groups, bits, strides, bias, epilogue and adversarial inputs, with guard
 * values around y and exact-size inputs for ASan; integer exactness; and
 * thread-count independence, bit for bit.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backends/cpu/qgemm.h"
#include "harness.h"
#include "backends/cpu/qmat.h"
#include "backends/ref/ref.h"

#define GUARD 64
#define GUARD_VAL 1234.5f

static const char *const variants[] = {"generic", "wasm_simd128", "avx2", NULL};
#define N_VARIANTS (int)(sizeof variants / sizeof *variants)

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;

static uint32_t rnd(void) { /* xorshift64*: deterministic across runs */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545F4914F6CDD1Dull) >> 32);
}

static float rndf(void) { return (float)rnd() / 2147483648.0f - 1.0f; } /* [-1, 1) */

/* The distinct variants: pick() caps that land on the same impl count once. */
static int distinct_impls(const ia_qgemm_impl *out[N_VARIANTS]) {
    int n = 0;
    for (int v = 0; v < N_VARIANTS; v++) {
        const ia_qgemm_impl *impl = ia_qgemm_pick(variants[v]);
        int dup = 0;
        for (int i = 0; i < n; i++) dup |= out[i] == impl;
        if (!dup) out[n++] = impl;
    }
    return n;
}

typedef enum wmode { W_RANDOM, W_MAXCODE, W_UNIT, W_MAXUNIT } wmode;

/* Random codes and scales in the shapes quantize.c produces: d > 0,
 * m around -d · 2^(bits-1) (symmetric) with some asymmetry. W_MAXCODE:
 * every code 2^bits - 1. W_UNIT: d = 1, m = 0 (integer-exact tests);
 * W_MAXUNIT: both. */
static int make_weights(ia_qweights *w, int bits, int n, int k, int group, wmode mode) {
    if (ia_qweights_alloc(w, bits, n, k, group) != IA_OK) return 0;
    for (size_t i = 0; i < (size_t)n * k; i++)
        w->q[i] = mode == W_MAXCODE || mode == W_MAXUNIT ? (uint8_t)((1u << bits) - 1) : (uint8_t)(rnd() >> (32 - bits));
    for (size_t i = 0; i < (size_t)n * (k / group); i++) {
        float d = 0.01f + 0.05f * (rndf() + 1.0f);
        w->d[i] = mode >= W_UNIT ? 1.0f : d;
        w->m[i] = mode >= W_UNIT ? 0.0f : -d * (float)(1 << (bits - 1)) * (1.0f + 0.2f * rndf());
    }
    return 1;
}

typedef enum xmode { X_RANDOM, X_EQUAL, X_ZERO_ROWS, X_OUTLIERS, X_EXTREME, X_INTEGER, X_PM127, X_TIES } xmode;

/* Exactly (m-1)*ld + k floats, so ASan flags reads past the last row. */
static float *make_x(int m, int k, int ld, xmode mode) {
    size_t len = (size_t)(m - 1) * ld + k;
    float *x = malloc(len * sizeof *x);
    if (!x) return NULL;
    for (size_t i = 0; i < len; i++) x[i] = rndf();
    for (int r = 0; r < m; r++) {
        float *xr = x + (size_t)r * ld;
        float c = rndf();
        for (int p = 0; p < k; p++) {
            switch (mode) {
            case X_EQUAL: xr[p] = c; break; /* every code ±127 */
            case X_ZERO_ROWS: if (r % 2 == 0) xr[p] = 0.0f; break; /* sa = 0 */
            case X_OUTLIERS: /* 1e-3 noise, a 1e4 spike in some groups */
                xr[p] = 1e-3f * rndf();
                if (rnd() % 97 == 0) xr[p] = rnd() & 1 ? 1e4f : -1e4f;
                break;
            case X_EXTREME: /* ±amax: codes ±127, int16 pair sums at the edge */
                xr[p] = (r + p / 4) % 2 ? 3e4f : -3e4f;
                break;
            case X_INTEGER: /* sa = 1 exactly: amax 127 in each 32, codes = x */
                xr[p] = p % 32 == 0 ? (rnd() & 1 ? 127.0f : -127.0f) : (float)((int)(rnd() % 255) - 127);
                break;
            case X_TIES: /* sa = 1 and x = j + 0.5: every code a rounding tie */
                xr[p] = p % 32 == 0 ? 127.0f : (float)((int)(rnd() % 254) - 127) + 0.5f;
                break;
            case X_PM127: /* ±127 (sa = 1), same sign across each int16 pair */
                xr[p] = (p / 8 + r) % 3 == 0 ? -127.0f : 127.0f;
                break;
            default: break;
            }
        }
    }
    return x;
}

static void *ws_alloc(const ia_qmat *q, int m) {
    size_t size = (ia_qgemm_workspace_size(q, m) + 63) / 64 * 64;
    return aligned_alloc(64, size ? size : 64);
}

/* |d|, |m|, |x|, |bias| through the reference: the sum of the magnitudes of
 * every term of each output (quantisation is odd-symmetric, so |x| has the
 * codes |xq| and the same scales). Float rounding in a kernel is bounded
 * relative to this, not to the (possibly cancelling) result. */
static void reference_abs(const ia_qweights *w, int m, const float *x, int ldx, const float *bias,
                          float *out, int ldy) {
    ia_qweights a = *w;
    size_t scales = (size_t)w->n * (size_t)(w->k / w->group);
    size_t xlen = (size_t)(m - 1) * ldx + w->k;
    float *ax = malloc(xlen * sizeof *ax), *ab = malloc((size_t)w->n * sizeof *ab);
    a.d = malloc(scales * sizeof *a.d);
    a.m = malloc(scales * sizeof *a.m);
    if (ax && ab && a.d && a.m) {
        for (size_t i = 0; i < scales; i++) a.d[i] = fabsf(w->d[i]), a.m[i] = fabsf(w->m[i]);
        for (size_t i = 0; i < xlen; i++) ax[i] = fabsf(x[i]);
        for (int64_t j = 0; j < w->n; j++) ab[j] = bias ? fabsf(bias[j]) : 0.0f;
        ia_qgemm_reference(&a, m, ax, ldx, ab, out, ldy);
    } else {
        for (size_t i = 0; i < (size_t)(m - 1) * ldy + w->n; i++) out[i] = INFINITY;
    }
    free(ax), free(ab), free(a.d), free(a.m);
}

static void twice_plus_one(float *y, const float *x, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = 2.0f * x[i] + 1.0f;
}

typedef struct qcase {
    int bits, m, n, k, group;
    int padx, pady;  /* ldx = k + padx, ldy = n + pady */
    xmode xm;
    wmode wm;
    int exact;       /* outputs must equal the reference exactly */
} qcase;

/* One case through every variant × bias × epilogue × pool; guards around y
 * and in the ldy gaps. Returns 1 on failure (reported). */
static int run_case(qcase c, ia_pool *pool, int *ia_failed_) {
    ia_qweights w;
    ia_qmat *q = NULL;
    const ia_qgemm_impl *impls[N_VARIANTS];
    int nimpl = distinct_impls(impls), fails = 0;
    int ldx = c.k + c.padx, ldy = c.n + c.pady;
    size_t ylen = (size_t)(c.m - 1) * ldy + c.n;
    float *x = NULL, *bias = NULL, *ref = NULL, *mag = NULL, *ybuf = NULL, *y;
    void *ws = NULL;
    int groups = c.k / c.group;

    if (!make_weights(&w, c.bits, c.n, c.k, c.group, c.wm)) {
        CHECK_MSG(0, "alloc");
        return 1;
    }
    if (ia_qmat_pack(&w, &q) != IA_OK) {
        CHECK_MSG(0, "pack bits=%d n=%d k=%d group=%d: %s", c.bits, c.n, c.k, c.group,
                  ia_last_error());
        ia_qweights_free(&w);
        return 1;
    }
    x = make_x(c.m, c.k, ldx, c.xm);
    bias = malloc((size_t)c.n * sizeof *bias);
    ref = malloc(ylen * sizeof *ref);
    mag = malloc(ylen * sizeof *mag);
    ybuf = malloc((ylen + 2 * GUARD) * sizeof *ybuf);
    ws = ws_alloc(q, c.m);
    if (!x || !bias || !ref || !mag || !ybuf || !ws) {
        CHECK_MSG(0, "out of memory");
        fails = 1;
        goto done;
    }
    for (int j = 0; j < c.n; j++) bias[j] = c.exact ? (float)(j % 7) : rndf();
    y = ybuf + GUARD;
    for (int wb = 0; wb < 2; wb++) {
        const float *bb = wb ? bias : NULL;
        ia_qgemm_reference(&w, c.m, x, ldx, bb, ref, ldy);
        reference_abs(&w, c.m, x, ldx, bb, mag, ldy);
        for (int ep = 0; ep < 2; ep++)
            for (int v = 0; v < nimpl; v++) {
                int bad = 0;
                for (size_t i = 0; i < ylen + 2 * GUARD; i++) ybuf[i] = GUARD_VAL;
                memset(ws, 0x5A, ia_qgemm_workspace_size(q, c.m)); /* no inherited codes */
                ia_qgemm(impls[v], pool, 0, q, c.m, x, ldx, bb, y, ldy, ep ? twice_plus_one : NULL, ws);
                for (int r = 0; r < c.m && !bad; r++)
                    for (int j = 0; j < c.n && !bad; j++) {
                        size_t i = (size_t)r * ldy + j;
                        float want = ref[i], got = y[i];
                        /* integer parts are exact; float steps per group
                         * (cvt, d·sa, two FMAs) and the sum over groups
                         * round relative to the terms' magnitude, at worst
                         * linearly in the number of groups */
                        float tol = c.exact ? 0.0f : 1e-6f * (8.0f + (float)groups) * mag[i];
                        if (ep) want = 2.0f * want + 1.0f, tol *= 2.0f;
                        if (!(fabsf(got - want) <= tol)) {
                            CHECK_MSG(0,
                                      "%s bits=%d m=%d n=%d k=%d group=%d x%d w%d bias=%d ep=%d "
                                      "y[%d][%d]=%.9g want %.9g (tol %g)",
                                      ia_qgemm_impl_name(impls[v]), c.bits, c.m, c.n, c.k, c.group,
                                      (int)c.xm, (int)c.wm, wb, ep, r, j, got, want, tol);
                            bad = 1;
                        }
                    }
                for (size_t i = 0; i < GUARD && !bad; i++)
                    if (ybuf[i] != GUARD_VAL || y[ylen + i] != GUARD_VAL) bad = 2;
                for (int r = 0; r + 1 < c.m && !bad; r++)
                    for (int j = c.n; j < ldy; j++)
                        if (y[(size_t)r * ldy + j] != GUARD_VAL) bad = 2;
                if (bad == 2)
                    CHECK_MSG(0, "%s bits=%d m=%d n=%d k=%d: write outside y",
                              ia_qgemm_impl_name(impls[v]), c.bits, c.m, c.n, c.k);
                fails |= bad != 0;
            }
    }
done:
    free(x), free(bias), free(ref), free(mag), free(ybuf), free(ws);
    ia_qmat_free(q);
    ia_qweights_free(&w);
    return fails;
}

/* ---- the reference ----------------------------------------------------- */

IA_TEST(qgemm_reference_hand_case) {
    /* x groups chosen so the scales are exact in binary: group 0 has amax
     * 127 (sa = 1, codes 127 and round-half-even(-2.5) = -2), group 1 has
     * amax 63.5 (sa = 0.5, codes -127 and 1). Expected values worked by
     * hand from dequantised weights · dequantised activations. */
    ia_qweights w;
    const float x[4] = {127.0f, -2.5f, -63.5f, 0.5f};
    const uint8_t q[8] = {1, 3, 3, 4, 15, 1, 0, 15};
    const float d[4] = {0.5f, 0.25f, 1.0f, 1.0f}, m[4] = {-1.0f, 2.0f, 0.0f, 0.0f};
    const float bias[2] = {1.0f, -1.0f};
    float y[2];
    REQUIRE(ia_qweights_alloc(&w, 4, 2, 4, 2) == IA_OK);
    memcpy(w.q, q, sizeof q), memcpy(w.d, d, sizeof d), memcpy(w.m, m, sizeof m);
    ia_qgemm_reference(&w, 1, x, 4, NULL, y, 2);
    /* row 0: [-0.5, 0.5]·[127, -2] + [2.75, 3]·[-63.5, 0.5] = -64.5 - 173.125 */
    CHECK_MSG(y[0] == -237.625f, "y0 = %.9g", y[0]);
    /* row 1: [15, 1]·[127, -2] + [0, 15]·[-63.5, 0.5] = 1903 + 7.5 */
    CHECK_MSG(y[1] == 1910.5f, "y1 = %.9g", y[1]);
    ia_qgemm_reference(&w, 1, x, 4, bias, y, 2);
    CHECK(y[0] == -236.625f && y[1] == 1909.5f);
    ia_qweights_free(&w);
}

IA_TEST(qgemm_reference_vs_float) {
    /* Random small cases: the reference equals dequant(W) · dequant(xq)
     * computed here in double, with the activation codes formed by an
     * independent transcription of qmat.h's rule. */
    for (int t = 0; t < 40; t++) {
        int bits = t % 3 == 0 ? 8 : t % 3 == 1 ? 4 : 2;
        int group = 2 + (int)(rnd() % 6), k = group * (1 + (int)(rnd() % 4));
        int n = 1 + (int)(rnd() % 5), m = 1 + (int)(rnd() % 3);
        ia_qweights w;
        float *wf, x[28 * 3], y[5 * 3]; /* k ≤ 7 · 4, m ≤ 3, n ≤ 5 */
        REQUIRE(make_weights(&w, bits, n, k, group, W_RANDOM));
        wf = malloc((size_t)n * k * sizeof *wf);
        REQUIRE(wf);
        ia_qweights_dequantize(&w, wf);
        for (int i = 0; i < m * k; i++) x[i] = 3.0f * rndf();
        ia_qgemm_reference(&w, m, x, k, NULL, y, n);
        for (int r = 0; r < m; r++)
            for (int j = 0; j < n; j++) {
                double want = 0, mag = 0;
                for (int g = 0; g < k / group; g++) {
                    float amax = 0;
                    for (int p = g * group; p < (g + 1) * group; p++)
                        if (fabsf(x[r * k + p]) > amax) amax = fabsf(x[r * k + p]);
                    for (int p = g * group; p < (g + 1) * group; p++) {
                        float v = amax > 0 ? x[r * k + p] * (127.0f / amax) : 0.0f;
                        double xd = (double)nearbyintf(v) * (double)(amax / 127.0f);
                        want += (double)wf[j * k + p] * xd;
                        mag += fabs((double)wf[j * k + p] * xd);
                    }
                }
                /* dequant rounds w once (d·q + m in float): ~1e-7 relative */
                CHECK_MSG(fabs(y[r * n + j] - want) <= 1e-6 * mag + 1e-30,
                          "bits=%d k=%d group=%d y[%d][%d]=%.9g want %.9g", bits, k, group, r, j,
                          y[r * n + j], want);
            }
        free(wf);
        ia_qweights_free(&w);
    }
}

/* ---- plain and packed forms -------------------------------------------- */

IA_TEST(qmat_dequantize) {
    ia_qweights w;
    float *out;
    REQUIRE(make_weights(&w, 4, 5, 64, 32, W_RANDOM));
    out = malloc(5 * 64 * sizeof *out);
    REQUIRE(out);
    ia_qweights_dequantize(&w, out);
    for (int j = 0; j < 5; j++)
        for (int p = 0; p < 64; p++) {
            int s = j * 2 + p / 32;
            CHECK(out[j * 64 + p] == w.d[s] * (float)w.q[j * 64 + p] + w.m[s]);
        }
    free(out);
    ia_qweights_free(&w);
}

IA_TEST(qmat_pack_roundtrip) {
    static const int ns[] = {1, 16, 17, 100};
    static const int ks[] = {32, 96, 384};
    for (int b = 0; b < 3; b++)
        for (size_t in = 0; in < sizeof ns / sizeof *ns; in++)
            for (size_t ik = 0; ik < sizeof ks / sizeof *ks; ik++)
                for (int group = 32; group <= ks[ik]; group *= 2) {
                    int bits = b == 0 ? 8 : b == 1 ? 4 : 2, n = ns[in], k = ks[ik];
                    int gr = k % group ? k : group; /* 96: 32 and k itself */
                    ia_qweights w, u;
                    ia_qmat *q = NULL;
                    size_t scales = (size_t)n * (k / gr);
                    REQUIRE(make_weights(&w, bits, n, k, gr, W_RANDOM));
                    CHECK_STATUS(ia_qmat_pack(&w, &q), IA_OK);
                    if (!q) {
                        ia_qweights_free(&w);
                        return;
                    }
                    CHECK(ia_qmat_bits(q) == bits && ia_qmat_rows(q) == n && ia_qmat_cols(q) == k &&
                          ia_qmat_group(q) == gr);
                    /* codes padded to 16 channels, plus d and m */
                    CHECK(ia_qmat_bytes(q) >= (size_t)n * k * bits / 8 + 2 * scales * sizeof(float));
                    CHECK_STATUS(ia_qmat_unpack(q, &u), IA_OK);
                    CHECK(u.bits == bits && u.n == n && u.k == k && u.group == gr);
                    CHECK(memcmp(u.q, w.q, (size_t)n * k) == 0);
                    CHECK(memcmp(u.d, w.d, scales * sizeof(float)) == 0);
                    CHECK(memcmp(u.m, w.m, scales * sizeof(float)) == 0);
                    ia_qweights_free(&u);
                    ia_qmat_free(q);
                    ia_qweights_free(&w);
                    if (gr == k) break;
                }
}

IA_TEST(qmat_pack_rejects) {
    ia_qweights w;
    ia_qmat *q = (ia_qmat *)&w; /* must be reset to NULL on failure */
    /* invalid plain forms */
    CHECK_STATUS(ia_qweights_alloc(&w, 3, 4, 32, 32), IA_ERR_INVALID_ARG);
    CHECK_STATUS(ia_qweights_alloc(&w, 4, 4, 32, 24), IA_ERR_INVALID_ARG);
    CHECK_STATUS(ia_qweights_alloc(&w, 4, 0, 32, 32), IA_ERR_INVALID_ARG);
    CHECK_STATUS(ia_qmat_pack(NULL, &q), IA_ERR_INVALID_ARG);
    CHECK(q == NULL);
    /* valid, but not a shape the kernels take */
    /* {64, 16} is taken: ggml's k-quants scale every 16 */
    static const int shapes[][2] = {{48, 48}, {40, 40}, {48, 16}, {96, 48}, {32, 8}};
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
        REQUIRE(make_weights(&w, 4, 3, shapes[i][0], shapes[i][1], W_RANDOM));
        q = (ia_qmat *)&w;
        CHECK_STATUS(ia_qmat_pack(&w, &q), IA_ERR_UNSUPPORTED);
        CHECK(q == NULL);
        ia_qweights_free(&w);
    }
    /* a code out of range for its bits, anywhere (last element here) */
    for (int bits = 2; bits <= 8; bits *= 2) {
        REQUIRE(make_weights(&w, bits, 3, 64, 32, W_RANDOM));
        CHECK_STATUS(ia_qmat_pack(&w, &q), IA_OK);
        ia_qmat_free(q);
        if (bits < 8) {
            w.q[3 * 64 - 1] = (uint8_t)(1u << bits);
            CHECK_STATUS(ia_qmat_pack(&w, &q), IA_ERR_INVALID_ARG);
            CHECK(q == NULL);
        }
        ia_qweights_free(&w);
    }
}

/* ---- kernels ----------------------------------------------------------- */

IA_TEST(qgemm_variants) {
    const ia_qgemm_impl *best = ia_qgemm_pick(NULL);
    CHECK(!strcmp(ia_qgemm_impl_name(ia_qgemm_pick("generic")), "generic"));
    CHECK(ia_qgemm_pick("bogus") == best);
    if (!getenv("IA_KERNEL")) {
        const char *a2 = ia_qgemm_impl_name(ia_qgemm_pick("avx2"));
        const char *w = ia_qgemm_impl_name(ia_qgemm_pick("wasm_simd128"));
        CHECK(!strcmp(a2, "avx2") || !strcmp(a2, "wasm_simd128") || !strcmp(a2, "generic"));
        CHECK(ia_qgemm_pick("avx512") == best && ia_qgemm_pick("avx512-vnni") == best);
#if defined(__wasm_simd128__)
        CHECK(!strcmp(w, "wasm_simd128") && best == ia_qgemm_pick("wasm_simd128"));
#else
        CHECK(!strcmp(w, "generic"));
#endif
    }
    for (int v = 0; v < N_VARIANTS; v++)
        fprintf(stderr, "  qgemm cap %-12s -> %s\n", variants[v] ? variants[v] : "none",
                ia_qgemm_impl_name(ia_qgemm_pick(variants[v])));
}

IA_TEST(qgemm_shapes_vs_reference) {
    static const int mnk[][3] = {
        {1, 16, 32}, {7, 17, 64}, {33, 100, 384}, {1, 100, 1536}, {7, 16, 1536},
        {33, 17, 128}, {13, 64, 384}, {2, 200, 96},
    };
    ia_pool *pool = NULL;
    REQUIRE(ia_pool_create(2, &pool) == IA_OK);
    for (int b = 0; b < 3; b++)
        for (size_t s = 0; s < sizeof mnk / sizeof *mnk; s++) {
            int bits = b == 0 ? 8 : b == 1 ? 4 : 2, k = mnk[s][2];
            static const int groups[] = {16, 32, 64, 128, 0};
            for (int g = 0; g < 5; g++) {
                int group = groups[g] ? groups[g] : k;
                qcase c = {bits, mnk[s][0], mnk[s][1], k, group, s % 2 ? 3 : 0, s % 2 ? 5 : 0,
                           X_RANDOM, W_RANDOM, 0};
                if (k % group || (g < 4 && group == k)) continue;
                if (run_case(c, s % 3 ? NULL : pool, ia_failed_)) goto out;
            }
        }
out:
    ia_pool_free(pool);
}

IA_TEST(qgemm_adversarial) {
    static const xmode xs[] = {X_EQUAL, X_ZERO_ROWS, X_OUTLIERS, X_EXTREME};
    for (int b = 0; b < 3; b++)
        for (size_t i = 0; i < sizeof xs / sizeof *xs; i++)
            for (int wm = 0; wm < 2; wm++) {
                int bits = b == 0 ? 8 : b == 1 ? 4 : 2;
                qcase c1 = {bits, 9, 33, 384, 384, 1, 2, xs[i], (wmode)wm, 0};
                qcase c2 = {bits, 5, 48, 1536, 32, 0, 0, xs[i], (wmode)wm, 0};
                qcase c3 = {bits, 7, 40, 512, 16, 0, 0, xs[i], (wmode)wm, 0}; /* k-quant sub-blocks */
                if (run_case(c1, NULL, ia_failed_) || run_case(c2, NULL, ia_failed_) ||
                    run_case(c3, NULL, ia_failed_))
                    return;
            }
}

IA_TEST(qgemm_integer_exact) {
    /* d = 1, m = 0 and activations with sa = 1 (amax 127 in every group of
     * 32, integer values): every output is an integer dot product below
     * 2^24, so every kernel must match the reference exactly — one wrong
     * code anywhere shows, and so does rounding a tie (x = j + 0.5) any
     * way but half to even. Max codes × ±127 reach 255·127·384 = 12.4 M. */
    static const int groups[] = {32, 128, 384};
    static const xmode xs[] = {X_INTEGER, X_TIES, X_PM127};
    for (int b = 0; b < 3; b++)
        for (int i = 0; i < 3; i++)
            for (int g = 0; g < 3; g++) {
                int bits = b == 0 ? 8 : b == 1 ? 4 : 2;
                qcase c = {bits, 11, 40, 384, groups[g], 0, 0, xs[i],
                           xs[i] == X_PM127 ? W_MAXUNIT : W_UNIT, 1};
                if (run_case(c, NULL, ia_failed_)) return;
            }
}

IA_TEST(qgemm_threads_bitwise) {
    /* 2 threads split columns (few rows: rows quantised in shared slices)
     * or row chunks (many rows); every output must be computed by the same
     * instructions either way. */
    /* (below the parallel threshold: one thread either way), column split
     * ×2, row split ×2 */
    static const int mnk[][3] = {{5, 384, 384},   {40, 1536, 384},  {100, 1000, 128},
                                 {600, 100, 384}, {1000, 384, 1536}};
    ia_pool *pool = NULL;
    const ia_qgemm_impl *impls[N_VARIANTS];
    int nimpl = distinct_impls(impls);
    REQUIRE(ia_pool_create(2, &pool) == IA_OK);
    for (size_t s = 0; s < sizeof mnk / sizeof *mnk; s++)
        for (int bits = 2; bits <= 8; bits *= 2) {
            int m = mnk[s][0], n = mnk[s][1], k = mnk[s][2], group = bits == 8 ? k : 64;
            ia_qweights w;
            ia_qmat *q = NULL;
            float *x = make_x(m, k, k, X_RANDOM), *bias = malloc((size_t)n * sizeof *bias);
            float *y1 = malloc((size_t)m * n * sizeof *y1), *y2 = malloc((size_t)m * n * sizeof *y2);
            void *ws;
            REQUIRE(x && bias && y1 && y2);
            REQUIRE(make_weights(&w, bits, n, k, group, W_RANDOM));
            REQUIRE(ia_qmat_pack(&w, &q) == IA_OK);
            ws = ws_alloc(q, m);
            REQUIRE(ws);
            for (int j = 0; j < n; j++) bias[j] = rndf();
            for (int v = 0; v < nimpl; v++) {
                if (m * (int64_t)n * k > 50000000 && strcmp(ia_qgemm_impl_name(impls[v]), "generic") == 0)
                    continue; /* the portable kernel is slow under ASan; shapes above cover it */
                memset(y1, 0, (size_t)m * n * sizeof *y1);
                memset(y2, 0xFF, (size_t)m * n * sizeof *y2);
                /* poison the workspace before each call: rows one path
                 * forgot to quantise must not inherit the other's codes */
                memset(ws, 0x5A, ia_qgemm_workspace_size(q, m));
                ia_qgemm(impls[v], NULL, 0, q, m, x, k, bias, y1, n, twice_plus_one, ws);
                memset(ws, 0x5A, ia_qgemm_workspace_size(q, m));
                ia_qgemm(impls[v], pool, 0, q, m, x, k, bias, y2, n, twice_plus_one, ws);
                CHECK_MSG(memcmp(y1, y2, (size_t)m * n * sizeof *y1) == 0,
                          "%s bits=%d m=%d n=%d k=%d: 1 and 2 threads differ",
                          ia_qgemm_impl_name(impls[v]), bits, m, n, k);
            }
            free(x), free(bias), free(y1), free(y2), free(ws);
            ia_qmat_free(q);
            ia_qweights_free(&w);
        }
    ia_pool_free(pool);
}

IA_TEST(qgemm_nan_propagates) {
    /* a NaN in a row makes that row's outputs NaN in every kernel (its
     * group scale is NaN: the amax step keeps NaN) and leaves other rows
     * alone */
    const ia_qgemm_impl *impls[N_VARIANTS];
    int nimpl = distinct_impls(impls);
    for (int group = 16; group <= 32; group += 16) { /* 16: the k-quants' own quantisation path */
        ia_qweights w;
        ia_qmat *q = NULL;
        float *x = make_x(3, 128, 128, X_RANDOM), y[3 * 20], ref[3 * 20];
        void *ws;
        REQUIRE(x);
        REQUIRE(make_weights(&w, 4, 20, 128, group, W_RANDOM));
        REQUIRE(ia_qmat_pack(&w, &q) == IA_OK);
        ws = ws_alloc(q, 3);
        REQUIRE(ws);
        x[128 + 77] = nanf("");
        ia_qgemm_reference(&w, 3, x, 128, NULL, ref, 20);
        for (int v = 0; v < nimpl; v++) {
            ia_qgemm(impls[v], NULL, 0, q, 3, x, 128, NULL, y, 20, NULL, ws);
            for (int j = 0; j < 20; j++) {
                CHECK_MSG(isnan(y[20 + j]) && isnan(ref[20 + j]), "%s y[1][%d] = %g",
                          ia_qgemm_impl_name(impls[v]), j, y[20 + j]);
                CHECK(!isnan(y[j]) && !isnan(y[40 + j]));
            }
        }
        free(x), free(ws);
        ia_qmat_free(q);
        ia_qweights_free(&w);
    }
}
