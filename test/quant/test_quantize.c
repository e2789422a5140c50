/*
 * test_quantize.c — the weight quantisers (quant/quantize.h): round-trip
 * error bounds per format, the clip search never losing to plain scaling,
 * importance steering the error, byte-identity with ggml's reference
 * quantisers at the q8_0 / q4_0 / q4_1 settings, exact block and packed
 * layouts, and the edge rows (zeros, constants, outliers, NaN).
 */
#include <cjson/cJSON.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/gguf.h"
#include "harness.h"
#include "tensor/qweights.h"
#include "quant/quantize.h"
#include "tensor/fp16.h"
#include "util/mapped_file.h"

/* xorshift64: the same numbers on every platform, so bounds measured once hold. */
static uint64_t rng_state;
static double urand(void) {
    rng_state ^= rng_state << 13, rng_state ^= rng_state >> 7, rng_state ^= rng_state << 17;
    return ((double)(rng_state >> 11) + 0.5) / 9007199254740992.0;
}
static double gauss(void) { return sqrt(-2.0 * log(urand())) * cos(6.283185307179586 * urand()); }

static float *gauss_matrix(int64_t n, int64_t k, double sigma, uint64_t seed) {
    float *w = malloc((size_t)(n * k) * sizeof *w);
    rng_state = seed;
    for (int64_t i = 0; w && i < n * k; i++) w[i] = (float)(sigma * gauss());
    return w;
}

static ia_quant_params params(int bits, int asym, int64_t group, int clip, int fp16) {
    ia_quant_params p = {bits, asym ? IA_QUANT_ASYMMETRIC : IA_QUANT_SYMMETRIC, group, NULL, clip, fp16};
    return p;
}

static const int BITS[3] = {8, 4, 2};

/* Largest relative RMS error (percent) over rows of 384 and of 1536
 * N(0, 0.05²) weights, fp16 scales or not, measured with the seeds below
 * and rounded up by ~3 %: [bits 8/4/2][sym, asym][group 32, 64, 128, k].
 * For reference, the best uniform quantiser of a Gaussian has 10.7 % at 4
 * bits and 34.5 % at 2 bits: the per-channel clip search reaches them. */
static const double BOUND_PLAIN[3][2][4] = {
    {{0.56, 0.62, 0.67, 0.85}, {0.48, 0.54, 0.61, 0.80}},
    {{8.9, 9.8, 10.8, 13.3}, {8.2, 9.3, 10.5, 13.5}},
    {{47.3, 52.3, 57.5, 72.8}, {40.7, 47.0, 52.4, 68.1}},
};
static const double BOUND_CLIP[3][2][4] = {
    {{0.54, 0.60, 0.66, 0.83}, {0.45, 0.52, 0.60, 0.79}},
    {{8.35, 9.25, 10.0, 11.0}, {7.3, 8.45, 9.5, 10.95}},
    {{34.0, 35.0, 35.5, 35.7}, {30.7, 33.1, 34.4, 35.4}},
};

/* Plain scaling: every weight within half a step of its level (a whole
 * step for 4-bit symmetric: q4_0's top code is cut at 15, so the side
 * opposite the extreme reaches 8 steps with 7 codes), plus, with fp16
 * scales, the rounding of d (2^-11 relative, times up to 2^bits codes) and
 * of m; relative RMS below the measured bounds. Clip search: RMS bounds. */
IA_TEST(quantize_round_trip_error_bounds) {
    const int64_t n = 16, ks[2] = {384, 1536};
    for (int ki = 0; ki < 2; ki++) {
        int64_t k = ks[ki], groups[4] = {32, 64, 128, k};
        float *w = gauss_matrix(n, k, 0.05, 0x9e3779b97f4a7c15ull + (uint64_t)k);
        float *y = malloc((size_t)(n * k) * sizeof *y);
        REQUIRE(w && y);
        for (int b = 0; b < 3; b++)
            for (int asym = 0; asym < 2; asym++)
                for (int gi = 0; gi < 4; gi++)
                    for (int clip = 0; clip < 2; clip++)
                        for (int fp16 = 0; fp16 < 2; fp16++) {
                            ia_quant_params p = params(BITS[b], asym, groups[gi], clip, fp16);
                            ia_qweights q;
                            double rel, bound = (clip ? BOUND_CLIP : BOUND_PLAIN)[b][asym][gi];
                            int bad = 0;
                            CHECK_STATUS(ia_quantize_weights(w, n, k, &p, &q), IA_OK);
                            if (!q.q) continue;
                            ia_qweights_dequantize(&q, y);
                            for (int64_t i = 0; i < n * k && !clip && bad < 3; i++) {
                                int64_t s = (i / k) * (k / q.group) + (i % k) / q.group;
                                float d = fabsf(q.d[s]), m = fabsf(q.m[s]);
                                double lim = (!asym && BITS[b] == 4 ? 1.0 : 0.5) * d * (1 + 1e-5) +
                                             (fp16 ? ldexp(m + (1 << BITS[b]) * d, -11) * 1.01 : 0.0);
                                if (fabs((double)w[i] - y[i]) > lim) {
                                    CHECK_MSG(0, "%d-bit %s group %lld fp16 %d: |w - w'| = %g > %g at %lld", BITS[b],
                                              asym ? "asym" : "sym", (long long)groups[gi], fp16,
                                              fabs((double)w[i] - y[i]), lim, (long long)i);
                                    bad++;
                                }
                            }
                            rel = 100.0 * sqrt(ia_quant_error(w, &q, NULL));
                            CHECK_MSG(rel < bound, "%d-bit %s group %lld clip %d fp16 %d: rel RMS %.4f %% >= %.4f %%",
                                      BITS[b], asym ? "asym" : "sym", (long long)groups[gi], clip, fp16, rel, bound);
                            ia_qweights_free(&q);
                        }
        free(w), free(y);
    }
}

