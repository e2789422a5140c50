/*
 * test_minilm_variants.c — pooling and weight-dtype variants of
 * all-MiniLM-L6-v2 against sentence-transformers
 * (test/fixtures/minilm_variants_reference.json, written by
 * scripts/make_minilm_variant_reference.py), through the public API only.
 *
 *   minilm-mean-nonorm  mean pooling, no Normalize: catches a mean that
 *                       divides by the batch's longest length (the final
 *                       Normalize of the shipped model hides it)
 *   minilm-cls-nonorm   CLS pooling, no Normalize: catches CLS taking the
 *                       last token
 *   minilm-bf16         BF16 weights: catches BF16 converted as if F16
 *   minilm-f16          F16 weights
 *
 * The variant directories are derived from the cached model by
 * scripts/make_minilm_variants.py (numpy only; weights are never committed).
 * With IA_VARIANTS_DIR set, the test uses the directories there as they are;
 * otherwise it runs that script itself (.venv/bin/python of this checkout)
 * into build-variants/ of the source tree; the script leaves current
 * directories alone, so this costs little after the first run. (The harness
 * has no "skipped" state, so a missing variant directory is a failure.)
 *
 * Each text at batch 1 and all texts as one batch: worst cosine >= 0.99999
 * and max |diff| <= 1e-4 per vector. And the test is not vacuous: every
 * variant's reference is more than 2e-4 (max-abs) away from the shipped
 * model's normalised embeddings, and so is what the core computes.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ipfs_accelerate.h"

#define MIN_COSINE 0.99999
#define MAX_ABS 1e-4
#define MIN_DIST_FROM_BASE (2 * MAX_ABS)

typedef struct vfixture {
    cJSON *root;
    int n, dim;
    const char **texts;
} vfixture;

static int load_vfixture(vfixture *f) {
    size_t len = 0;
    char *text = ia_test_read_file(ia_test_source_path("test/fixtures/minilm_variants_reference.json"), &len);
    const cJSON *t;
    int i = 0;
    memset(f, 0, sizeof *f);
    if (!text) return 0;
    f->root = cJSON_ParseWithLength(text, len);
    free(text);
    if (!f->root) return 0;
    f->dim = cJSON_GetObjectItem(f->root, "dim")->valueint;
    t = cJSON_GetObjectItem(f->root, "texts");
    f->n = cJSON_GetArraySize(t);
    f->texts = calloc((size_t)f->n, sizeof *f->texts);
    cJSON_ArrayForEach(t, cJSON_GetObjectItem(f->root, "texts")) f->texts[i++] = t->valuestring;
    return f->n > 0 && f->dim > 0;
}

static void free_vfixture(vfixture *f) {
    cJSON_Delete(f->root);
    free(f->texts);
}

/* Row i of array `rows` ([n][dim] numbers) into out[dim]. */
static int get_row(const cJSON *rows, int i, int dim, float *out) {
    const cJSON *v;
    int j = 0;
    cJSON_ArrayForEach(v, cJSON_GetArrayItem(rows, i)) {
        if (j >= dim) return 0;
        out[j++] = (float)v->valuedouble;
    }
    return j == dim;
}

static void distance(const float *want, const float *got, int dim, double *cos_out, double *abs_out) {
    double dot = 0, na = 0, nb = 0, maxabs = 0;
    for (int j = 0; j < dim; j++) {
        double d = fabs((double)want[j] - got[j]);
        dot += (double)want[j] * got[j];
        na += (double)want[j] * want[j];
        nb += (double)got[j] * got[j];
        maxabs = d > maxabs ? d : maxabs;
    }
    *cos_out = dot / (sqrt(na) * sqrt(nb) + 1e-30);
    *abs_out = maxabs;
}

/* The directory holding the variant dirs: $IA_VARIANTS_DIR, or
 * build-variants/ of the source tree, made (or refreshed) by
 * scripts/make_minilm_variants.py once per process. NULL on failure. */
static const char *variants_dir(void) {
    static char dir[4096];
    static int state; /* 0 not yet, 1 ready, -1 failed */
    const char *env = getenv("IA_VARIANTS_DIR");
    const char *model;
    if (env && *env) return env;
    if (state) return state > 0 ? dir : NULL;
    state = -1;
    model = ia_test_model_dir();
    if (!model) {
        fprintf(stderr, "  all-MiniLM-L6-v2 is not in the model cache (run scripts/setup.sh)\n");
        return NULL;
    }
    snprintf(dir, sizeof dir, "%s", ia_test_source_path("build-variants"));
    if (ia_test_run_python("scripts/make_minilm_variants.py", "--src", model, "--out", dir, (const char *)NULL) != 0) {
        fprintf(stderr, "  IA_VARIANTS_DIR not set and making the variants failed\n");
        return NULL;
    }
    state = 1;
    return dir;
}

/* One variant: batch 1 and batched against the fixture, and away from the
 * shipped model's embeddings (base_embeddings). */
