/*
 * test_llama_reference.c — the llama family against transformers
 * (test/fixtures/tiny_llama_reference.json, written by
 * scripts/make_llama_reference.py) on three tiny random decoders made at
 * test time by scripts/make_tiny_llama.py (numpy; weights never
 * committed): plain llama with grouped-query heads, llama with linear RoPE
 * scaling (legacy config keys), qwen2 with q/k/v biases and tied
 * embeddings.
 *
 * Per model: the prefill logits of the 8-token prompt (all positions), then
 * 32 greedy steps through the KV cache: every step's logits within 1e-4 of
 * transformers' and the greedy tokens identical. Prefill in one batch
 * equals prefill token by token. The same on the ref executor, and with a
 * split forced across cpu and ref (the scheduler's copies).
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ipfs_accelerate.h"
#include "models/model.h"

#define MAX_ABS 1e-4

static const char *const VARIANTS[] = {"tiny-llama", "tiny-llama-rope-scaled", "tiny-qwen2"};

typedef struct lfix {
    cJSON *root;
    const cJSON *m;
    int prompt[64], n_prompt, gen[64], n_gen, vocab;
    float *prefill, *decode; /* [n_prompt][vocab], [n_gen][vocab] */
} lfix;

/* {"shape": [r, c], "data": base64 of little-endian float32} → floats. */
static float *decode_matrix(const cJSON *o, int rows, int cols) {
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, "data"));
    const cJSON *sh = cJSON_GetObjectItem(o, "shape");
    size_t n = (size_t)rows * (size_t)cols * 4, k = 0;
    unsigned char *bytes;
    if (!s || cJSON_GetArraySize(sh) != 2 || cJSON_GetArrayItem(sh, 0)->valueint != rows ||
        cJSON_GetArrayItem(sh, 1)->valueint != cols || !(bytes = ia_test_base64(s, &k)))
        return NULL;
    if (k != n) {
        free(bytes);
        return NULL;
    }
    return (float *)bytes; /* the test machines are little-endian, as the fixture */
}

static int ints(const cJSON *a, int *out, int cap) {
    int n = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, a) {
        if (n == cap) return -1;
        out[n++] = v->valueint;
    }
    return n;
}

static int load(lfix *f, const char *variant) {
    size_t len = 0;
    char *text = ia_test_read_file(ia_test_source_path("test/fixtures/tiny_llama_reference.json"), &len);
    memset(f, 0, sizeof *f);
    if (!text) return 0;
    f->root = cJSON_ParseWithLength(text, len);
    free(text);
    f->m = cJSON_GetObjectItem(cJSON_GetObjectItem(f->root, "models"), variant);
    if (!f->m) return 0;
    f->vocab = cJSON_GetObjectItem(cJSON_GetObjectItem(f->m, "config"), "vocab_size")->valueint;
    f->n_prompt = ints(cJSON_GetObjectItem(f->m, "prompt_ids"), f->prompt, 64);
    f->n_gen = ints(cJSON_GetObjectItem(f->m, "generated_ids"), f->gen, 64);
    f->prefill = decode_matrix(cJSON_GetObjectItem(f->m, "prefill_logits"), f->n_prompt, f->vocab);
    f->decode = decode_matrix(cJSON_GetObjectItem(f->m, "decode_logits"), f->n_gen, f->vocab);
    return f->n_prompt > 0 && f->n_gen > 1 && f->prefill && f->decode;
}

static void unload(lfix *f) {
    cJSON_Delete(f->root);
    free(f->prefill);
    free(f->decode);
}

static const char *models_dir(void) {
    static char dir[4096];
    static int state;
    if (state) return state > 0 ? dir : NULL;
    state = -1;
    snprintf(dir, sizeof dir, "%s", ia_test_source_path("build-variants"));
    if (ia_test_run_python("scripts/make_tiny_llama.py", "--out", dir, (const char *)NULL) != 0) return NULL;
    state = 1;
    return dir;
}

static double max_abs(const float *a, const float *b, int n) {
    double m = 0;
    for (int i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        m = d > m || d != d ? d : m;
    }
    return m;
}

static int argmax(const float *x, int n) {
    int best = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[best]) best = i;
    return best;
}

static ia_model *open_variant(const char *variant, const char *device) {
    ia_model_options o;
    ia_model *m = NULL;
    char path[4200];
    const char *dir = models_dir();
    if (!dir) return NULL;
    snprintf(path, sizeof path, "%s/%s", dir, variant);
    IA_MODEL_OPTIONS_INIT(&o);
    o.device = device;
    o.threads = 2;
    if (ia_model_open(path, &o, &m) != IA_OK) fprintf(stderr, "  open %s: %s\n", path, ia_last_error());
    return m;
}

