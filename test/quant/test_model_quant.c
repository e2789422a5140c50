/*
 * test_model_quant.c — the quantisation engine end to end on
 * all-MiniLM-L6-v2: quantise into a temporary directory, reopen it like any
 * model, and compare its embeddings with the fp32 model's; the GGUF holds
 * the ggml types the settings promise; errors are clear.
 *
 * The cosine bounds are what docs/quantization.md documents: the worst of
 * these eight texts (the empty and one-word texts move most) measured with
 * margin — int8 ≥ 0.99 (measured 0.9949), q8_0 ≥ 0.997 (0.9985), int4
 * ≥ 0.90 (q4_0 0.913, q4_1 0.939), int2 mixed ≥ 0.75 (0.810). The task
 * metric (STS-B Spearman) moves far less; test_quant_stsb.c checks it.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "formats/gguf.h"
#include "quant/policy.h"
#include "harness.h"
#include "ipfs_accelerate.h"

static const char *const texts[] = {
    "A man is playing a guitar.",
    "The quick brown fox jumps over the lazy dog.",
    "Quantised models should stay close to the original embeddings.",
    "Stock markets rallied after the central bank held rates steady.",
    "How many tokens does this sentence have, including the punctuation?",
    "Ein Mann spielt Gitarre.",
    "",
    "Short.",
};
#define N_TEXTS (sizeof texts / sizeof *texts)

static char *make_tmp(void) {
    char tmpl[] = "/tmp/ia_quant_XXXXXX";
    char *d = mkdtemp(tmpl);
    return d ? strdup(d) : NULL;
}

static void remove_tree(const char *dir) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "  could not remove %s\n", dir);
}

/* Embeds texts with the model at `ref` (profile precision p). */
static int embed(const char *ref, ia_precision p, float *out, char *precision, size_t cap) {
    ia_hardware_profile prof;
    IA_HARDWARE_PROFILE_INIT(&prof);
    ia_model *m = NULL;
    prof.backend = "cpu";
    prof.precision = p;
    if (ia_model_open_profile(ref, &prof, &m) != IA_OK) {
        fprintf(stderr, "  open %s: %s\n", ref, ia_last_error());
        return 0;
    }
    if (precision) snprintf(precision, cap, "%s", ia_model_precision(m));
    ia_status st = ia_model_embed(m, texts, N_TEXTS, out);
    if (st != IA_OK) fprintf(stderr, "  embed %s: %s\n", ref, ia_last_error());
    ia_model_free(m);
    return st == IA_OK;
}

static double min_cosine(const float *a, const float *b, int dim) {
    double worst = 1.0;
    for (size_t t = 0; t < N_TEXTS; t++) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < dim; i++) {
            dot += (double)a[t * dim + i] * b[t * dim + i];
            na += (double)a[t * dim + i] * a[t * dim + i];
            nb += (double)b[t * dim + i] * b[t * dim + i];
        }
        double c = dot / sqrt(na * nb);
        if (c < worst) worst = c;
    }
    return worst;
}

/* Quantises with cfg into a fresh directory, checks the embeddings against
 * fp32 (≥ bound) and returns the directory and the report. */
static char *quantise_and_check(int *ia_failed_, const ia_quant_config *cfg, double bound, const char *want_precision,
                                cJSON **report) {
    const char *model = ia_test_model_dir();
    float ref[N_TEXTS * 384], got[N_TEXTS * 384];
    char *dir = make_tmp(), *json = NULL, prec[32] = "";
    *report = NULL;
    if (!model || !dir) {
        CHECK_MSG(0, "model or temp dir missing");
        free(dir);
        return NULL;
    }
    CHECK_STATUS(ia_quantize_model(model, cfg, dir, NULL, NULL, &json), IA_OK);
    if (!json) {
        remove_tree(dir);
        free(dir);
        return NULL;
    }
    *report = cJSON_Parse(json);
    ia_free(json);
    CHECK(*report != NULL);
    CHECK(embed(model, IA_PRECISION_FP32, ref, NULL, 0));
    CHECK(embed(dir, IA_PRECISION_FP32, got, prec, sizeof prec));
    double c = min_cosine(ref, got, 384);
    CHECK_MSG(c >= bound, "%d-bit: worst cosine to fp32 %.6f < %.3f", cfg->bits, c, bound);
    CHECK_MSG(strcmp(prec, want_precision) == 0, "precision '%s', want '%s'", prec, want_precision);
    fprintf(stderr, "  %d-bit (%s): worst cosine to fp32 %.6f\n", cfg->bits, prec, c);
    return dir;
}

