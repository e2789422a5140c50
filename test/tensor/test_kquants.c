/*
 * test_kquants.c — ggml's k-quants, Q5_0 / Q5_1 and BF16 against gguf-py and llama.cpp
 * (test/fixtures/kquant_reference.json, scripts/make_kquant_reference.py):
 *   - dequantisation of random and edge blocks, bit for bit as gguf-py's;
 *   - our reference quantisers give llama.cpp's quantize_row_q*_K_ref
 *     and quantize_row_q5_0_ref / _q5_1_ref
 *     blocks byte for byte, whose dequantisation is gguf-py's bit for bit;
 *   - a GGUF written by gguf-py's GGUFWriter, read by formats/gguf.c;
 *   - the affine form (ia_kquant_sub_affine, ia_qweights_from_dtype) gives
 *     the dequantised values exactly, and corrupt scales are refused.
 */
#define _POSIX_C_SOURCE 200809L /* mkstemp */

#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "formats/gguf.h"
#include "harness.h"
#include "tensor/blocks.h"
#include "tensor/dtype.h"
#include "tensor/fp16.h"
#include "tensor/kquants.h"
#include "tensor/qweights.h"

static int b64val(int ch) {
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') return ch - '0' + 52;
    if (ch == '+') return 62;
    if (ch == '/') return 63;
    return -1;
}

/* base64 → bytes (malloc'd; *n their count). */
static unsigned char *b64(const cJSON *item, size_t *n) {
    const char *s = cJSON_GetStringValue(item);
    size_t len = s ? strlen(s) : 0, o = 0;
    unsigned char *out = malloc(len / 4 * 3 + 3);
    unsigned acc = 0;
    int bits = 0;
    if (!out) return NULL;
    for (size_t i = 0; i < len; i++) {
        int v = b64val(s[i]);
        if (v < 0) continue;
        acc = acc << 6 | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    *n = o;
    return out;
}

static cJSON *load_fixture(void) {
    size_t len;
    char *text = ia_test_read_file(ia_test_source_path("test/fixtures/kquant_reference.json"), &len);
    cJSON *j = text ? cJSON_ParseWithLength(text, len) : NULL;
    free(text);
    return j;
}

static int dtype_named(const char *s) {
    for (int t = 0; t < IA_DTYPE_COUNT; t++)
        if (!strcmp(ia_dtype_name((ia_dtype)t), s)) return t;
    return -1;
}

/* Index of the first float whose bits differ, or -1. */
static long first_diff(const float *a, const float *b, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (memcmp(&a[i], &b[i], sizeof *a)) return (long)i;
    return -1;
}

IA_TEST(kquant_dequantize_matches_gguf_py) {
    cJSON *fx = load_fixture(), *c;
    int cases = 0;
    REQUIRE(fx);
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(fx, "dequant")) {
        const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(c, "type"));
        int dt = dtype_named(type);
        size_t nb, nf;
        unsigned char *blocks = b64(cJSON_GetObjectItem(c, "blocks"), &nb);
        float *want = (float *)b64(cJSON_GetObjectItem(c, "f32"), &nf), *got;
        int64_t n = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(c, "n"));
        REQUIRE(dt >= 0 && blocks && want && nf == (size_t)n * 4);
        CHECK_MSG(ia_dtype_row_bytes((ia_dtype)dt, 0, n) == nb, "%s: %zu bytes for %lld values", type, nb, (long long)n);
        got = malloc((size_t)n * sizeof *got);
        REQUIRE(got);
        /* row by row of 256 (k-quants) or all at once: the same either way */
        ia_dtype_row_to_f32((ia_dtype)dt, 0, blocks, got, n);
        long at = first_diff(got, want, (size_t)n);
        CHECK_MSG(at < 0, "%s: value %ld is %.9g, gguf-py %.9g", type, at, at < 0 ? 0 : got[at], at < 0 ? 0 : want[at]);
        if (dt != IA_DTYPE_BF16) {
            /* the affine form gives the same values (exactly in reals;
             * compared here within one rounding of each term) */
            ia_qweights q;
            int64_t per = ia_dtype_block_elems((ia_dtype)dt, 0);
            CHECK(per == (dt == IA_DTYPE_Q5_0 || dt == IA_DTYPE_Q5_1 ? IA_QK : IA_QK_K));
            CHECK_STATUS(ia_qweights_from_dtype((ia_dtype)dt, 0, blocks, n / per, per, &q), IA_OK);
            if (q.q) {
                for (int64_t i = 0; i < n; i++) {
                    int64_t s = i / q.group;
                    double v = (double)q.d[s] * q.q[i] + q.m[s];
                    double tol = 2 * 6e-8 * (fabs((double)q.d[s] * q.q[i]) + fabs(q.m[s]));
                    if (!(fabs(v - want[i]) <= tol)) {
                        CHECK_MSG(0, "%s: affine value %lld is %.9g, want %.9g", type, (long long)i, v, want[i]);
                        break;
                    }
                    if (q.q[i] >> q.bits) {
                        CHECK_MSG(0, "%s: code %u does not fit %d bits", type, q.q[i], q.bits);
                        break;
                    }
                }
                ia_qweights_free(&q);
            }
        }
        cases++;
        free(blocks), free(want), free(got);
    }
    CHECK(cases == 8);
    cJSON_Delete(fx);
}

