/*
 * test_gguf_array.c — ia_gguf_get_array and ia_gguf_get_bool on a real
 * tokenizer GGUF (llama.cpp's ggml-vocab-llama-spm.gguf: 32000 f32 scores,
 * 32000 i32 token types, bool flags) and their type checks; the expected
 * values are those of gguf-py's reader on the same file.
 */
#include <stdint.h>
#include <string.h>

#include "formats/gguf.h"
#include "harness.h"

IA_TEST(gguf_array_numeric) {
    ia_gguf *f = NULL;
    const char *rel = "build-anchors/llama.cpp-src/models/ggml-vocab-llama-spm.gguf";
    CHECK_STATUS(ia_gguf_open(ia_test_source_path(rel), &f), IA_OK);
    if (!f) {
        CHECK_MSG(0, "%s missing: run scripts/fetch_llamacpp_src.sh", rel);
        return;
    }
    ia_gguf_vtype vt;
    size_t n = 0;
    const void *data = NULL;
    CHECK_STATUS(ia_gguf_get_array(f, "tokenizer.ggml.token_type", &vt, &n, &data), IA_OK);
    CHECK(vt == IA_GGUF_I32 && n == 32000 && data);
    if (data && n == 32000) {
        int32_t t0, t1, t3, t259;
        memcpy(&t0, (const char *)data, 4);
        memcpy(&t1, (const char *)data + 4, 4);
        memcpy(&t3, (const char *)data + 12, 4);
        memcpy(&t259, (const char *)data + 259 * 4, 4);
        /* <unk> unknown (2), <s> control (3), <0x00> byte (6), "▁▁" normal (1) */
        CHECK(t0 == 2 && t1 == 3 && t3 == 6 && t259 == 1);
    }
    CHECK_STATUS(ia_gguf_get_array(f, "tokenizer.ggml.scores", &vt, &n, &data), IA_OK);
    CHECK(vt == IA_GGUF_F32 && n == 32000);
    if (data && n == 32000) {
        float s259;
        memcpy(&s259, (const char *)data + 259 * 4, 4);
        CHECK(s259 == -1000000000.0f); /* gguf-py reads -1e9 */
    }
    int b = -1;
    CHECK_STATUS(ia_gguf_get_bool(f, "tokenizer.ggml.add_bos_token", &b), IA_OK);
    CHECK(b == 1);
    /* type checks */
    CHECK_STATUS(ia_gguf_get_array(f, "tokenizer.ggml.tokens", &vt, &n, &data), IA_ERR_FORMAT);
    CHECK_STATUS(ia_gguf_get_array(f, "tokenizer.ggml.bos_token_id", &vt, &n, &data), IA_ERR_FORMAT);
    CHECK_STATUS(ia_gguf_get_array(f, "no.such.key", &vt, &n, &data), IA_ERR_NOT_FOUND);
    CHECK_STATUS(ia_gguf_get_array(f, "tokenizer.ggml.scores", &vt, &n, NULL), IA_ERR_INVALID_ARG);
    CHECK_STATUS(ia_gguf_get_bool(f, "tokenizer.ggml.bos_token_id", &b), IA_ERR_FORMAT);
    ia_gguf_free(f);
}
