/*
 * test_bert_gguf.c — all-MiniLM-L6-v2 as one BERT GGUF file, as llama.cpp's
 * convert_hf_to_gguf.py writes it, against the safetensors directory it
 * came from.
 *
 *   bert_gguf_tokens_match_tokenizer_json  the WordPiece vocabulary rebuilt
 *       from tokenizer.ggml.* gives Hugging Face tokenizers' ids on the
 *       tokenizer cases (test/fixtures/tokenizer_cases.json, configs
 *       "minilm" and "short_max") and on the reference texts
 *       (minilm_reference.json's ids)
 *   bert_gguf_embeds_like_safetensors  F32 and F16 files embed the
 *       reference texts, one by one and as one batch, with cosine >= 0.99999
 *       against the directory (both L2-normalised: see ia_gguf_st_config);
 *       the Q8_0 file within 0.997. Texts longer than the directory's
 *       max_seq_length (256, sentence_bert_config.json) are left out of the
 *       bound: the GGUF has no such key and reads bert.context_length (512)
 *       tokens, as llama.cpp does (see worst_cosine)
 *   bert_gguf_converter_matches_script  needs torch in .venv (CI has none:
 *       skipped there, saying so): runs convert_hf_to_gguf.py itself
 *       ($IA_LLAMACPP_SRC, default build-anchors/llama.cpp-src) for f32, f16
 *       and q8_0, checks that scripts/make_bert_gguf.py's files hold the same
 *       metadata, tensor names, types and bytes (scripts/compare_gguf.py),
 *       and that the converter's F32 file embeds like the directory
 *
 * The GGUF files of the first two tests come from scripts/make_bert_gguf.py
 * (numpy, transformers and gguf-py, no torch), written once per process
 * into build-bertgguf/ of the source tree (or taken from $IA_BERT_GGUF_DIR,
 * as they are); the third test's proves that they are the converter's.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "formats/gguf.h"
#include "harness.h"
#include "ipfs_accelerate.h"
#include "tokenize/tokenizer.h"
#include "tokenize/tokenizer_impl.h"

#define MIN_COSINE 0.99999
/* Q8_0: the bound test/quant/test_model_quant.c holds our own q8_0 files
 * to (measured there 0.9985; here 0.9983) */
#define MIN_COSINE_Q8 0.997

static int exists(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0;
}

/* The directory of the script-written files, made once per process; NULL
 * (and the reason printed) on failure. */
static const char *gguf_dir(void) {
    static char dir[4096];
    static int state; /* 0 not yet, 1 ready, -1 failed */
    static const char *const types[] = {"f32", "f16", "q8_0"};
    const char *env = getenv("IA_BERT_GGUF_DIR"), *model;
    if (env && *env) return env;
    if (state) return state > 0 ? dir : NULL;
    state = -1;
    if (!(model = ia_test_model_dir())) {
        fprintf(stderr, "  all-MiniLM-L6-v2 is not in the model cache (run scripts/setup.sh)\n");
        return NULL;
    }
    snprintf(dir, sizeof dir, "%s", ia_test_source_path("build-bertgguf"));
    mkdir(dir, 0755);
    for (int i = 0; i < 3; i++) {
        char out[4200];
        snprintf(out, sizeof out, "%s/minilm-%s.gguf", dir, types[i]);
        if (ia_test_run_python("scripts/make_bert_gguf.py", model, "--outfile", out, "--outtype", types[i],
                               (const char *)NULL) != 0) {
            fprintf(stderr, "  scripts/make_bert_gguf.py failed (numpy, transformers and gguf in .venv?)\n");
            return NULL;
        }
    }
    state = 1;
    return dir;
}

static int gguf_path(const char *dir, const char *type, char *buf, size_t cap) {
    int n = snprintf(buf, cap, "%s/minilm-%s.gguf", dir, type);
    return n > 0 && (size_t)n < cap && exists(buf);
}

static cJSON *read_json(const char *rel) {
    size_t len = 0;
    char *text = ia_test_read_file(ia_test_source_path(rel), &len);
    cJSON *doc = text ? cJSON_ParseWithLength(text, len) : NULL;
    free(text);
    return doc;
}

static size_t unhex(const char *hex, char *out, size_t cap) {
    size_t n = 0;
    for (; hex[0] && hex[1] && n < cap; hex += 2) {
        unsigned v = 0;
        sscanf(hex, "%2x", &v);
        out[n++] = (char)v;
    }
    return n;
}