/* Heavy tails: Gaussian with 1 % of weights ×12 (outliers that stretch a
 * group's range), random importance. The search keeps ratio 1 as a
 * candidate, so it never does worse on the importance-weighted error, and
 * here it must do strictly better: measured error ratios clip / plain are
 * 0.52-0.98 at 8 bits, 0.43-0.90 at 4 bits, 0.04-0.25 at 2 bits; required
 * below 1, 0.95 and 0.4. */
IA_TEST(quantize_clip_search_never_worse) {
    const int64_t n = 12, k = 256;
    float *w = malloc((size_t)(n * k) * sizeof *w), imp[256], *y0 = malloc((size_t)(n * k) * sizeof *y0),
          *y1 = malloc((size_t)(n * k) * sizeof *y1);
    REQUIRE(w && y0 && y1);
    for (int seed = 1; seed <= 3; seed++) {
        rng_state = 0x51ed2701u * (uint64_t)seed;
        for (int64_t i = 0; i < n * k; i++) w[i] = (float)(gauss() * (urand() < 0.01 ? 12.0 : 1.0));
        for (int j = 0; j < k; j++) imp[j] = (float)exp(1.5 * gauss());
        for (int b = 0; b < 3; b++)
            for (int asym = 0; asym < 2; asym++)
                for (int64_t group = 32; group <= k; group *= 8 /* 32, 256 = k */)
                    for (int fp16 = 0; fp16 < 2; fp16++) {
                        ia_quant_params p0 = params(BITS[b], asym, group, 0, fp16), p1 = p0;
                        ia_qweights q0, q1;
                        double e0, e1;
                        p0.importance = p1.importance = imp;
                        p1.clip_search = 1;
                        CHECK_STATUS(ia_quantize_weights(w, n, k, &p0, &q0), IA_OK);
                        CHECK_STATUS(ia_quantize_weights(w, n, k, &p1, &q1), IA_OK);
                        if (!q0.q || !q1.q) continue;
                        e0 = ia_quant_error(w, &q0, imp), e1 = ia_quant_error(w, &q1, imp);
                        /* the promise is per group, so check it per group */
                        ia_qweights_dequantize(&q0, y0), ia_qweights_dequantize(&q1, y1);
                        for (int64_t g0 = 0; g0 < n * k; g0 += group) {
                            double a0 = 0, a1 = 0;
                            for (int64_t i = g0; i < g0 + group; i++) {
                                a0 += imp[i % k] * ((double)w[i] - y0[i]) * ((double)w[i] - y0[i]);
                                a1 += imp[i % k] * ((double)w[i] - y1[i]) * ((double)w[i] - y1[i]);
                            }
                            if (a1 > a0 * (1 + 1e-6) + 1e-30) {
                                CHECK_MSG(0, "seed %d %d-bit %s group %lld fp16 %d: group at %lld: clip %g > plain %g", seed,
                                          BITS[b], asym ? "asym" : "sym", (long long)group, fp16, (long long)g0, a1, a0);
                                break;
                            }
                        }
                        /* 1e-7: at the q8_0/q4_0/q4_1 settings plain scaling is
                         * ggml's, whose codes come from the unrounded scale;
                         * ours are the nearest levels of the stored one, equal
                         * or better up to float ties */
                        CHECK_MSG(e1 <= e0 * (1 + 1e-7), "seed %d %d-bit %s group %lld fp16 %d: clip %g > plain %g", seed,
                                  BITS[b], asym ? "asym" : "sym", (long long)group, fp16, e1, e0);
                        CHECK_MSG(e1 < (BITS[b] == 8 ? 1.0 : BITS[b] == 4 ? 0.95 : 0.4) * e0,
                                  "seed %d %d-bit %s group %lld fp16 %d: clip %g vs plain %g", seed, BITS[b],
                                  asym ? "asym" : "sym", (long long)group, fp16, e1, e0);
                        ia_qweights_free(&q0), ia_qweights_free(&q1);
                    }
    }
    free(w), free(y0), free(y1);
}