typedef ia_status (*quant_fn)(const float *, void *, int64_t);

static quant_fn quantizer(int dt) {
    switch (dt) {
    case IA_DTYPE_Q2_K: return (quant_fn)ia_quantize_q2_K;
    case IA_DTYPE_Q3_K: return (quant_fn)ia_quantize_q3_K;
    case IA_DTYPE_Q4_K: return (quant_fn)ia_quantize_q4_K;
    case IA_DTYPE_Q5_K: return (quant_fn)ia_quantize_q5_K;
    case IA_DTYPE_Q6_K: return (quant_fn)ia_quantize_q6_K;
    case IA_DTYPE_Q5_0: return (quant_fn)ia_quantize_q5_0;
    case IA_DTYPE_Q5_1: return (quant_fn)ia_quantize_q5_1;
    default: return NULL;
    }
}

IA_TEST(kquant_quantize_matches_llama_cpp) {
    cJSON *fx = load_fixture(), *c;
    int cases = 0;
    REQUIRE(fx);
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(fx, "quant")) {
        const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(c, "type"));
        const char *row = cJSON_GetStringValue(cJSON_GetObjectItem(c, "row"));
        int dt = dtype_named(type);
        size_t nx, nb, nf;
        float *x = (float *)b64(cJSON_GetObjectItem(c, "x"), &nx);
        unsigned char *want = b64(cJSON_GetObjectItem(c, "blocks"), &nb), *got;
        float *wantf = (float *)b64(cJSON_GetObjectItem(c, "f32"), &nf), *gotf;
        int64_t n = (int64_t)(nx / 4);
        double rmse = 0;
        REQUIRE(dt >= 0 && x && want && wantf && quantizer(dt));
        got = malloc(nb + 1);
        gotf = malloc(nx);
        REQUIRE(got && gotf);
        CHECK(ia_dtype_row_bytes((ia_dtype)dt, 0, n) == nb);
        CHECK_STATUS(quantizer(dt)(x, got, n), IA_OK);
        for (size_t i = 0; i < nb; i++)
            if (got[i] != want[i]) {
                CHECK_MSG(0, "%s %s: byte %zu (block %zu, offset %zu) is %u, llama.cpp %u", type, row, i,
                          i / ia_dtype_block_bytes((ia_dtype)dt, 0), i % ia_dtype_block_bytes((ia_dtype)dt, 0),
                          got[i], want[i]);
                break;
            }
        ia_dtype_row_to_f32((ia_dtype)dt, 0, got, gotf, n);
        long at = first_diff(gotf, wantf, (size_t)n);
        CHECK_MSG(at < 0, "%s %s: dequantised value %ld is %.9g, gguf-py %.9g", type, row, at, at < 0 ? 0 : gotf[at],
                  at < 0 ? 0 : wantf[at]);
        /* the error is llama.cpp's (the same blocks); recorded so a change
         * of algorithm shows as a number, not only as different bytes */
        for (int64_t i = 0; i < n; i++) rmse += ((double)gotf[i] - x[i]) * ((double)gotf[i] - x[i]);
        rmse = sqrt(rmse / (double)n);
        CHECK_MSG(fabs(rmse - cJSON_GetNumberValue(cJSON_GetObjectItem(c, "rmse"))) <= 1e-6 * (rmse + 1e-30),
                  "%s %s: rmse %.6g", type, row, rmse);
        cases++;
        free(x), free(want), free(wantf), free(got), free(gotf);
    }
    CHECK(cases == 63);
    cJSON_Delete(fx);
    /* sizes that are not whole super-blocks are refused */
    {
        float x[300] = {0};
        ia_block_q4_K b[2];
        CHECK_STATUS(ia_quantize_q4_K(x, b, 300), IA_ERR_INVALID_ARG);
    }
}