/* Prefill (all positions) and 32 greedy steps against the fixture. */
static void check_generation(ia_model *m, const lfix *f, const char *what, int *ia_failed_) {
    ia_session *s = NULL;
    float *logits = malloc((size_t)f->n_prompt * (size_t)f->vocab * sizeof *logits);
    ia_io in = {"input_ids", IA_IO_I32, 1, {f->n_prompt}, (void *)f->prompt, 0};
    ia_io out = {"logits", IA_IO_F32, 0, {0}, logits, (size_t)f->n_prompt * (size_t)f->vocab * sizeof *logits};
    double worst_prefill = 0, worst_step = 0;
    int next, same = 1;
    REQUIRE(logits);
    CHECK_STATUS(ia_session_create(m, NULL, &s), IA_OK);
    if (!s) {
        free(logits);
        return;
    }
    CHECK_STATUS(ia_session_run(s, "decoder", &in, 1, &out, 1), IA_OK);
    CHECK(out.ndim == 2 && out.shape[0] == f->n_prompt && out.shape[1] == f->vocab);
    worst_prefill = max_abs(logits, f->prefill, f->n_prompt * f->vocab);
    CHECK_MSG(worst_prefill <= MAX_ABS, "%s: prefill logits differ by %.3g", what, worst_prefill);
    CHECK(ia_session_position(s) == f->n_prompt);
    next = argmax(logits + (size_t)(f->n_prompt - 1) * f->vocab, f->vocab);
    for (int j = 0; j < f->n_gen; j++) {
        double d;
        same &= next == f->gen[j];
        CHECK_MSG(next == f->gen[j], "%s: greedy token %d is %d, transformers %d", what, j, next, f->gen[j]);
        /* continue along the reference's tokens so later steps stay comparable */
        CHECK_STATUS(ia_session_decode(s, &f->gen[j], 1, logits), IA_OK);
        d = max_abs(logits, f->decode + (size_t)j * f->vocab, f->vocab);
        worst_step = d > worst_step ? d : worst_step;
        next = argmax(logits, f->vocab);
    }
    CHECK_MSG(worst_step <= MAX_ABS, "%s: decode logits differ by up to %.3g", what, worst_step);
    CHECK(ia_session_position(s) == f->n_prompt + f->n_gen);
    printf("  %s: prefill max-abs %.2e, %d greedy steps max-abs %.2e, tokens %s\n", what, worst_prefill, f->n_gen,
           worst_step, same ? "identical" : "DIFFER");
    ia_session_free(s);
    free(logits);
}

/* Prefill in one call equals feeding the prompt token by token. */
static void check_incremental(ia_model *m, const lfix *f, const char *what, int *ia_failed_) {
    ia_session *a = NULL, *b = NULL;
    float *la = malloc((size_t)f->vocab * sizeof *la), *lb = malloc((size_t)f->vocab * sizeof *lb);
    double worst = 0;
    REQUIRE(la && lb);
    CHECK_STATUS(ia_session_create(m, NULL, &a), IA_OK);
    CHECK_STATUS(ia_session_create(m, NULL, &b), IA_OK);
    if (a && b) {
        CHECK_STATUS(ia_session_decode(a, f->prompt, (size_t)f->n_prompt, la), IA_OK);
        for (int i = 0; i < f->n_prompt; i++) {
            double d;
            CHECK_STATUS(ia_session_decode(b, &f->prompt[i], 1, lb), IA_OK);
            d = max_abs(lb, f->prefill + (size_t)i * f->vocab, f->vocab);
            worst = d > worst ? d : worst;
        }
        CHECK_MSG(max_abs(la, lb, f->vocab) <= 1e-5, "%s: batched and token-by-token prefill differ by %.3g", what,
                  max_abs(la, lb, f->vocab));
        CHECK_MSG(worst <= MAX_ABS, "%s: token-by-token prompt logits differ by %.3g", what, worst);
        /* a reset session starts over */
        ia_session_reset(b);
        CHECK(ia_session_position(b) == 0);
        CHECK_STATUS(ia_session_decode(b, f->prompt, (size_t)f->n_prompt, lb), IA_OK);
        CHECK(max_abs(la, lb, f->vocab) == 0);
    }
    ia_session_free(a);
    ia_session_free(b);
    free(la);
    free(lb);
}