/* One input column 10^4 times as important as the rest: the search trades
 * the others' error for its own, so its squared error over all rows drops
 * (measured: 100× lower at 4-bit symmetric, up to 10^6× asymmetric, where
 * (d, m) can put a level on it; required: 10×) while the unweighted error
 * of the whole matrix grows at most 1.75× (required: below 2×). */
IA_TEST(quantize_importance_steers_error) {
    const int64_t n = 32, k = 256, hot = 37;
    float *w = gauss_matrix(n, k, 1.0, 77), imp[256], *y0 = malloc((size_t)(n * k) * sizeof *y0),
          *y1 = malloc((size_t)(n * k) * sizeof *y1);
    REQUIRE(w && y0 && y1);
    for (int j = 0; j < k; j++) imp[j] = j == hot ? 1e4f : 1.0f;
    for (int b = 1; b < 3; b++)
        for (int asym = 0; asym < 2; asym++)
            for (int64_t group = 32; group <= 128; group *= 4) {
                ia_quant_params p0 = params(BITS[b], asym, group, 1, 0), p1 = p0;
                ia_qweights q0, q1;
                double e0 = 0, e1 = 0;
                p1.importance = imp;
                CHECK_STATUS(ia_quantize_weights(w, n, k, &p0, &q0), IA_OK);
                CHECK_STATUS(ia_quantize_weights(w, n, k, &p1, &q1), IA_OK);
                if (!q0.q || !q1.q) continue;
                ia_qweights_dequantize(&q0, y0), ia_qweights_dequantize(&q1, y1);
                for (int64_t r = 0; r < n; r++) {
                    double a = w[r * k + hot] - y0[r * k + hot], c = w[r * k + hot] - y1[r * k + hot];
                    e0 += a * a, e1 += c * c;
                }
                CHECK_MSG(e1 < 0.1 * e0, "%d-bit %s group %lld: hot column error %g with importance, %g without",
                          BITS[b], asym ? "asym" : "sym", (long long)group, e1, e0);
                CHECK(ia_quant_error(w, &q1, NULL) < 2.0 * ia_quant_error(w, &q0, NULL));
                ia_qweights_free(&q0), ia_qweights_free(&q1);
            }
    free(w), free(y0), free(y1);
}

/* ---- ggml identity ---- */

static const struct {
    int bits, asym, type;
    size_t block;
    const char *name;
} GGML[3] = {
    {8, 0, IA_DTYPE_Q8_0, sizeof(ia_block_q8_0), "q8_0"},
    {4, 0, IA_DTYPE_Q4_0, sizeof(ia_block_q4_0), "q4_0"},
    {4, 1, IA_DTYPE_Q4_1, sizeof(ia_block_q4_1), "q4_1"},
};

static ia_status ggml_ref(int type, const float *x, void *blocks, int64_t count) {
    return type == IA_DTYPE_Q8_0   ? ia_quantize_q8_0(x, blocks, count)
           : type == IA_DTYPE_Q4_0 ? ia_quantize_q4_0(x, blocks, count)
                                  : ia_quantize_q4_1(x, blocks, count);
}

/* Whether any block of ggml's output holds an inf scale (or min). */
static int ggml_has_inf(int t, const unsigned char *blocks, int64_t nb) {
    for (int64_t b = 0; b < nb; b++) {
        uint16_t h[2];
        memcpy(h, blocks + (size_t)b * GGML[t].block, sizeof h);
        if ((h[0] & 0x7c00) == 0x7c00 || (GGML[t].type == IA_DTYPE_Q4_1 && (h[1] & 0x7c00) == 0x7c00)) return 1;
    }
    return 0;
}

/* Quantises x [n][k] at type t's settings and compares the blocks with
 * ggml's reference quantiser run on ref_x (x when NULL) and with `want_hex`
 * when given (gguf-py's bytes). Rows whose scale overflows fp16 must be
 * refused instead. */