IA_TEST(kquant_gguf_written_by_gguf_py) {
    cJSON *fx = load_fixture(), *g, *t;
    char path[] = "/tmp/ia_kquant_XXXXXX";
    size_t len;
    unsigned char *file;
    ia_gguf *f = NULL;
    int fd, seen = 0;
    REQUIRE(fx);
    g = cJSON_GetObjectItem(fx, "gguf");
    file = b64(cJSON_GetObjectItem(g, "file"), &len);
    REQUIRE(file && (fd = mkstemp(path)) >= 0);
    REQUIRE(write(fd, file, len) == (ssize_t)len);
    close(fd);
    CHECK_STATUS(ia_gguf_open(path, &f), IA_OK);
    if (f) {
        cJSON_ArrayForEach(t, cJSON_GetObjectItem(g, "tensors")) {
            const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(t, "name"));
            const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(t, "type"));
            const ia_gguf_tensor *gt = ia_gguf_find(f, name);
            size_t nf;
            float *want = (float *)b64(cJSON_GetObjectItem(t, "f32"), &nf), *got;
            int dt;
            CHECK_MSG(gt != NULL, "%s missing", name);
            if (!gt || !want) {
                free(want);
                continue;
            }
            dt = ia_dtype_of_ggml_type(gt->type);
            CHECK_MSG(dt == dtype_named(type) && !strcmp(ia_ggml_type_name(gt->type), type), "%s: type %s", name,
                      ia_ggml_type_name(gt->type));
            CHECK(gt->ndim == 2 && gt->shape[0] == 3 && (size_t)(gt->shape[0] * gt->shape[1]) * 4 == nf);
            CHECK(ia_ggml_type_of_dtype((ia_dtype)dt) == (int)gt->type);
            CHECK(gt->nbytes == ia_dtype_row_bytes((ia_dtype)dt, 0, gt->shape[1]) * 3);
            got = malloc(nf);
            REQUIRE(got);
            for (int r = 0; r < 3; r++)
                ia_dtype_row_to_f32((ia_dtype)dt, 0, (const char *)gt->data + r * gt->nbytes / 3,
                                    got + r * gt->shape[1], gt->shape[1]);
            CHECK_MSG(first_diff(got, want, nf / 4) < 0, "%s: values differ from gguf-py's", name);
            free(got), free(want);
            seen++;
        }
        ia_gguf_free(f);
    }
    CHECK(seen == 8);
    unlink(path);
    /* our writer takes them too, and what it writes reads back the same */
    {
        ia_gguf_writer *w = NULL;
        ia_block_q6_K b6[2];
        uint16_t bf[4] = {0x3f80, 0xc000, 0x0000, 0x7f7f};
        float x[512];
        char out[] = "/tmp/ia_kquant_w_XXXXXX";
        for (int i = 0; i < 512; i++) x[i] = sinf((float)i);
        CHECK_STATUS(ia_quantize_q6_K(x, b6, 512), IA_OK);
        REQUIRE(ia_gguf_writer_create(&w) == IA_OK);
        CHECK_STATUS(ia_gguf_writer_add_tensor(w, "q6", IA_GGML_Q6_K, 1, (const int64_t[]){512}, b6, sizeof b6), IA_OK);
        CHECK_STATUS(ia_gguf_writer_add_tensor(w, "bf", IA_GGML_BF16, 1, (const int64_t[]){4}, bf, sizeof bf), IA_OK);
        /* a row that is not whole super-blocks */
        CHECK_STATUS(ia_gguf_writer_add_tensor(w, "bad", IA_GGML_Q4_K, 1, (const int64_t[]){128}, b6, 72),
                     IA_ERR_INVALID_ARG);
        REQUIRE((fd = mkstemp(out)) >= 0);
        close(fd);
        CHECK_STATUS(ia_gguf_writer_finish(w, out), IA_OK);
        ia_gguf_writer_free(w);
        f = NULL;
        CHECK_STATUS(ia_gguf_open(out, &f), IA_OK);
        if (f) {
            const ia_gguf_tensor *a = ia_gguf_find(f, "q6"), *b = ia_gguf_find(f, "bf");
            CHECK(a && a->type == IA_GGML_Q6_K && a->nbytes == sizeof b6 && !memcmp(a->data, b6, sizeof b6));
            CHECK(b && b->type == IA_GGML_BF16 && b->nbytes == sizeof bf && !memcmp(b->data, bf, sizeof bf));
            ia_gguf_free(f);
        }
        unlink(out);
    }
    free(file);
    cJSON_Delete(fx);
}