/* 1 when tok encodes bytes[0..len) to the ids of `want` (a JSON array). */
static int same_ids(const ia_tokenizer *tok, const char *bytes, size_t len, size_t max_tokens, const cJSON *want) {
    static int32_t got[8192];
    size_t n = 0, i = 0;
    const cJSON *it;
    if (ia_tokenizer_encode_bytes(tok, bytes, len, max_tokens, got, 8192, &n) != IA_OK) {
        fprintf(stderr, "    encode failed: %s\n", ia_last_error());
        return 0;
    }
    if (n != (size_t)cJSON_GetArraySize(want)) return 0;
    cJSON_ArrayForEach(it, want) if (got[i++] != (int32_t)it->valuedouble) return 0;
    return 1;
}

IA_TEST(bert_gguf_tokens_match_tokenizer_json) {
    const char *dir = gguf_dir();
    char path[4200];
    ia_gguf *f = NULL;
    ia_tokenizer *tok = NULL;
    cJSON *cases = NULL, *ref = NULL;
    const cJSON *cfg, *c;
    int n_cases = 0, n_bad = 0;
    static char bytes[8192];
    REQUIRE(dir && gguf_path(dir, "f16", path, sizeof path));
    REQUIRE(ia_gguf_open(path, &f) == IA_OK);
    CHECK_STATUS(ia_tokenizer_from_gguf(f, &tok), IA_OK);
    if (!tok) goto done;
    CHECK(ia_tokenizer_vocab_size(tok) == 30522);
    CHECK(ia_tokenizer_pad_id(tok) == 0);
    cases = read_json("test/fixtures/tokenizer_cases.json");
    ref = read_json("test/fixtures/minilm_reference.json");
    REQUIRE(cases && ref);
    /* the configs that are the shipped tokenizer.json (no patch) */
    cJSON_ArrayForEach(cfg, cJSON_GetObjectItemCaseSensitive(cases, "configs")) {
        const char *name = cJSON_GetObjectItemCaseSensitive(cfg, "name")->valuestring;
        size_t max_tokens = (size_t)cJSON_GetObjectItemCaseSensitive(cfg, "max_tokens")->valuedouble;
        if (strcmp(name, "minilm") != 0 && strcmp(name, "short_max") != 0) continue;
        cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(cfg, "cases")) {
            const cJSON *text = cJSON_GetObjectItemCaseSensitive(c, "text");
            const cJSON *hex = cJSON_GetObjectItemCaseSensitive(c, "hex");
            const cJSON *want = cJSON_GetObjectItemCaseSensitive(c, "ids");
            int ok;
            if (cJSON_IsString(text)) {
                ok = same_ids(tok, text->valuestring, strlen(text->valuestring), max_tokens, want);
                CHECK_MSG(ok, "[%s] \"%.60s\"", name, text->valuestring);
            } else {
                size_t len = unhex(hex->valuestring, bytes, sizeof bytes);
                ok = same_ids(tok, bytes, len, max_tokens, want);
                CHECK_MSG(ok, "[%s] hex %.60s", name, hex->valuestring);
            }
            n_bad += !ok;
            n_cases++;
        }
    }
    {
        const cJSON *texts = cJSON_GetObjectItemCaseSensitive(ref, "texts");
        const cJSON *ids = cJSON_GetObjectItemCaseSensitive(ref, "ids");
        for (int i = 0; i < cJSON_GetArraySize(texts); i++) {
            const char *t = cJSON_GetArrayItem(texts, i)->valuestring;
            int ok = same_ids(tok, t, strlen(t), 256, cJSON_GetArrayItem(ids, i));
            CHECK_MSG(ok, "[reference] \"%.60s\"", t);
            n_bad += !ok;
            n_cases++;
        }
    }
    printf("  %d texts: %d tokenized unlike Hugging Face tokenizers\n", n_cases, n_bad);
    CHECK(n_cases > 250);
done:
    cJSON_Delete(cases);
    cJSON_Delete(ref);
    ia_tokenizer_free(tok);
    ia_gguf_free(f);
}

/* llama.cpp's WordPiece fixture (models/ggml-vocab-bert-bge.gguf, with
 * .inp texts and the .out ids convert_hf_to_gguf_update.py took from HF
 * tokenizers without special tokens): every text gives those ids between
 * our [CLS] and [SEP]. From scripts/fetch_llamacpp_src.sh's tree. */