static void check_ggml_identity(int *ia_failed_, int t, const float *x, const float *ref_x, int64_t n, int64_t k,
                                const char *what, const char *want_hex) {
    ia_quant_params p = params(GGML[t].bits, GGML[t].asym, 32, 0, 1);
    int64_t nb = n * k / 32;
    unsigned char *ref = malloc((size_t)nb * GGML[t].block), *ours = malloc((size_t)nb * GGML[t].block);
    ia_qweights q;
    ia_status st;
    REQUIRE(ref && ours);
    CHECK_STATUS(ggml_ref(GGML[t].type, ref_x ? ref_x : x, ref, n * k), IA_OK);
    st = ia_quantize_weights(x, n, k, &p, &q);
    if (ggml_has_inf(t, ref, nb)) {
        CHECK_MSG(st == IA_ERR_INVALID_ARG, "%s %s: a scale overflowing fp16 must be refused", what, GGML[t].name);
    } else if (st != IA_OK) {
        CHECK_MSG(0, "%s %s: %s", what, GGML[t].name, ia_last_error());
    } else {
        int type = ia_qweights_block_dtype(&q);
        /* q4_1 codes whose every m is -8 d (a zero row) fit q4_0 too, which is smaller */
        CHECK_MSG(type == GGML[t].type || (GGML[t].type == IA_DTYPE_Q4_1 && type == IA_DTYPE_Q4_0), "%s %s: type %d",
                  what, GGML[t].name, type);
        CHECK_STATUS(ia_qweights_to_dtype(&q, GGML[t].type, ours), IA_OK);
        CHECK_MSG(memcmp(ours, ref, (size_t)nb * GGML[t].block) == 0, "%s %s: blocks differ from ggml's", what,
                  GGML[t].name);
        if (want_hex)
            for (size_t i = 0; i < (size_t)nb * GGML[t].block; i++) {
                unsigned v;
                sscanf(want_hex + 2 * i, "%2x", &v);
                if (v != ours[i]) {
                    CHECK_MSG(0, "%s %s: byte %zu differs from gguf-py's", what, GGML[t].name, i);
                    break;
                }
            }
    }
    ia_qweights_free(&q);
    free(ref), free(ours);
}

/* clip_search = 0 at group 32 with fp16 scales is ggml's reference
 * quantisation, byte for byte: on random rows, on rows with ties and tiny
 * values, and on the gguf-py fixture rows (whose expected bytes come from
 * gguf-py itself). */
IA_TEST(quantize_plain_matches_ggml_bytes) {
    const int64_t n = 8, k = 256;
    float *w = gauss_matrix(n, k, 0.02, 4242);
    char *text = NULL;
    size_t len;
    cJSON *root, *row;
    float *z = malloc((size_t)(n * k) * sizeof *z);
    REQUIRE(w && z);
    for (int t = 0; t < 3; t++) check_ggml_identity(ia_failed_, t, w, NULL, n, k, "gaussian", NULL);
    /* ties (halves of the step) and a zero block; then a float-subnormal
     * block, where ggml's 1/d overflows and converts inf to an integer
     * (undefined): ours zeroes such a block first (its stored d is 0
     * either way), so the reference runs on zeros there */
    for (int64_t i = 0; i < n * k; i++) w[i] = (float)((int)(i % 17) - 8) * 0.5f;
    for (int64_t i = 32; i < 64; i++) w[i] = 0.0f;
    for (int t = 0; t < 3; t++) check_ggml_identity(ia_failed_, t, w, NULL, n, k, "ties", NULL);
    memcpy(z, w, (size_t)(n * k) * sizeof *z);
    for (int64_t i = 64; i < 96; i++) w[i] = (float)(i - 80) * 1e-42f, z[i] = 0.0f;
    for (int t = 0; t < 3; t++) check_ggml_identity(ia_failed_, t, w, z, n, k, "subnormal block", NULL);
    free(w), free(z);

    REQUIRE(ia_read_text_file(ia_test_source_path("test/fixtures/quant_blocks.json"), 16u << 20, &text, &len) == IA_OK);
    root = cJSON_ParseWithLength(text, len);
    free(text);
    REQUIRE(root);
    cJSON_ArrayForEach(row, cJSON_GetObjectItem(root, "rows")) {
        cJSON *xs = cJSON_GetObjectItem(row, "x"), *v;
        int cnt = cJSON_GetArraySize(xs), i = 0;
        float *x = malloc((size_t)cnt * sizeof *x);
        REQUIRE(x);
        cJSON_ArrayForEach(v, xs) x[i++] = (float)v->valuedouble;
        for (int t = 0; t < 3; t++)
            check_ggml_identity(ia_failed_, t, x, NULL, 1, cnt, cJSON_GetObjectItem(row, "name")->valuestring,
                                cJSON_GetObjectItem(row, GGML[t].name)->valuestring);
        free(x);
    }
    cJSON_Delete(root);
}