IA_TEST(kquant_from_f32_dispatch_and_bf16) {
    cJSON *fx = load_fixture(), *b;
    size_t nx, nb;
    float *x;
    unsigned char *want, *got;
    REQUIRE(fx);
    b = cJSON_GetObjectItem(fx, "bf16_quant");
    x = (float *)b64(cJSON_GetObjectItem(b, "x"), &nx);
    want = b64(cJSON_GetObjectItem(b, "bytes"), &nb);
    REQUIRE(x && want && nb * 2 == nx);
    got = malloc(nb);
    REQUIRE(got);
    CHECK_STATUS(ia_dtype_from_f32(IA_DTYPE_BF16, x, got, (int64_t)(nx / 4)), IA_OK);
    for (size_t i = 0; i < nb; i += 2)
        if (memcmp(got + i, want + i, 2)) {
            CHECK_MSG(0, "bf16 of %.9g: %02x%02x, gguf-py %02x%02x", x[i / 2], got[i + 1], got[i], want[i + 1], want[i]);
            break;
        }
    free(x), free(want), free(got);
    {   /* the dispatcher reaches every quantiser: Q4_K through it is the direct call */
        float row[512];
        ia_block_q4_K a[2], c[2];
        for (int i = 0; i < 512; i++) row[i] = cosf(0.37f * (float)i) * (1.0f + (float)(i % 13));
        CHECK_STATUS(ia_dtype_from_f32(IA_DTYPE_Q4_K, row, a, 512), IA_OK);
        CHECK_STATUS(ia_quantize_q4_K(row, c, 512), IA_OK);
        CHECK(!memcmp(a, c, sizeof a));
        CHECK_STATUS(ia_dtype_from_f32(IA_DTYPE_Q6_K, row, a, 500), IA_ERR_INVALID_ARG);
        CHECK_STATUS(ia_dtype_from_f32(IA_DTYPE_QA4, row, a, 512), IA_ERR_INVALID_ARG);
        for (int t = IA_DTYPE_Q2_K; t <= IA_DTYPE_Q6_K; t++) {
            unsigned char buf[2 * 210];
            float back[512];
            double err = 0, mag = 0;
            CHECK_STATUS(ia_dtype_from_f32((ia_dtype)t, row, buf, 512), IA_OK);
            ia_dtype_row_to_f32((ia_dtype)t, 0, buf, back, 512);
            for (int i = 0; i < 512; i++) err += (back[i] - row[i]) * (back[i] - row[i]), mag += row[i] * row[i];
            /* relative RMS error falls with the code width (Q2_K ~0.3 .. Q6_K ~0.01) */
            CHECK_MSG(sqrt(err / mag) < 0.6 / (double)(1 << (t - IA_DTYPE_Q2_K)), "%s: relative rms %.3g",
                      ia_dtype_name((ia_dtype)t), sqrt(err / mag));
        }
    }
    cJSON_Delete(fx);
}

IA_TEST(kquant_corrupt_scales_refused) {
    /* a d of fp16 inf (0x7c00) or NaN: dequantising gives what ggml gives,
     * but the affine form (what linear layers run) refuses the block */
    static const ia_dtype types[] = {IA_DTYPE_Q2_K, IA_DTYPE_Q3_K, IA_DTYPE_Q4_K, IA_DTYPE_Q5_K,
                                     IA_DTYPE_Q6_K, IA_DTYPE_Q5_0, IA_DTYPE_Q5_1, IA_DTYPE_Q5_1};
    static const size_t doff[] = {80, 108, 0, 0, 208, 0, 0, 2}; /* the last: Q5_1's m */
    for (int t = 0; t < 8; t++) {
        unsigned char blk[2 * 210];
        ia_qweights q;
        size_t bb = ia_dtype_block_bytes(types[t], 0);
        memset(blk, 0x11, sizeof blk);
        for (int b = 0; b < 2; b++) blk[b * bb + doff[t]] = 0x00, blk[b * bb + doff[t] + 1] = 0x3c; /* 1.0 */
        CHECK_STATUS(ia_qweights_from_dtype(types[t], 0, blk, 1, 512, &q), IA_OK);
        ia_qweights_free(&q);
        blk[bb + doff[t]] = 0x00, blk[bb + doff[t] + 1] = 0x7c;
        CHECK_STATUS(ia_qweights_from_dtype(types[t], 0, blk, 1, 512, &q), IA_ERR_FORMAT);
        CHECK(q.q == NULL);
        CHECK_STATUS(ia_qweights_from_dtype(types[t], 0, blk, 1, types[t] >= IA_DTYPE_Q5_0 ? 500 - 4 : 500, &q),
                     IA_ERR_INVALID_ARG);
    }
}