IA_TEST(bert_gguf_llamacpp_vocab_fixture) {
    static const char sep[] = "\n__ggml_vocab_test__\n";
    const char *base = "build-anchors/llama.cpp-src/models/ggml-vocab-bert-bge.gguf";
    char rel[256];
    char *inp = NULL, *outs = NULL;
    size_t ninp = 0, nout = 0, ip = 0, op = 0;
    ia_gguf *f = NULL;
    ia_tokenizer *tok = NULL;
    int cases = 0, bad = 0;
    static int32_t ids[1 << 16], want[1 << 16];
    if (ia_gguf_open(ia_test_source_path(base), &f) != IA_OK) {
        CHECK_MSG(0, "%s: %s (run scripts/fetch_llamacpp_src.sh)", base, ia_last_error());
        return;
    }
    CHECK_STATUS(ia_tokenizer_from_gguf(f, &tok), IA_OK);
    ia_gguf_free(f);
    snprintf(rel, sizeof rel, "%s.inp", base);
    inp = ia_test_read_file(ia_test_source_path(rel), &ninp);
    snprintf(rel, sizeof rel, "%s.out", base);
    outs = ia_test_read_file(ia_test_source_path(rel), &nout);
    if (!tok || !inp || !outs) {
        CHECK_MSG(0, "cannot load the bert-bge fixture");
        goto done;
    }
    while (ip < ninp) {
        const char *s = inp + ip;
        size_t len = ninp - ip, nw = 0, n = 0;
        for (size_t k = ip; k + sizeof sep - 1 <= ninp; k++)
            if (memcmp(inp + k, sep, sizeof sep - 1) == 0) {
                len = k - ip;
                break;
            }
        ip += len + (ip + len < ninp ? sizeof sep - 1 : 0);
        while (op < nout && outs[op] != '\n') {
            char *end;
            long v;
            if (outs[op] == ' ') {
                op++;
                continue;
            }
            v = strtol(outs + op, &end, 10);
            if (end == outs + op) break;
            if (nw < sizeof want / sizeof *want) want[nw++] = (int32_t)v;
            op = (size_t)(end - outs);
        }
        if (op < nout) op++;
        cases++;
        if (ia_tokenizer_encode_bytes(tok, s, len, 0, ids, sizeof ids / sizeof *ids, &n) != IA_OK || n < 2 ||
            n - 2 != nw || memcmp(ids + 1, want, nw * sizeof *want) != 0) {
            if (bad++ < 3) fprintf(stderr, "  text %d (\"%.*s\"): %zu ids, want %zu + 2\n", cases,
                                   (int)(len < 40 ? len : 40), s, n, nw);
        }
    }
    printf("  bert-bge: %d texts, %d differ\n", cases, bad);
    CHECK(cases > 20 && bad == 0);
done:
    free(inp);
    free(outs);
    ia_tokenizer_free(tok);
}

typedef struct ref_texts {
    cJSON *root;
    const char **v;
    int *fits; /* the reference's ids are not cut at max_seq_length */
    int n, n_long;
} ref_texts;

static int load_texts(ref_texts *r) {
    const cJSON *t;
    int i = 0, max_seq;
    memset(r, 0, sizeof *r);
    if (!(r->root = read_json("test/fixtures/minilm_reference.json"))) return 0;
    max_seq = cJSON_GetObjectItemCaseSensitive(r->root, "max_seq_length")->valueint;
    t = cJSON_GetObjectItemCaseSensitive(r->root, "texts");
    r->n = cJSON_GetArraySize(t);
    r->v = calloc((size_t)r->n, sizeof *r->v);
    r->fits = calloc((size_t)r->n, sizeof *r->fits);
    if (!r->v || !r->fits) return 0;
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(r->root, "texts")) {
        r->fits[i] = cJSON_GetArraySize(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(r->root, "ids"), i)) < max_seq;
        r->n_long += !r->fits[i];
        r->v[i++] = t->valuestring;
    }
    return r->n > 0;
}

static void free_texts(ref_texts *r) {
    cJSON_Delete(r->root);
    free(r->v);
    free(r->fits);
}

static double cosine(const float *a, const float *b, int dim) {
    double dot = 0, na = 0, nb = 0;
    for (int j = 0; j < dim; j++) {
        dot += (double)a[j] * b[j];
        na += (double)a[j] * a[j];
        nb += (double)b[j] * b[j];
    }
    return dot / (sqrt(na) * sqrt(nb) + 1e-30);
}