/* ---- layouts ---- */

static int qweights_equal(const ia_qweights *a, const ia_qweights *b) {
    size_t s = (size_t)(a->n * (a->k / a->group));
    return a->bits == b->bits && a->n == b->n && a->k == b->k && a->group == b->group &&
           memcmp(a->q, b->q, (size_t)(a->n * a->k)) == 0 && memcmp(a->d, b->d, s * sizeof *a->d) == 0 &&
           memcmp(a->m, b->m, s * sizeof *a->m) == 0;
}

/* Blocks → codes → blocks is the identity on any finite block (random
 * bytes, scales drawn from every finite half), and codes → blocks → codes
 * on what the clip search makes with fp16 scales. */
IA_TEST(quantize_blocks_round_trip_exact) {
    const int64_t n = 3, k = 96, nb = n * k / 32;
    unsigned char raw[9 * sizeof(ia_block_q8_0)], back[sizeof raw];
    float *w = gauss_matrix(n, k, 0.1, 99);
    REQUIRE(w);
    rng_state = 1234;
    for (int t = 0; t < 3; t++) {
        ia_qweights q, q2, p;
        ia_quant_params cp = params(GGML[t].bits, GGML[t].asym, 32, 1, 1);
        for (size_t i = 0; i < sizeof raw; i++) raw[i] = (unsigned char)(urand() * 256);
        for (int64_t b = 0; b < nb; b++) /* finite scales: exponent field below 31 */
            for (int h = 0; h < (GGML[t].type == IA_DTYPE_Q4_1 ? 2 : 1); h++)
                raw[(size_t)b * GGML[t].block + 2 * (size_t)h + 1] &= 0xbf;
        CHECK_STATUS(ia_qweights_from_dtype(GGML[t].type, 0, raw, n, k, &q), IA_OK);
        if (!q.q) continue;
        CHECK(ia_qweights_block_dtype(&q) == GGML[t].type || (t == 2 && ia_qweights_block_dtype(&q) == IA_DTYPE_Q4_0));
        memset(back, 0, sizeof back);
        CHECK_STATUS(ia_qweights_to_dtype(&q, GGML[t].type, back), IA_OK);
        CHECK_MSG(memcmp(raw, back, (size_t)nb * GGML[t].block) == 0, "%s: blocks -> codes -> blocks differ",
                  GGML[t].name);
        ia_qweights_free(&q);

        CHECK_STATUS(ia_quantize_weights(w, n, k, &cp, &p), IA_OK);
        CHECK(ia_qweights_block_dtype(&p) == GGML[t].type);
        CHECK_STATUS(ia_qweights_to_dtype(&p, GGML[t].type, back), IA_OK);
        CHECK_STATUS(ia_qweights_from_dtype(GGML[t].type, 0, back, n, k, &q2), IA_OK);
        CHECK_MSG(q2.q && qweights_equal(&p, &q2), "%s: codes -> blocks -> codes differ", GGML[t].name);
        ia_qweights_free(&p), ia_qweights_free(&q2);
    }
    free(w);
}

/* to_blocks refuses what a type cannot hold exactly; from_blocks refuses
 * inf / NaN scales (files are hostile) and shapes that are not blocks. */