IA_TEST(llama_matches_transformers_greedy) {
    for (size_t v = 0; v < sizeof VARIANTS / sizeof *VARIANTS; v++) {
        lfix f;
        ia_model *m;
        char what[96];
        REQUIRE(load(&f, VARIANTS[v]));
        m = open_variant(VARIANTS[v], "cpu");
        if (!m) {
            unload(&f);
            REQUIRE(m);
        }
        CHECK(strcmp(ia_model_family(m), "llama") == 0 && ia_model_vocab_size(m) == f.vocab);
        snprintf(what, sizeof what, "%s (cpu)", VARIANTS[v]);
        check_generation(m, &f, what, ia_failed_);
        check_incremental(m, &f, what, ia_failed_);
        ia_model_free(m);
        unload(&f);
    }
}

IA_TEST(llama_on_the_ref_executor) {
    lfix f;
    ia_model *m;
    REQUIRE(load(&f, "tiny-llama"));
    m = open_variant("tiny-llama", "ref");
    if (m) {
        CHECK(strcmp(ia_model_device(m), "ref") == 0);
        check_generation(m, &f, "tiny-llama (ref)", ia_failed_);
    }
    CHECK(m != NULL);
    ia_model_free(m);
    unload(&f);
}

IA_TEST(llama_split_across_cpu_and_ref) {
    lfix f;
    ia_model *m;
    REQUIRE(load(&f, "tiny-qwen2"));
    m = open_variant("tiny-qwen2", "cpu");
    if (m) {
        /* the cpu executor refuses these ops, so the scheduler sends them to
         * ref and copies activations both ways */
        m->exec_cfg.disabled_ops = "rms_norm,rope,attention,swiglu";
        check_generation(m, &f, "tiny-qwen2 (cpu + ref split)", ia_failed_);
        {
            ia_session *s = NULL;
            float *l = malloc((size_t)f.vocab * sizeof *l);
            CHECK_STATUS(ia_session_create(m, NULL, &s), IA_OK);
            if (s && l) {
                CHECK_STATUS(ia_session_decode(s, f.prompt, (size_t)f.n_prompt, l), IA_OK);
                /* per layer: rms, rope ×2, attention, rms, swiglu go to ref */
                CHECK_MSG(ia_sched_n_splits(s->sched) > 4 && ia_sched_n_copies(s->sched) > 4,
                          "%d splits, %d copies", ia_sched_n_splits(s->sched), ia_sched_n_copies(s->sched));
                printf("  split run: %d splits, %d copies\n", ia_sched_n_splits(s->sched), ia_sched_n_copies(s->sched));
            }
            free(l);
            ia_session_free(s);
        }
    }
    CHECK(m != NULL);
    ia_model_free(m);
    unload(&f);
}

IA_TEST(llama_refuses_bad_decode_input) {
    lfix f;
    ia_model *m;
    ia_session *s = NULL;
    ia_session_options o;
    float *l;
    int32_t bad = 100000, many[300] = {0};
    REQUIRE(load(&f, "tiny-llama"));
    m = open_variant("tiny-llama", "cpu");
    l = malloc((size_t)f.vocab * sizeof *l);
    if (m && l) {
        IA_SESSION_OPTIONS_INIT(&o);
        o.n_ctx = 16;
        CHECK_STATUS(ia_session_create(m, &o, &s), IA_OK);
        CHECK_STATUS(ia_session_decode(s, &bad, 1, l), IA_ERR_INVALID_ARG); /* outside the vocabulary */
        CHECK_STATUS(ia_session_decode(s, many, 17, l), IA_ERR_INVALID_ARG); /* past n_ctx */
        CHECK(ia_session_position(s) == 0);                                 /* nothing changed */
        CHECK_STATUS(ia_session_decode(s, many, 16, l), IA_OK);
        CHECK_STATUS(ia_session_decode(s, many, 1, l), IA_ERR_INVALID_ARG);
        CHECK_STATUS(ia_session_embed(s, NULL, 0, NULL), IA_ERR_UNSUPPORTED); /* a decoder embeds nothing */
        o.n_ctx = 100000;
        ia_session_free(s);
        s = NULL;
        CHECK_STATUS(ia_session_create(m, &o, &s), IA_ERR_INVALID_ARG); /* more than the model's positions */
        CHECK(s == NULL);
    }
    CHECK(m != NULL);
    free(l);
    ia_model_free(m);
    unload(&f);
}