static void check_variant(const char *name, int *ia_failed_) {
    vfixture f;
    const cJSON *v, *rows1, *rowsb, *base;
    const char *vdir;
    char path[4096];
    ia_model_options o;
    ia_model *m = NULL;
    float *want = NULL, *one = NULL, *all = NULL, *b = NULL;
    double worst_cos1 = 1, worst_abs1 = 0, worst_cosb = 1, worst_absb = 0;
    double ref_from_base = 0, got_from_base = 0;

    REQUIRE(load_vfixture(&f));
    v = cJSON_GetObjectItem(cJSON_GetObjectItem(f.root, "variants"), name);
    rows1 = cJSON_GetObjectItem(v, "embeddings");
    rowsb = cJSON_GetObjectItem(v, "embeddings_batched");
    base = cJSON_GetObjectItem(f.root, "base_embeddings");
    if (!v || cJSON_GetArraySize(rows1) != f.n || cJSON_GetArraySize(rowsb) != f.n ||
        cJSON_GetArraySize(base) != f.n) {
        free_vfixture(&f);
        REQUIRE(!"fixture lacks the variant's rows");
    }
    vdir = variants_dir();
    if (!vdir) {
        free_vfixture(&f);
        REQUIRE(vdir != NULL);
    }
    if (snprintf(path, sizeof path, "%s/%s", vdir, name) >= (int)sizeof path) {
        free_vfixture(&f);
        REQUIRE(!"variant path too long");
    }
    IA_MODEL_OPTIONS_INIT(&o);
    o.threads = 2;
    if (ia_model_open(path, &o, &m) != IA_OK) {
        fprintf(stderr, "  cannot open %s: %s\n", path, ia_last_error());
        free_vfixture(&f);
        REQUIRE(m != NULL);
    }
    CHECK(ia_model_dim(m) == f.dim);
    want = malloc((size_t)f.dim * sizeof *want);
    b = malloc((size_t)f.dim * sizeof *b);
    one = malloc((size_t)f.n * (size_t)f.dim * sizeof *one);
    all = malloc((size_t)f.n * (size_t)f.dim * sizeof *all);
    REQUIRE(want && b && one && all);

    for (int i = 0; i < f.n; i++)
        CHECK_STATUS(ia_model_embed(m, &f.texts[i], 1, one + (size_t)i * (size_t)f.dim), IA_OK);
    CHECK_STATUS(ia_model_embed(m, f.texts, (size_t)f.n, all), IA_OK);

    for (int i = 0; i < f.n; i++) {
        const float *g1 = one + (size_t)i * (size_t)f.dim, *gb = all + (size_t)i * (size_t)f.dim;
        double c, a;
        CHECK(get_row(rows1, i, f.dim, want));
        distance(want, g1, f.dim, &c, &a);
        CHECK_MSG(c >= MIN_COSINE && a <= MAX_ABS, "%s, batch 1, text %d \"%.30s\": cosine %.8f, max abs %.3e",
                  name, i, f.texts[i], c, a);
        worst_cos1 = c < worst_cos1 ? c : worst_cos1;
        worst_abs1 = a > worst_abs1 ? a : worst_abs1;

        CHECK(get_row(rowsb, i, f.dim, want));
        distance(want, gb, f.dim, &c, &a);
        CHECK_MSG(c >= MIN_COSINE && a <= MAX_ABS, "%s, batched, text %d \"%.30s\": cosine %.8f, max abs %.3e",
                  name, i, f.texts[i], c, a);
        worst_cosb = c < worst_cosb ? c : worst_cosb;
        worst_absb = a > worst_absb ? a : worst_absb;

        /* Not vacuous: the variant is not the shipped model. */
        CHECK(get_row(base, i, f.dim, b));
        distance(b, want, f.dim, &c, &a);
        ref_from_base = a > ref_from_base ? a : ref_from_base;
        distance(b, g1, f.dim, &c, &a);
        got_from_base = a > got_from_base ? a : got_from_base;
    }
    CHECK_MSG(ref_from_base > MIN_DIST_FROM_BASE, "%s: reference only %.3e from the shipped model's embeddings", name,
              ref_from_base);
    CHECK_MSG(got_from_base > MAX_ABS, "%s: output only %.3e from the shipped model's embeddings", name,
              got_from_base);
    printf("  %s: %d texts, batch 1: worst cosine %.8f, max-abs %.2e; batched: worst cosine %.8f, max-abs %.2e; "
           "%.2e from the normalised model\n",
           name, f.n, worst_cos1, worst_abs1, worst_cosb, worst_absb, got_from_base);
    free(want);
    free(b);
    free(one);
    free(all);
    ia_model_free(m);
    free_vfixture(&f);
}

IA_TEST(minilm_variants_mean_nonorm) { check_variant("minilm-mean-nonorm", ia_failed_); }
IA_TEST(minilm_variants_cls_nonorm) { check_variant("minilm-cls-nonorm", ia_failed_); }
IA_TEST(minilm_variants_bf16) { check_variant("minilm-bf16", ia_failed_); }
IA_TEST(minilm_variants_f16) { check_variant("minilm-f16", ia_failed_); }