IA_TEST(quantize_blocks_reject_nonconforming) {
    const int64_t n = 2, k = 64;
    float *w = gauss_matrix(n, k, 0.1, 5);
    ia_block_q4_1 blk[4];
    ia_block_q8_0 big[4]; /* room for n·k/32 blocks of the largest type, whatever to_blocks is asked */
    ia_qweights q, r;
    ia_quant_params p = params(8, 0, 32, 0, 1);
    REQUIRE(w);
    CHECK_STATUS(ia_quantize_weights(w, n, k, &p, &q), IA_OK);
    REQUIRE(q.q);
    CHECK(ia_qweights_block_dtype(&q) == IA_DTYPE_Q8_0);
    CHECK_STATUS(ia_qweights_to_dtype(&q, IA_DTYPE_Q4_0, big), IA_ERR_INVALID_ARG); /* 8 bits in a 4-bit type */
    CHECK_STATUS(ia_qweights_to_dtype(&q, IA_DTYPE_F16, big), IA_ERR_INVALID_ARG);
    q.m[1] = -127.0f * q.d[1]; /* not q8_0's offset */
    CHECK(ia_qweights_block_dtype(&q) == -1);
    CHECK_STATUS(ia_qweights_to_dtype(&q, IA_DTYPE_Q8_0, big), IA_ERR_INVALID_ARG);
    q.d[1] = 0.1f, q.m[1] = -12.8f; /* 0.1 is not a half */
    CHECK_STATUS(ia_qweights_to_dtype(&q, IA_DTYPE_Q8_0, big), IA_ERR_INVALID_ARG);
    ia_qweights_free(&q);

    p = params(4, 1, 32, 0, 0); /* float scales: almost never halves */
    CHECK_STATUS(ia_quantize_weights(w, n, k, &p, &q), IA_OK);
    CHECK(ia_qweights_block_dtype(&q) == -1);
    CHECK_STATUS(ia_qweights_to_dtype(&q, IA_DTYPE_Q4_1, big), IA_ERR_INVALID_ARG);
    ia_qweights_free(&q);
    p = params(4, 1, 64, 0, 1); /* group 64: no ggml type */
    CHECK_STATUS(ia_quantize_weights(w, n, k, &p, &q), IA_OK);
    CHECK(ia_qweights_block_dtype(&q) == -1);
    CHECK_STATUS(ia_qweights_to_dtype(&q, IA_DTYPE_Q4_1, big), IA_ERR_INVALID_ARG);
    ia_qweights_free(&q);
    p = params(2, 0, 32, 0, 1); /* 2 bits: no ggml type */
    CHECK_STATUS(ia_quantize_weights(w, n, k, &p, &q), IA_OK);
    CHECK(ia_qweights_block_dtype(&q) == -1);
    ia_qweights_free(&q);
    p = params(4, 0, 32, 0, 1);
    CHECK_STATUS(ia_quantize_weights(w, n, k, &p, &q), IA_OK);
    CHECK(ia_qweights_block_dtype(&q) == IA_DTYPE_Q4_0);
    q.q[5] = 16; /* not a 4-bit code */
    CHECK_STATUS(ia_qweights_to_dtype(&q, IA_DTYPE_Q4_0, big), IA_ERR_INVALID_ARG);
    ia_qweights_free(&q);

    memset(blk, 0, sizeof blk);
    blk[2].m = 0x7c00; /* q4_1 block 2: min = +inf */
    CHECK_STATUS(ia_qweights_from_dtype(IA_DTYPE_Q4_1, 0, blk, n, k, &r), IA_ERR_FORMAT);
    CHECK(r.q == NULL);
    blk[2].m = 0, blk[1].d = 0x7e00; /* NaN scale */
    CHECK_STATUS(ia_qweights_from_dtype(IA_DTYPE_Q4_1, 0, blk, n, k, &r), IA_ERR_FORMAT);
    CHECK_STATUS(ia_qweights_from_dtype(IA_DTYPE_Q4_1, 0, blk, 1, 48, &r), IA_ERR_INVALID_ARG);
    CHECK_STATUS(ia_qweights_from_dtype(IA_DTYPE_F32, 0, blk, 1, 32, &r), IA_ERR_INVALID_ARG);
    free(w);
}

/* Packed codes: ceil(k·bits/8) bytes a row, LSB first, zero padding;
 * pack → unpack is the identity for every width and odd k; the writer
 * stays inside n rows; nonzero padding is refused. */
IA_TEST(quantize_packed_codes_round_trip) {
    const int64_t ks[] = {1, 3, 7, 33, 100, 384};
    CHECK(ia_qweights_packed_row_bytes(8, 7) == 7);
    CHECK(ia_qweights_packed_row_bytes(4, 7) == 4);
    CHECK(ia_qweights_packed_row_bytes(2, 7) == 2);
    CHECK(ia_qweights_packed_row_bytes(2, 8) == 2);
    CHECK(ia_qweights_packed_row_bytes(2, 9) == 3);
    CHECK(ia_qweights_packed_row_bytes(3, 8) == 0);
    CHECK(ia_qweights_packed_row_bytes(4, 0) == 0);
    rng_state = 31337;
    for (int b = 0; b < 3; b++)
        for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++) {
            const int64_t n = 5, k = ks[ki];
            size_t rb = ia_qweights_packed_row_bytes(BITS[b], k), total = (size_t)n * rb;
            ia_qweights q, u;
            uint8_t *buf;
            int guard_ok = 1;
            CHECK(rb == (size_t)((k * BITS[b] + 7) / 8));
            REQUIRE(ia_qweights_alloc(&q, BITS[b], n, k, k) == IA_OK);
            REQUIRE(ia_qweights_alloc(&u, BITS[b], n, k, k) == IA_OK);
            for (int64_t i = 0; i < n * k; i++) q.q[i] = (uint8_t)(urand() * (1 << BITS[b]));
            buf = malloc(total + 16);
            REQUIRE(buf);
            memset(buf, 0xa5, total + 16);
            ia_qweights_pack_codes(&q, buf);
            for (size_t i = total; i < total + 16; i++) guard_ok &= buf[i] == 0xa5;
            CHECK_MSG(guard_ok, "%d bits k %lld: pack wrote past n rows", BITS[b], (long long)k);
            /* first code of each row in the low bits of the row's first byte */
            CHECK(((buf[rb] & ((1u << BITS[b]) - 1)) == q.q[k]));
            CHECK_STATUS(ia_qweights_unpack_codes(buf, &u), IA_OK);
            CHECK_MSG(memcmp(q.q, u.q, (size_t)(n * k)) == 0, "%d bits k %lld: codes differ", BITS[b], (long long)k);
            if ((k * BITS[b]) % 8) {
                buf[2 * rb - 1] |= 0x80; /* row 1, a padding bit */
                CHECK_STATUS(ia_qweights_unpack_codes(buf, &u), IA_ERR_FORMAT);
            }
            free(buf);
            ia_qweights_free(&q), ia_qweights_free(&u);
        }
}