static int count_type(const char *dir, ia_ggml_type type, int *total_linear) {
    char path[600];
    ia_gguf *g = NULL;
    int n = 0;
    snprintf(path, sizeof path, "%s/model.gguf", dir);
    if (ia_gguf_open(path, &g) != IA_OK) return -1;
    *total_linear = 0;
    for (size_t i = 0; i < ia_gguf_tensor_count(g); i++) {
        const ia_gguf_tensor *t = ia_gguf_tensor_at(g, i);
        if (strstr(t->name, "encoder.layer.") && strstr(t->name, ".weight") && !strstr(t->name, "LayerNorm") &&
            !strstr(t->name, ".weight.")) {
            (*total_linear)++;
            if (t->type == type) n++;
        }
    }
    ia_gguf_free(g);
    return n;
}

IA_TEST(quant_model_int8_default) {
    ia_quant_config cfg;
    IA_QUANT_CONFIG_INIT(&cfg, 8);
    cJSON *r = NULL, *l;
    char *dir = quantise_and_check(ia_failed_, &cfg, 0.99, "int8", &r);
    REQUIRE(dir && r);
    int n = 0, total = 0;
    cJSON_ArrayForEach(l, cJSON_GetObjectItem(r, "layers")) {
        n++;
        CHECK(cJSON_GetObjectItem(l, "bits")->valueint == 8);
        CHECK(strcmp(cJSON_GetObjectItem(l, "format")->valuestring, "ia_packed") == 0); /* groups of 128: ours */
    }
    CHECK(n == 36);
    CHECK(strcmp(cJSON_GetObjectItem(r, "embeddings")->valuestring, "Q8_0") == 0);
    /* int8 weights + q8_0 embeddings: about a quarter of the 90.9 MB fp32 file */
    CHECK(cJSON_GetObjectItem(r, "file_bytes")->valuedouble < 0.3 * 90868376.0);
    CHECK(count_type(dir, IA_GGML_I8, &total) == 36 && total == 36);
    cJSON_Delete(r);
    remove_tree(dir);
    free(dir);
}

IA_TEST_HEAVY(quant_model_int4_is_ggml_q4) {
    ia_quant_config cfg;
    IA_QUANT_CONFIG_INIT(&cfg, 4);
    cJSON *r = NULL;
    int total = 0;
    char *dir = quantise_and_check(ia_failed_, &cfg, 0.90, "int4", &r);
    REQUIRE(dir && r);
    CHECK(count_type(dir, IA_GGML_Q4_0, &total) == 36 && total == 36); /* symmetric group 32 = q4_0 */
    cJSON_Delete(r);
    remove_tree(dir);
    free(dir);

    cfg.asymmetric = 1; /* asymmetric group 32 = q4_1 */
    dir = quantise_and_check(ia_failed_, &cfg, 0.90, "int4", &r);
    REQUIRE(dir && r);
    CHECK(count_type(dir, IA_GGML_Q4_1, &total) == 36 && total == 36);
    cJSON_Delete(r);
    remove_tree(dir);
    free(dir);
}

