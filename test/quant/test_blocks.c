/*
 * test_blocks.c — q8_0 / q4_0 / q4_1 blocks: bytes equal to gguf-py's on
 * random and adversarial rows (fixture from scripts/make_quant_reference.py),
 * dequantisation within the format's error bound, fp16 conversion exact.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "tensor/blocks.h"
#include "tensor/fp16.h"
#include "util/mapped_file.h"

static void to_hex(const void *p, size_t n, char *out) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", b[i]);
}

IA_TEST(quant_blocks_match_gguf_py) {
    char *text = NULL, *hex = NULL;
    size_t len;
    cJSON *root, *row;
    REQUIRE(ia_read_text_file(ia_test_source_path("test/fixtures/quant_blocks.json"), 16u << 20, &text, &len) == IA_OK);
    root = cJSON_ParseWithLength(text, len);
    free(text);
    REQUIRE(root);
    cJSON_ArrayForEach(row, cJSON_GetObjectItem(root, "rows")) {
        const char *name = cJSON_GetObjectItem(row, "name")->valuestring;
        cJSON *xs = cJSON_GetObjectItem(row, "x"), *v;
        int n = cJSON_GetArraySize(xs), i = 0, nb = n / IA_QK;
        float *x = malloc((size_t)n * sizeof *x), *y = malloc((size_t)n * sizeof *y);
        ia_block_q8_0 *q8 = malloc((size_t)nb * sizeof *q8);
        ia_block_q4_0 *q40 = malloc((size_t)nb * sizeof *q40);
        ia_block_q4_1 *q41 = malloc((size_t)nb * sizeof *q41);
        hex = malloc((size_t)nb * sizeof *q8 * 2 + 1); /* q8_0 blocks are the largest */
        cJSON_ArrayForEach(v, xs) x[i++] = (float)v->valuedouble;
        CHECK_STATUS(ia_quantize_q8_0(x, q8, n), IA_OK);
        to_hex(q8, (size_t)nb * sizeof *q8, hex);
        CHECK_MSG(strcmp(hex, cJSON_GetObjectItem(row, "q8_0")->valuestring) == 0, "%s: q8_0 bytes differ", name);
        CHECK_STATUS(ia_quantize_q4_0(x, q40, n), IA_OK);
        to_hex(q40, (size_t)nb * sizeof *q40, hex);
        CHECK_MSG(strcmp(hex, cJSON_GetObjectItem(row, "q4_0")->valuestring) == 0, "%s: q4_0 bytes differ", name);
        CHECK_STATUS(ia_quantize_q4_1(x, q41, n), IA_OK);
        to_hex(q41, (size_t)nb * sizeof *q41, hex);
        CHECK_MSG(strcmp(hex, cJSON_GetObjectItem(row, "q4_1")->valuestring) == 0, "%s: q4_1 bytes differ", name);
        /* round trip: half a step (a whole one for q4_0, whose top code is
         * clipped at 15), plus the scale's fp16 rounding — relative 2^-11,
         * at least half the smallest subnormal (2^-25) — times the largest
         * code. */
        for (int b = 0; b < nb; b++) {
            float amax = 0, lo = INFINITY, hi = -INFINITY;
            for (int j = 0; j < IA_QK; j++) {
                float t = x[b * IA_QK + j];
                amax = fmaxf(amax, fabsf(t));
                lo = fminf(lo, t);
                hi = fmaxf(hi, t);
            }
            if (amax > 6e4f || hi - lo > 6e4f) continue; /* scale/min outside fp16: inf by design */
            ia_dequantize_q8_0(q8 + b, y, IA_QK);
            for (int j = 0; j < IA_QK; j++)
                CHECK_MSG(fabsf(y[j] - x[b * IA_QK + j]) <= amax / 127.0f * 0.5f + 127.0f * fmaxf(amax / 127.0f * 4.9e-4f, 3e-8f),
                          "%s block %d q8_0 error %g", name, b, fabsf(y[j] - x[b * IA_QK + j]));
            ia_dequantize_q4_0(q40 + b, y, IA_QK);
            for (int j = 0; j < IA_QK; j++)
                CHECK_MSG(fabsf(y[j] - x[b * IA_QK + j]) <= amax / 8.0f + 8.0f * fmaxf(amax / 8.0f * 4.9e-4f, 3e-8f), "%s block %d q4_0", name, b);
            ia_dequantize_q4_1(q41 + b, y, IA_QK);
            for (int j = 0; j < IA_QK; j++)
                /* half a step, plus the fp16 rounding of d (times 15 codes)
                 * and of m: relative 2^-11, at least half the smallest
                 * subnormal (2^-25) */
                CHECK_MSG(fabsf(y[j] - x[b * IA_QK + j]) <=
                              (hi - lo) / 15.0f * 0.5f + 15.0f * fmaxf((hi - lo) / 15.0f * 4.9e-4f, 3e-8f) +
                                  fmaxf(fabsf(lo) * 4.9e-4f, 3e-8f),
                          "%s block %d q4_1 error %g", name, b, fabsf(y[j] - x[b * IA_QK + j]));
        }
        free(x), free(y), free(q8), free(q40), free(q41), free(hex);
    }
    cJSON_Delete(root);
    {
        float x[40] = {0};
        ia_block_q8_0 q[2];
        CHECK_STATUS(ia_quantize_q8_0(x, q, 40), IA_ERR_INVALID_ARG);
    }
}

/* Every half value converts to float and back to itself. */
IA_TEST(fp16_round_trips_every_half) {
    int bad = 0;
    for (uint32_t h = 0; h < 65536 && bad < 5; h++) {
        float f = ia_fp16_to_fp32((uint16_t)h);
        uint16_t back = ia_fp32_to_fp16(f);
        if (isnan(f) ? !((back & 0x7c00) == 0x7c00 && (back & 0x3ff)) : back != h) {
            CHECK_MSG(0, "half 0x%04x -> %g -> 0x%04x", h, f, back);
            bad++;
        }
    }
    CHECK(ia_fp32_to_fp16(65520.0f) == 0x7c00);   /* rounds up to inf */
    CHECK(ia_fp32_to_fp16(1.0f + 1.0f / 2048) == 0x3c00); /* tie to even */
    CHECK(ia_fp32_to_fp16(5.960464477539063e-08f) == 0x0001);
}