static ia_model *open_model(const char *ref) {
    ia_model_options o;
    ia_model *m = NULL;
    IA_MODEL_OPTIONS_INIT(&o);
    o.threads = 2;
    if (ia_model_open(ref, &o, &m) != IA_OK) {
        fprintf(stderr, "  cannot open %s: %s\n", ref, ia_last_error());
        return NULL;
    }
    return m;
}

/* The worst cosine of `gguf`'s embeddings against want[n][dim] (the
 * directory's), one by one and batched, over the texts that fit
 * sentence_bert_config.json's max_seq_length (256): the GGUF does not carry
 * it, so a GGUF model reads up to bert.context_length (512) tokens, as
 * llama.cpp does, and a longer text embeds more of itself than the
 * directory does; *long_cos is the worst cosine over those (reported, not
 * bounded). -1 when it cannot run. */
static double worst_cosine(const char *gguf, const ref_texts *r, const float *want, int dim, double *norm_err,
                           double *long_cos) {
    ia_model *m = open_model(gguf);
    float *one, *all;
    double worst = 1;
    *norm_err = 0;
    *long_cos = 1;
    if (!m) return -1;
    if (ia_model_dim(m) != dim || ia_model_max_tokens(m) != 512) {
        fprintf(stderr, "  %s: dim %d, max tokens %d\n", gguf, ia_model_dim(m), ia_model_max_tokens(m));
        ia_model_free(m);
        return -1;
    }
    one = malloc((size_t)dim * sizeof *one);
    all = malloc((size_t)r->n * (size_t)dim * sizeof *all);
    if (!one || !all || ia_model_embed(m, r->v, (size_t)r->n, all) != IA_OK) worst = -1;
    for (int i = 0; worst >= 0 && i < r->n; i++) {
        double c1, cb, nrm = 0;
        if (ia_model_embed(m, &r->v[i], 1, one) != IA_OK) {
            worst = -1;
            break;
        }
        c1 = cosine(one, want + (size_t)i * dim, dim);
        cb = cosine(all + (size_t)i * dim, want + (size_t)i * dim, dim);
        for (int j = 0; j < dim; j++) nrm += (double)one[j] * one[j];
        if (fabs(sqrt(nrm) - 1) > *norm_err) *norm_err = fabs(sqrt(nrm) - 1);
        if (!r->fits[i]) {
            *long_cos = c1 < *long_cos ? c1 : *long_cos;
            continue;
        }
        worst = c1 < worst ? c1 : worst;
        worst = cb < worst ? cb : worst;
    }
    free(one);
    free(all);
    ia_model_free(m);
    return worst;
}

/* The directory's embeddings of the reference texts (batched). */
static float *dir_embeddings(const ref_texts *r, int *dim) {
    const char *dir = ia_test_model_dir();
    ia_model *m = dir ? open_model(dir) : NULL;
    float *e;
    if (!m) return NULL;
    *dim = ia_model_dim(m);
    e = malloc((size_t)r->n * (size_t)*dim * sizeof *e);
    if (e && ia_model_embed(m, r->v, (size_t)r->n, e) != IA_OK) {
        free(e);
        e = NULL;
    }
    ia_model_free(m);
    return e;
}

IA_TEST_HEAVY(bert_gguf_embeds_like_safetensors) {
    static const char *const types[] = {"f32", "f16", "q8_0"};
    const char *dir = gguf_dir();
    ref_texts r;
    float *want;
    int dim = 0;
    REQUIRE(dir);
    REQUIRE(load_texts(&r));
    want = dir_embeddings(&r, &dim);
    if (!want) {
        free_texts(&r);
        REQUIRE(want != NULL);
    }
    for (int t = 0; t < 3; t++) {
        char path[4200];
        double norm_err, c, lc;
        double bound = strcmp(types[t], "q8_0") == 0 ? MIN_COSINE_Q8 : MIN_COSINE;
        CHECK(gguf_path(dir, types[t], path, sizeof path));
        c = worst_cosine(path, &r, want, dim, &norm_err, &lc);
        printf("  %s GGUF vs safetensors, %d texts, batch 1 and batched: worst cosine %.8f (bound %g), "
               "| |e| - 1 | <= %.1e; %d texts past 256 tokens: %.4f\n", types[t], r.n - r.n_long, c, bound, norm_err,
               r.n_long, lc);
        CHECK_MSG(c >= bound, "%s: worst cosine %.8f", types[t], c);
        CHECK_MSG(norm_err < 1e-5, "%s: not unit vectors (%.1e)", types[t], norm_err);
    }
    free(want);
    free_texts(&r);
}