IA_TEST(quant_model_exclusions_stay_fp32) {
    ia_quant_config cfg;
    IA_QUANT_CONFIG_INIT(&cfg, 8);
    const char *excl[] = {"attention.output.dense", "embeddings", "encoder.layer.5.*"};
    cJSON *r = NULL, *l;
    int fp32 = 0, total = 0;
    cfg.group = 32; /* symmetric 8-bit group 32 = q8_0 */
    cfg.exclusions = excl;
    cfg.n_exclusions = 3;
    char *dir = quantise_and_check(ia_failed_, &cfg, 0.997, "int8+fp32", &r);
    REQUIRE(dir && r);
    cJSON_ArrayForEach(l, cJSON_GetObjectItem(r, "layers")) {
        const char *name = cJSON_GetObjectItem(l, "name")->valuestring;
        int want32 = strstr(name, "attention.output.dense") || strncmp(name, "encoder.layer.5.", 16) == 0;
        CHECK_MSG((cJSON_GetObjectItem(l, "bits")->valueint == 32) == want32, "%s", name);
        fp32 += want32;
    }
    CHECK(fp32 == 5 + 6); /* one per layer 0-4, all six of layer 5 */
    CHECK(strcmp(cJSON_GetObjectItem(r, "embeddings")->valuestring, "F32") == 0);
    CHECK(count_type(dir, IA_GGML_Q8_0, &total) == 36 - 11 && total == 36);
    cJSON_Delete(r);
    remove_tree(dir);
    free(dir);
}

IA_TEST_HEAVY(quant_model_int2_mixed_with_calibration) {
    ia_quant_config cfg;
    IA_QUANT_CONFIG_INIT(&cfg, 2);
    const char *calib[] = {"A man is playing a guitar on stage.", "The weather will be sunny tomorrow.",
                           "Researchers published the results in a peer-reviewed journal.",
                           "Children are playing in the park.", "The function returns NULL on failure.",
                           "Two women are eating lunch together.", "Prices rose three percent last year.",
                           "She opened the window and looked outside."};
    cJSON *r = NULL, *l;
    int promoted = 0, measured = 0;
    cfg.mixed_precision = 1;
    cfg.asymmetric = 1;
    cfg.calibration = calib;
    cfg.n_calibration = sizeof calib / sizeof *calib;
    char *dir = quantise_and_check(ia_failed_, &cfg, 0.75, "int2+int4", &r);
    REQUIRE(dir && r);
    cJSON_ArrayForEach(l, cJSON_GetObjectItem(r, "layers")) {
        int b = cJSON_GetObjectItem(l, "bits")->valueint;
        CHECK(b == 2 || b == 4);
        promoted += b == 4;
        measured += cJSON_GetObjectItem(l, "sensitivity") != NULL;
    }
    CHECK(promoted > 0 && promoted < 36);
    CHECK(measured == 36);
    CHECK(cJSON_GetObjectItem(r, "linear_bits_per_weight")->valuedouble <= 3.0 + 1e-9);
    CHECK(cJSON_GetObjectItem(r, "mean_cosine_to_fp32") != NULL);
    CHECK(cJSON_GetObjectItem(r, "calibration_texts")->valueint == 8);
    cJSON_Delete(r);
    remove_tree(dir);
    free(dir);
}

IA_TEST(quant_model_precision_at_load) {
    const char *model = ia_test_model_dir();
    float ref[N_TEXTS * 384], got[N_TEXTS * 384];
    char prec[32];
    REQUIRE(model);
    REQUIRE(embed(model, IA_PRECISION_FP32, ref, prec, sizeof prec));
    CHECK(strcmp(prec, "fp32") == 0);
    REQUIRE(embed(model, IA_PRECISION_INT8, got, prec, sizeof prec));
    CHECK(strcmp(prec, "int8") == 0);
    CHECK_MSG(min_cosine(ref, got, 384) >= 0.99, "int8 at load: %.6f", min_cosine(ref, got, 384));
    REQUIRE(embed(model, IA_PRECISION_INT4, got, prec, sizeof prec));
    CHECK(strcmp(prec, "int4") == 0);
    CHECK_MSG(min_cosine(ref, got, 384) >= 0.90, "int4 at load: %.6f", min_cosine(ref, got, 384));
}