/* ---- edge rows ---- */

/* Rows: zeros, a positive and a negative constant, one huge outlier among
 * small weights, float-subnormal values, and large ones. Every format and
 * setting: finite d and m, codes in range; zeros come back as zeros with
 * d = 0 and codes at the zero level; constants come back (near) exactly. */
IA_TEST(quantize_edge_rows) {
    enum { N = 6, K = 64 };
    float w[N * K], y[N * K];
    rng_state = 8;
    for (int j = 0; j < K; j++) {
        w[0 * K + j] = 0.0f;
        w[1 * K + j] = 0.37f;
        w[2 * K + j] = -2.5f;
        w[3 * K + j] = j == 41 ? 1e4f : (float)(0.01 * gauss());
        w[4 * K + j] = (float)(j - 30) * 1e-40f;
        w[5 * K + j] = (float)(3e4 * gauss());
    }
    for (int b = 0; b < 3; b++)
        for (int asym = 0; asym < 2; asym++)
            for (int64_t group = 32; group <= K; group *= 2)
                for (int clip = 0; clip < 2; clip++)
                    for (int fp16 = 0; fp16 < 2; fp16++) {
                        ia_quant_params p = params(BITS[b], asym, group, clip, fp16);
                        ia_qweights q;
                        int64_t ng = K / group, rows = fp16 ? 5 : 6; /* 3e4 overflows fp16 scales */
                        int zero = asym ? 0 : BITS[b] == 2 ? 2 : 1 << (BITS[b] - 1);
                        const char *what = asym ? "asym" : "sym";
                        CHECK_STATUS(ia_quantize_weights(w, rows, K, &p, &q), IA_OK);
                        if (!q.q) continue;
                        ia_qweights_dequantize(&q, y);
                        for (int64_t s = 0; s < rows * ng; s++)
                            CHECK_MSG(isfinite(q.d[s]) && isfinite(q.m[s]), "%d-bit %s: d %g m %g", BITS[b], what, q.d[s], q.m[s]);
                        for (int64_t i = 0; i < rows * K; i++) CHECK(q.q[i] < (1 << BITS[b]) && isfinite(y[i]));
                        for (int j = 0; j < K; j++) {
                            CHECK_MSG(y[j] == 0.0f && q.q[j] == zero, "%d-bit %s: zero row gives %g (code %d)", BITS[b], what, y[j], q.q[j]);
                            /* constants: exact up to d·q + m in float, or fp16's rounding */
                            CHECK_MSG(fabsf(y[K + j] - 0.37f) <= (fp16 ? 0.37f * 1e-3f : 1e-6f), "%d-bit %s clip %d fp16 %d: 0.37 -> %.9g",
                                      BITS[b], what, clip, fp16, y[K + j]);
                            CHECK_MSG(fabsf(y[2 * K + j] + 2.5f) <= (fp16 ? 2.5f * 1e-3f : 1e-6f), "%d-bit %s: -2.5 -> %.9g", BITS[b], what, y[2 * K + j]);
                            /* subnormal row: error at most the row's magnitude */
                            CHECK(fabsf(y[4 * K + j] - w[4 * K + j]) <= 1e-38f);
                        }
                        for (int64_t s = 0; s < ng; s++) CHECK(q.d[s] == 0.0f);
                        if (!clip) /* the outlier itself within half a step (a whole one for q4_0) */
                            CHECK_MSG(fabsf(y[3 * K + 41] - 1e4f) <= fabsf(q.d[3 * ng + 41 / group]) * 1.01f + 1e4f * 1e-3f * fp16,
                                      "%d-bit %s: outlier 1e4 -> %g", BITS[b], what, y[3 * K + 41]);
                        ia_qweights_free(&q);
                    }
}