/* Appends s to cmd in single quotes. */
static void quote(char *cmd, size_t cap, const char *s) {
    size_t n = strlen(cmd);
    if (n + 3 >= cap) return;
    cmd[n++] = ' ';
    cmd[n++] = '\'';
    for (; *s && n + 5 < cap; s++) {
        if (*s == '\'') {
            memcpy(cmd + n, "'\\''", 4);
            n += 4;
        } else {
            cmd[n++] = *s;
        }
    }
    cmd[n++] = '\'';
    cmd[n] = '\0';
}

IA_TEST_HEAVY(bert_gguf_converter_matches_script) {
    static const char *const types[] = {"f32", "f16", "q8_0"};
    const char *src = getenv("IA_LLAMACPP_SRC"), *model = ia_test_model_dir(), *dir;
    char py[4096], conv[4200], cmd[16384], out_dir[4096];
    snprintf(py, sizeof py, "%s", ia_test_source_path(".venv/bin/python"));
    cmd[0] = '\0';
    quote(cmd, sizeof cmd, py);
    strncat(cmd, " -c 'import torch' >/dev/null 2>&1", sizeof cmd - strlen(cmd) - 1);
    if (system(cmd) != 0)
        SKIP("torch is not installed in .venv, so llama.cpp's convert_hf_to_gguf.py cannot run here "
             "(bert_gguf_embeds_like_safetensors checks scripts/make_bert_gguf.py's file instead)");
    snprintf(conv, sizeof conv, "%s/convert_hf_to_gguf.py",
             src && *src ? src : ia_test_source_path("build-anchors/llama.cpp-src"));
    if (!exists(conv)) SKIP("%s is absent (scripts/fetch_llamacpp_src.sh, or set IA_LLAMACPP_SRC)", conv);
    REQUIRE(model);
    REQUIRE((dir = gguf_dir()) != NULL);
    snprintf(out_dir, sizeof out_dir, "%s", ia_test_source_path("build-bertgguf/converter"));
    mkdir(ia_test_source_path("build-bertgguf"), 0755);
    mkdir(out_dir, 0755);
    for (int t = 0; t < 3; t++) {
        char ours[4200], theirs[4200];
        snprintf(theirs, sizeof theirs, "%s/minilm-%s.gguf", out_dir, types[t]);
        REQUIRE(gguf_path(dir, types[t], ours, sizeof ours));
        cmd[0] = '\0';
        quote(cmd, sizeof cmd, py);
        quote(cmd, sizeof cmd, conv);
        quote(cmd, sizeof cmd, model);
        strncat(cmd, " --outfile", sizeof cmd - strlen(cmd) - 1);
        quote(cmd, sizeof cmd, theirs);
        strncat(cmd, " --outtype ", sizeof cmd - strlen(cmd) - 1);
        strncat(cmd, types[t], sizeof cmd - strlen(cmd) - 1);
        strncat(cmd, " >/dev/null 2>&1", sizeof cmd - strlen(cmd) - 1);
        fflush(stdout);
        CHECK_MSG(system(cmd) == 0, "convert_hf_to_gguf.py --outtype %s failed:%s", types[t], cmd);
        /* compare_gguf.py prints each difference and a summary line */
        CHECK_MSG(ia_test_run_python("scripts/compare_gguf.py", theirs, ours, (const char *)NULL) == 0,
                  "%s: scripts/make_bert_gguf.py's file differs from the converter's (run scripts/compare_gguf.py "
                  "%s %s)", types[t], theirs, ours);
    }
    {
        ref_texts r;
        float *want;
        int dim = 0;
        double norm_err, c, lc;
        char theirs[4200];
        REQUIRE(load_texts(&r));
        want = dir_embeddings(&r, &dim);
        snprintf(theirs, sizeof theirs, "%s/minilm-f32.gguf", out_dir);
        c = want ? worst_cosine(theirs, &r, want, dim, &norm_err, &lc) : -1;
        printf("  convert_hf_to_gguf.py's F32 file vs safetensors: worst cosine %.8f\n", c);
        CHECK_MSG(c >= MIN_COSINE, "worst cosine %.8f", c);
        free(want);
        free_texts(&r);
    }
}