IA_TEST(quant_model_errors_are_clear) {
    const char *model = ia_test_model_dir();
    ia_quant_config cfg;
    IA_QUANT_CONFIG_INIT(&cfg, 3);
    char *dir = make_tmp(), *json = NULL;
    REQUIRE(model && dir);
    CHECK_STATUS(ia_quantize_model(model, &cfg, dir, NULL, NULL, &json), IA_ERR_INVALID_ARG);
    CHECK(strstr(ia_last_error(), "bits") != NULL);
    cfg.bits = 4;
    cfg.group = 48;
    CHECK_STATUS(ia_quantize_model(model, &cfg, dir, NULL, NULL, &json), IA_ERR_INVALID_ARG);
    CHECK(strstr(ia_last_error(), "group") != NULL);
    cfg.group = 0;
    CHECK_STATUS(ia_quantize_model(model, &cfg, model, NULL, NULL, &json), IA_ERR_INVALID_ARG);
    CHECK(strstr(ia_last_error(), "own directory") != NULL);
    CHECK_STATUS(ia_quantize_model("/nonexistent/model", &cfg, dir, NULL, NULL, &json), IA_ERR_NOT_FOUND);
    cfg.group = 256; /* does not divide 384: refused, not silently per channel */
    CHECK_STATUS(ia_quantize_model(model, &cfg, dir, NULL, NULL, &json), IA_ERR_INVALID_ARG);
    CHECK(strstr(ia_last_error(), "does not divide") != NULL);
    cfg.group = 0;
    /* a quantised model cannot be quantised again */
    CHECK_STATUS(ia_quantize_model(model, &cfg, dir, NULL, NULL, NULL), IA_OK);
    {
        /* nothing but the model's files: the staging folder is gone */
        char cmd[600];
        snprintf(cmd, sizeof cmd, "ls -A '%s' | grep -q staging", dir);
        CHECK(system(cmd) != 0);
    }
    {
        /* a quantised file runs at its stored widths, not another */
        ia_hardware_profile p;
        IA_HARDWARE_PROFILE_INIT(&p);
        ia_model *m = NULL;
        p.backend = "cpu";
        p.precision = IA_PRECISION_INT8;
        CHECK_STATUS(ia_model_open_profile(dir, &p, &m), IA_ERR_UNSUPPORTED);
        CHECK(strstr(ia_last_error(), "quantised to int4") != NULL);
        p.precision = IA_PRECISION_INT4;
        CHECK_STATUS(ia_model_open_profile(dir, &p, &m), IA_OK);
        ia_model_free(m);
    }
    {
        char *dir2 = make_tmp();
        CHECK_STATUS(ia_quantize_model(dir, &cfg, dir2, NULL, NULL, NULL), IA_ERR_INVALID_ARG);
        CHECK(strstr(ia_last_error(), "already quantised") != NULL);
        remove_tree(dir2);
        free(dir2);
    }
    CHECK(json == NULL);
    remove_tree(dir);
    free(dir);
}

/* The defaults are the measured best per width (docs/quantization.md):
 * a change here must come with new STS-B figures in --help and the docs. */
IA_TEST(quant_config_defaults_per_width) {
    ia_quant_config c8, c4, c2;
    IA_QUANT_CONFIG_INIT(&c8, 8);
    IA_QUANT_CONFIG_INIT(&c4, 4);
    IA_QUANT_CONFIG_INIT(&c2, 2);
    CHECK(c8.asymmetric == 0 && c8.mixed_precision == 0 && c8.n_calibration == 0 && !c8.calibration);
    CHECK(c4.asymmetric == 0 && c4.mixed_precision == 0 && c4.n_calibration == 0 && !c4.calibration);
    CHECK(c2.asymmetric == 1 && c2.mixed_precision == 1 && c2.clip_search == 1);
    REQUIRE(c2.calibration && c2.n_calibration == 64);
    for (size_t i = 0; i < c2.n_calibration; i++) CHECK_MSG(c2.calibration[i] && *c2.calibration[i], "text %zu", i);
    CHECK(ia_quant_config_check(&c2) == IA_OK);
}