/* NaN / Inf weights, scales that overflow fp16, bad parameters: refused
 * with the row named, and nothing left allocated. */
IA_TEST(quantize_rejects_bad_input) {
    enum { N = 5, K = 64 };
    float w[N * K], imp[K];
    ia_qweights q;
    ia_quant_params p = params(4, 0, 32, 1, 0);
    for (int i = 0; i < N * K; i++) w[i] = (float)(i % 7) - 3.0f;
    for (int j = 0; j < K; j++) imp[j] = 1.0f;
    w[3 * K + 5] = NAN;
    CHECK_STATUS(ia_quantize_weights(w, N, K, &p, &q), IA_ERR_INVALID_ARG);
    CHECK_MSG(strstr(ia_last_error(), "row 3") != NULL, "message: %s", ia_last_error());
    CHECK(q.q == NULL && q.d == NULL);
    w[3 * K + 5] = -INFINITY;
    p.clip_search = 0, p.fp16_scales = 1; /* the ggml path checks too */
    CHECK_STATUS(ia_quantize_weights(w, N, K, &p, &q), IA_ERR_INVALID_ARG);
    CHECK(strstr(ia_last_error(), "row 3") != NULL);
    w[3 * K + 5] = 0.0f;
    w[4 * K + 9] = 1e6f; /* q4_0's d = 1e6 / 8 is past fp16's 65504 */
    CHECK_STATUS(ia_quantize_weights(w, N, K, &p, &q), IA_ERR_INVALID_ARG);
    CHECK(strstr(ia_last_error(), "row 4") != NULL);
    p.group = 64; /* our own path, same rule */
    CHECK_STATUS(ia_quantize_weights(w, N, K, &p, &q), IA_ERR_INVALID_ARG);
    CHECK(strstr(ia_last_error(), "row 4") != NULL);
    p.fp16_scales = 0; /* float scales hold it */
    CHECK_STATUS(ia_quantize_weights(w, N, K, &p, &q), IA_OK);
    ia_qweights_free(&q);

    p = params(3, 0, 32, 0, 0);
    CHECK_STATUS(ia_quantize_weights(w, N, K, &p, &q), IA_ERR_INVALID_ARG);
    p = params(4, 0, 48, 0, 0);
    CHECK_STATUS(ia_quantize_weights(w, N, K, &p, &q), IA_ERR_INVALID_ARG);
    p = params(4, 0, 0, 0, 0);
    CHECK_STATUS(ia_quantize_weights(w, N, K, &p, &q), IA_ERR_INVALID_ARG);
    p = params(4, 0, 32, 0, 0);
    p.scheme = (ia_quant_scheme)7;
    CHECK_STATUS(ia_quantize_weights(w, N, K, &p, &q), IA_ERR_INVALID_ARG);
    p = params(4, 0, 32, 1, 0);
    imp[10] = -1.0f;
    p.importance = imp;
    CHECK_STATUS(ia_quantize_weights(w, N, K, &p, &q), IA_ERR_INVALID_ARG);
    imp[10] = NAN;
    CHECK_STATUS(ia_quantize_weights(w, N, K, &p, &q), IA_ERR_INVALID_ARG);
    p.importance = NULL;
    CHECK_STATUS(ia_quantize_weights(w, 0, K, &p, &q), IA_ERR_INVALID_ARG);
    CHECK_STATUS(ia_quantize_weights(NULL, N, K, &p, &q), IA_ERR_INVALID_ARG);
    CHECK_STATUS(ia_quantize_weights(w, N, K, NULL, &q), IA_ERR_INVALID_ARG);
}

/* ia_quant_error against a hand computation. */
IA_TEST(quantize_error_measure) {
    float w[4] = {1.0f, -1.0f, 0.5f, 2.0f}, imp[4] = {1.0f, 2.0f, 0.0f, 1.0f};
    ia_qweights q;
    REQUIRE(ia_qweights_alloc(&q, 8, 1, 4, 4) == IA_OK);
    q.d[0] = 0.5f, q.m[0] = -1.0f;
    q.q[0] = 4, q.q[1] = 0, q.q[2] = 0, q.q[3] = 6; /* ŵ = 1, -1, -1, 2 */
    CHECK(fabs(ia_quant_error(w, &q, NULL) - 2.25 / 6.25) < 1e-12);
    CHECK(ia_quant_error(w, &q, imp) == 0.0); /* the only miss has importance 0 */
    q.q[2] = 3;                               /* ŵ = 0.5: exact */
    CHECK(ia_quant_error(w, &q, NULL) == 0.0);
    ia_qweights_free(&q);
}
