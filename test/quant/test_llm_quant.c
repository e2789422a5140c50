/*
 * test_llm_quant.c — `quantize --type` (quant/llm_quant.c): a GGUF decoder
 * into ggml types as llama-quantize makes it.
 *   - the per-tensor rule on SmolLM2's shapes, written out here from
 *     llama-quant.cpp (not from our code): Q4_K_M's use_more_bits layers,
 *     tied embeddings, the fallbacks for 576-wide rows;
 *   - a small synthetic GGUF end to end: types, bytes (copied tensors
 *     unchanged, quantised ones equal to the reference quantisers on the
 *     dequantised source), every metadata value copied (arrays included),
 *     general.file_type;
 *   - heavy: SmolLM2 to q4_k_m and q5_0 — the recipe's types, gguf-py's
 *     dequantisation equal to ours (scripts/check_llm_quant.py), greedy
 *     continuations close to the f32 model's (transformers on the
 *     dequantised source, test/fixtures/smollm2_reference.json), and, when
 *     build-anchors/llama.cpp/bin/llama-quantize exists, the same types and
 *     bytes as llama-quantize from the same source.
 */
#define _POSIX_C_SOURCE 200809L /* mkdtemp, popen */

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "formats/gguf.h"
#include "harness.h"
#include "ipfs_accelerate.h"
#include "quant/llm_quant.h"
#include "tensor/dtype.h"
#include "util/sha256.h"

/* ---- the rule, on SmolLM2-135M's shapes (30 layers, 576 wide, ffn 1536) */

/* llama-quant.cpp use_more_bits(i, 30): i < 3, i >= 26, (i - 3) % 3 == 2 */
static const int MORE[] = {0, 1, 2, 5, 8, 11, 14, 17, 20, 23, 26, 27, 28, 29};

static int more_bits(int layer) {
    for (size_t i = 0; i < sizeof MORE / sizeof *MORE; i++)
        if (MORE[i] == layer) return 1;
    return 0;
}

static int want_type(const char *qtype, const char *name, int ndim) {
    int layer = -1, q4km = !strcmp(qtype, "q4_k_m");
    if (ndim < 2) return IA_GGML_F32;
    if (!strcmp(name, "token_embd.weight")) return IA_GGML_Q8_0; /* tied: output rule, 576 % 256 → Q8_0 */
    sscanf(name, "blk.%d.", &layer);
    if (!q4km) return IA_GGML_Q5_0;
    if (strstr(name, "attn_v")) return more_bits(layer) ? IA_GGML_Q8_0 : IA_GGML_Q5_0; /* Q6_K / Q4_K fall back */
    if (strstr(name, "ffn_down")) return more_bits(layer) ? IA_GGML_Q6_K : IA_GGML_Q4_K; /* 1536 = 6 · 256 */
    return IA_GGML_Q5_0; /* Q4_K on 576-wide rows */
}

IA_TEST(llm_quant_recipe_is_llama_cpp_s) {
    const ia_llm_qtype *t = ia_llm_qtype_find("Q4_K_M"), *p;
    char name[64];
    REQUIRE(t && !strcmp(t->name, "q4_k_m") && t->ftype == 15);
    CHECK(ia_llm_qtype_find("q4_k_s") == NULL && ia_llm_qtype_find("") == NULL && ia_llm_qtype_find(NULL) == NULL);
    for (int l = 0; l < 30; l++) {
        static const char *const kinds[] = {"attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"};
        for (int k = 0; k < 7; k++) {
            int64_t cols = k == 6 ? 1536 : 576;
            snprintf(name, sizeof name, "blk.%d.%s.weight", l, kinds[k]);
            CHECK_MSG(ia_llm_tensor_type(t, name, 2, cols, IA_GGML_Q4_1, 30, 30, 1) == want_type("q4_k_m", name, 2),
                      "%s: %s", name, ia_ggml_type_name((ia_ggml_type)ia_llm_tensor_type(t, name, 2, cols, 3, 30, 30, 1)));
        }
        snprintf(name, sizeof name, "blk.%d.attn_norm.weight", l);
        CHECK(ia_llm_tensor_type(t, name, 1, 576, IA_GGML_F32, 30, 30, 1) == IA_GGML_F32);
    }
    CHECK(ia_llm_tensor_type(t, "token_embd.weight", 2, 576, IA_GGML_Q8_0, 30, 30, 1) == IA_GGML_Q8_0);
    /* a wide model: no fallbacks; untied embeddings take the default, output Q6_K */
    CHECK(ia_llm_tensor_type(t, "token_embd.weight", 2, 4096, IA_GGML_F16, 32, 32, 0) == IA_GGML_Q4_K);
    CHECK(ia_llm_tensor_type(t, "token_embd.weight", 2, 4096, IA_GGML_F16, 32, 32, 1) == IA_GGML_Q6_K);
    CHECK(ia_llm_tensor_type(t, "output.weight", 2, 4096, IA_GGML_F16, 32, 32, 0) == IA_GGML_Q6_K);
    CHECK(ia_llm_tensor_type(t, "blk.5.attn_v.weight", 2, 4096, IA_GGML_F16, 32, 32, 0) == IA_GGML_Q4_K);
    CHECK(ia_llm_tensor_type(t, "blk.6.attn_v.weight", 2, 4096, IA_GGML_F16, 32, 32, 0) == IA_GGML_Q6_K);
    CHECK(ia_llm_tensor_type(t, "output_norm.weight", 1, 4096, IA_GGML_F32, 32, 32, 0) == IA_GGML_F32);
    CHECK(ia_llm_tensor_type(t, "blk.0.attn_q.bias", 1, 4096, IA_GGML_F32, 32, 32, 0) == IA_GGML_F32);
    /* the other mixtures: output Q6_K (Q8_0 for q8_0), the rest the type */
    REQUIRE((p = ia_llm_qtype_find("q4_0")) != NULL);
    CHECK(ia_llm_tensor_type(p, "output.weight", 2, 4096, IA_GGML_F16, 32, 32, 0) == IA_GGML_Q6_K);
    CHECK(ia_llm_tensor_type(p, "blk.0.ffn_down.weight", 2, 4096, IA_GGML_F16, 32, 32, 0) == IA_GGML_Q4_0);
    REQUIRE((p = ia_llm_qtype_find("q8_0")) != NULL);
    CHECK(ia_llm_tensor_type(p, "output.weight", 2, 4096, IA_GGML_F16, 32, 32, 0) == IA_GGML_Q8_0);
    /* pure k-quants and their fallbacks (576: not whole 256-blocks; 48: not whole 32-blocks) */
    REQUIRE((p = ia_llm_qtype_find("q3_k")) != NULL);
    CHECK(ia_llm_tensor_type(p, "output.weight", 2, 4096, IA_GGML_F16, 32, 32, 0) == IA_GGML_Q3_K);
    CHECK(ia_llm_tensor_type(p, "blk.0.attn_q.weight", 2, 576, IA_GGML_F16, 32, 32, 0) == IA_GGML_Q4_0);
    CHECK(ia_llm_tensor_type(ia_llm_qtype_find("q2_k"), "blk.0.attn_q.weight", 2, 576, 1, 32, 32, 0) == IA_GGML_Q4_0);
    CHECK(ia_llm_tensor_type(ia_llm_qtype_find("q5_k"), "blk.0.attn_q.weight", 2, 576, 1, 32, 32, 0) == IA_GGML_Q5_1);
    CHECK(ia_llm_tensor_type(ia_llm_qtype_find("q6_k"), "blk.0.attn_q.weight", 2, 576, 1, 32, 32, 0) == IA_GGML_Q8_0);
    CHECK(ia_llm_tensor_type(ia_llm_qtype_find("q6_k"), "blk.0.attn_q.weight", 2, 48, 1, 32, 32, 0) == IA_GGML_F16);
    CHECK(ia_llm_tensor_type(ia_llm_qtype_find("q5_1"), "blk.0.attn_q.weight", 2, 48, 1, 32, 32, 0) == IA_GGML_F16);
}

/* ---- a small synthetic GGUF, end to end -------------------------------- */

typedef struct stensor {
    const char *name;
    ia_ggml_type type;
    int ndim;
    int64_t shape[2];
    ia_ggml_type want; /* under q4_k_m, block_count 2 */
} stensor;

/* use_more_bits(l, 2): layer 1 only (l >= 7 · 2 / 8) */
static const stensor SYN[] = {
    {"token_embd.weight", IA_GGML_F32, 2, {64, 256}, IA_GGML_Q4_K}, /* untied: the default type */
    {"blk.0.attn_norm.weight", IA_GGML_F32, 1, {256}, IA_GGML_F32},
    {"blk.0.attn_v.weight", IA_GGML_F16, 2, {32, 256}, IA_GGML_Q4_K},
    {"blk.1.attn_v.weight", IA_GGML_F32, 2, {32, 256}, IA_GGML_Q6_K},
    {"blk.1.ffn_down.weight", IA_GGML_Q8_0, 2, {16, 512}, IA_GGML_Q6_K},
    {"blk.1.ffn_up.weight", IA_GGML_Q4_1, 2, {8, 96}, IA_GGML_Q5_0},   /* Q4_K falls back */
    {"blk.1.ffn_gate.weight", IA_GGML_F32, 2, {4, 48}, IA_GGML_F16},   /* and Q5_0 does not fit */
    {"blk.0.attn_q.weight", IA_GGML_Q4_K, 2, {8, 256}, IA_GGML_Q4_K},  /* unchanged: copied */
    {"output.weight", IA_GGML_F32, 2, {64, 256}, IA_GGML_Q6_K},
};
#define N_SYN (sizeof SYN / sizeof SYN[0])

static float synval(size_t t, int64_t i) { return 0.05f * sinf(0.37f * (float)i + (float)t) + 0.01f * (float)(i % 7); }

/* Writes the synthetic model to path; 0 on failure. */
static int write_synthetic(const char *path) {
    ia_gguf_writer *w = NULL;
    const char *toks[] = {"a", "b", "<s>"};
    float scores[3] = {-1.0f, -2.5f, 0.0f};
    unsigned char raw[4 + 8 + sizeof scores];
    int ok;
    if (ia_gguf_writer_create(&w) != IA_OK) return 0;
    ok = ia_gguf_writer_set_str(w, "general.architecture", "llama") == IA_OK &&
         ia_gguf_writer_set_u32(w, "llama.block_count", 2) == IA_OK &&
         ia_gguf_writer_set_u32(w, "general.file_type", 0) == IA_OK &&
         ia_gguf_writer_set_str_array(w, "tokenizer.ggml.tokens", toks, 3) == IA_OK &&
         ia_gguf_writer_set_f32(w, "llama.rope.freq_base", 10000.0f) == IA_OK;
    /* an f32 array through the raw setter: element type, count, elements */
    raw[0] = IA_GGUF_F32, raw[1] = raw[2] = raw[3] = 0;
    for (int b = 0; b < 8; b++) raw[4 + b] = (unsigned char)(b == 0 ? 3 : 0);
    memcpy(raw + 12, scores, sizeof scores); /* little-endian host */
    ok = ok && ia_gguf_writer_set_raw(w, "tokenizer.ggml.scores", IA_GGUF_ARRAY, raw, sizeof raw) == IA_OK;
    for (size_t t = 0; ok && t < N_SYN; t++) {
        int64_t n = SYN[t].ndim == 1 ? SYN[t].shape[0] : SYN[t].shape[0] * SYN[t].shape[1];
        int64_t cols = SYN[t].shape[SYN[t].ndim - 1];
        ia_dtype dt = (ia_dtype)ia_dtype_of_ggml_type(SYN[t].type);
        size_t rb = ia_dtype_row_bytes(dt, 0, cols), bytes = rb * (size_t)(n / cols);
        float *f = malloc((size_t)n * sizeof *f);
        unsigned char *d = malloc(bytes);
        ok = f && d;
        for (int64_t i = 0; ok && i < n; i++) f[i] = synval(t, i);
        for (int64_t r = 0; ok && r < n / cols; r++) ok = ia_dtype_from_f32(dt, f + r * cols, d + r * rb, cols) == IA_OK;
        ok = ok && ia_gguf_writer_add_tensor(w, SYN[t].name, SYN[t].type, SYN[t].ndim, SYN[t].shape, d, bytes) == IA_OK;
        free(f), free(d);
    }
    ok = ok && ia_gguf_writer_finish(w, path) == IA_OK;
    ia_gguf_writer_free(w);
    return ok;
}

IA_TEST(llm_quant_synthetic_gguf) {
    char dir[] = "/tmp/ia_llmq_XXXXXX", src[64], out[64], cmd[128];
    char *report = NULL;
    ia_gguf *s = NULL, *o = NULL;
    ia_quant_config cfg;
    REQUIRE(mkdtemp(dir));
    snprintf(src, sizeof src, "%s/src.gguf", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    REQUIRE(write_synthetic(src));
    IA_QUANT_CONFIG_INIT(&cfg, 0);
    cfg.type = "q4_k_m";
    cfg.threads = 2;
    CHECK_STATUS(ia_quantize_model(src, &cfg, out, NULL, NULL, &report), IA_OK); /* out/model.gguf */
    CHECK(report && strstr(report, "\"file_type\":15"));
    ia_free(report);
    snprintf(out, sizeof out, "%s/out/model.gguf", dir);
    REQUIRE(ia_gguf_open(src, &s) == IA_OK);
    CHECK_STATUS(ia_gguf_open(out, &o), IA_OK);
    if (o) {
        int64_t v;
        const char *str;
        size_t cnt;
        const char *const *items;
        ia_gguf_vtype vt;
        const void *data;
        float sc[3];
        CHECK(ia_gguf_get_i64(o, "general.file_type", &v) == IA_OK && v == 15);
        CHECK(ia_gguf_get_i64(o, "general.quantization_version", &v) == IA_OK && v == 2);
        CHECK(ia_gguf_get_i64(o, "llama.block_count", &v) == IA_OK && v == 2);
        CHECK(ia_gguf_get_str(o, "general.architecture", &str) == IA_OK && !strcmp(str, "llama"));
        CHECK(ia_gguf_get_str_array(o, "tokenizer.ggml.tokens", &cnt, &items) == IA_OK && cnt == 3 &&
              !strcmp(items[2], "<s>"));
        CHECK(ia_gguf_get_array(o, "tokenizer.ggml.scores", &vt, &cnt, &data) == IA_OK && vt == IA_GGUF_F32 &&
              cnt == 3 && (memcpy(sc, data, sizeof sc), sc[1] == -2.5f));
        CHECK(ia_gguf_kv_count(o) == ia_gguf_kv_count(s) + 1); /* + quantization_version */
        CHECK(ia_gguf_tensor_count(o) == N_SYN);
        for (size_t t = 0; t < N_SYN; t++) {
            const ia_gguf_tensor *a = ia_gguf_find(s, SYN[t].name), *b = ia_gguf_find(o, SYN[t].name);
            REQUIRE(a && b);
            CHECK_MSG(b->type == SYN[t].want, "%s: %s, want %s", SYN[t].name, ia_ggml_type_name(b->type),
                      ia_ggml_type_name(SYN[t].want));
            CHECK(b->ndim == a->ndim && !memcmp(b->shape, a->shape, sizeof a->shape[0] * (size_t)a->ndim));
            if (b->type == a->type) {
                CHECK_MSG(b->nbytes == a->nbytes && !memcmp(a->data, b->data, a->nbytes), "%s: not copied", SYN[t].name);
            } else {
                /* the reference quantiser on the dequantised source, row by row */
                int64_t cols = a->shape[a->ndim - 1], rows = a->shape[0];
                ia_dtype sd = (ia_dtype)ia_dtype_of_ggml_type(a->type), od = (ia_dtype)ia_dtype_of_ggml_type(b->type);
                size_t srb = a->nbytes / (size_t)rows, orb = ia_dtype_row_bytes(od, 0, cols);
                float *f = malloc((size_t)cols * sizeof *f), *g = malloc((size_t)cols * sizeof *g);
                unsigned char *q = malloc(orb);
                double err = 0, mag = 0;
                REQUIRE(f && g && q && b->nbytes == orb * (size_t)rows);
                for (int64_t r = 0; r < rows; r++) {
                    ia_dtype_row_to_f32(sd, 0, (const unsigned char *)a->data + r * srb, f, cols);
                    CHECK(ia_dtype_from_f32(od, f, q, cols) == IA_OK);
                    CHECK_MSG(!memcmp(q, (const unsigned char *)b->data + r * orb, orb), "%s row %lld differs",
                              SYN[t].name, (long long)r);
                    ia_dtype_row_to_f32(od, 0, q, g, cols);
                    for (int64_t i = 0; i < cols; i++) err += (g[i] - f[i]) * (g[i] - f[i]), mag += f[i] * f[i];
                }
                /* a wrong code layout or scale gives O(1) */
                CHECK_MSG(sqrt(err / mag) < 0.1, "%s: relative rms %.3g", SYN[t].name, sqrt(err / mag));
                free(f), free(g), free(q);
            }
        }
        ia_gguf_free(o);
    }
    /* refusals: an unknown type, the source as output, an encoder's architecture */
    CHECK_STATUS(ia_quantize_llm(src, "q4_k_s", out, 1, NULL, NULL, NULL), IA_ERR_INVALID_ARG);
    CHECK_STATUS(ia_quantize_llm(src, "q8_0", src, 1, NULL, NULL, NULL), IA_ERR_INVALID_ARG);
    CHECK_STATUS(ia_quantize_llm(dir, "q8_0", out, 1, NULL, NULL, NULL), IA_ERR_UNSUPPORTED); /* no model.gguf */
    ia_gguf_free(s);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}

/* ---- SmolLM2, heavy ---------------------------------------------------- */

static int argmax(const float *x, int n) {
    int b = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[b]) b = i;
    return b;
}

/* Greedy continuations of the fixture's prompts against transformers' on
 * the f32 (dequantised source) model: prompts whose first token agrees,
 * and the mean length of the agreeing prefix over 16 tokens. */
static void greedy_vs_f32(int *ia_failed_, const char *path, int *first, int *prompts, double *prefix) {
    char *text = ia_test_read_file(ia_test_source_path("test/fixtures/smollm2_reference.json"), NULL);
    cJSON *root = text ? cJSON_Parse(text) : NULL, *c;
    ia_model *m = NULL;
    ia_session *s = NULL;
    float *lg = malloc(49152 * sizeof *lg);
    *first = *prompts = 0, *prefix = 0;
    free(text);
    REQUIRE(root && lg);
    CHECK_STATUS(ia_model_open(path, NULL, &m), IA_OK);
    if (m) CHECK_STATUS(ia_session_create(m, NULL, &s), IA_OK);
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(root, "cases")) {
        int ids[64], n = 0, k = 0, tok;
        const cJSON *v, *greedy = cJSON_GetObjectItem(c, "greedy");
        if (!s) break;
        cJSON_ArrayForEach(v, cJSON_GetObjectItem(c, "ids")) if (n < 64) ids[n++] = v->valueint;
        ia_session_reset(s);
        if (ia_session_decode(s, ids, (size_t)n, lg) != IA_OK) {
            CHECK_MSG(0, "%s: %s", path, ia_last_error());
            break;
        }
        for (; k < 16 && k < cJSON_GetArraySize(greedy); k++) {
            tok = argmax(lg, 49152);
            if (tok != cJSON_GetArrayItem(greedy, k)->valueint) break;
            if (ia_session_decode(s, &tok, 1, lg) != IA_OK) break;
        }
        *first += k > 0;
        *prefix += k;
        (*prompts)++;
    }
    if (*prompts) *prefix /= *prompts;
    ia_session_free(s);
    ia_model_free(m);
    cJSON_Delete(root);
    free(lg);
}

/* gguf-py's view of our file (scripts/check_llm_quant.py) against ours:
 * the same tensors, types, shapes and dequantised values (sha256 of the
 * float32 bytes). */
static void check_with_gguf_py(int *ia_failed_, const char *path, const ia_gguf *g) {
    char cmd[12800], py[4200], script[4200], *json = NULL;
    size_t len = 0, cap = 0;
    FILE *p;
    cJSON *root, *ts;
    int seen = 0;
    /* ia_test_source_path returns a static buffer: copy each */
    snprintf(py, sizeof py, "%s", ia_test_source_path(".venv/bin/python"));
    snprintf(script, sizeof script, "%s", ia_test_source_path("scripts/check_llm_quant.py"));
    snprintf(cmd, sizeof cmd, "%s %s %s", py, script, path);
    if (access(py, X_OK) != 0) {
        CHECK_MSG(0, "no .venv/bin/python (scripts/setup_test.sh installs gguf)");
        return;
    }
    REQUIRE((p = popen(cmd, "r")) != NULL);
    for (;;) {
        if (len + 65536 > cap) {
            char *nj = realloc(json, cap = cap ? 2 * cap : 1 << 20);
            if (!nj) break;
            json = nj;
        }
        size_t got = fread(json + len, 1, cap - len - 1, p);
        if (!got) break;
        len += got;
    }
    pclose(p);
    if (json) json[len] = '\0';
    root = json ? cJSON_Parse(json) : NULL;
    free(json);
    REQUIRE(root);
    ts = cJSON_GetObjectItem(root, "tensors");
    CHECK(cJSON_GetArraySize(ts) == (int)ia_gguf_tensor_count(g));
    for (size_t i = 0; i < ia_gguf_tensor_count(g); i++) {
        const ia_gguf_tensor *t = ia_gguf_tensor_at(g, i);
        cJSON *e = cJSON_GetObjectItem(ts, t->name), *sh;
        int64_t cols = t->shape[t->ndim - 1], n = 1;
        ia_dtype dt = (ia_dtype)ia_dtype_of_ggml_type(t->type);
        float *f;
        ia_sha256 h;
        uint8_t dig[32];
        char hex[65];
        int d = 0;
        if (!e) {
            CHECK_MSG(0, "gguf-py has no %s", t->name);
            continue;
        }
        for (int k = 0; k < t->ndim; k++) n *= t->shape[k];
        CHECK_MSG(!strcmp(cJSON_GetObjectItem(e, "type")->valuestring, ia_ggml_type_name(t->type)), "%s: gguf-py type %s",
                  t->name, cJSON_GetObjectItem(e, "type")->valuestring);
        cJSON_ArrayForEach(sh, cJSON_GetObjectItem(e, "shape")) CHECK(d < t->ndim && sh->valueint == t->shape[d++]);
        REQUIRE((f = malloc((size_t)n * sizeof *f)) != NULL);
        for (int64_t r = 0; r < n / cols; r++)
            ia_dtype_row_to_f32(dt, 0, (const unsigned char *)t->data + (size_t)r * (t->nbytes / (size_t)(n / cols)),
                                f + r * cols, cols);
        ia_sha256_init(&h);
        ia_sha256_update(&h, f, (size_t)n * sizeof *f); /* little-endian host */
        ia_sha256_final(&h, dig);
        ia_sha256_hex(dig, 32, hex);
        CHECK_MSG(!strcmp(hex, cJSON_GetObjectItem(e, "sha256")->valuestring), "%s (%s): dequantised values differ from gguf-py's",
                  t->name, ia_ggml_type_name(t->type));
        seen++;
        free(f);
    }
    CHECK(seen == 272);
    cJSON_Delete(root);
}

/* Types and bytes against llama-quantize's file from the same source. */
static void check_with_llama_quantize(int *ia_failed_, const char *tool, const char *src, const char *ours,
                                      const char *lq_type, const char *tmp) {
    char cmd[8600], ref[4200];
    ia_gguf *a = NULL, *b = NULL;
    int same_type = 0, same_bytes = 0;
    snprintf(ref, sizeof ref, "%s/llama-quantize-%s.gguf", tmp, lq_type);
    snprintf(cmd, sizeof cmd, "%s --allow-requantize %s %s %s 2 >%s/lq.log 2>&1", tool, src, ref, lq_type, tmp);
    if (system(cmd) != 0) {
        CHECK_MSG(0, "llama-quantize failed (%s/lq.log)", tmp);
        return;
    }
    CHECK_STATUS(ia_gguf_open(ours, &a), IA_OK);
    CHECK_STATUS(ia_gguf_open(ref, &b), IA_OK);
    if (a && b) {
        CHECK(ia_gguf_tensor_count(a) == ia_gguf_tensor_count(b));
        for (size_t i = 0; i < ia_gguf_tensor_count(b); i++) {
            const ia_gguf_tensor *r = ia_gguf_tensor_at(b, i), *o = ia_gguf_find(a, r->name);
            if (!o) {
                CHECK_MSG(0, "%s: not in our file", r->name);
                continue;
            }
            if (o->type != r->type) {
                CHECK_MSG(0, "%s: ours %s, llama-quantize %s", r->name, ia_ggml_type_name(o->type), ia_ggml_type_name(r->type));
                continue;
            }
            same_type++;
            if (o->nbytes == r->nbytes && !memcmp(o->data, r->data, r->nbytes)) same_bytes++;
            else CHECK_MSG(0, "%s (%s): bytes differ from llama-quantize's", r->name, ia_ggml_type_name(r->type));
        }
        printf("  %s: %d tensors of llama-quantize's type, %d byte-identical\n", lq_type, same_type, same_bytes);
    }
    ia_gguf_free(a);
    ia_gguf_free(b);
}

IA_TEST_HEAVY(llm_quant_smollm2_matches_recipe_gguf_py_and_llama_cpp) {
    static const char *const types[][2] = {{"q4_k_m", "Q4_K_M"}, {"q5_0", "Q5_0"}};
    char src[4200], tmp[] = "/tmp/ia_llmq_XXXXXX", out[4300], cmd[4400], tool[4200];
    int have_tool, first0, prompts0;
    double prefix0;
    snprintf(tool, sizeof tool, "%s", ia_test_source_path("build-anchors/llama.cpp/bin/llama-quantize"));
    have_tool = access(tool, X_OK) == 0;
    if (ia_model_resolve("smollm2", src, sizeof src) != IA_OK)
        SKIP("smollm2 is not in the model cache (scripts/fetch_model.sh smollm2)");
    strncat(src, "/model.gguf", sizeof src - strlen(src) - 1);
    REQUIRE(mkdtemp(tmp));
    /* the source itself (Q4_1) against the f32 reference: the baseline */
    greedy_vs_f32(ia_failed_, src, &first0, &prompts0, &prefix0);
    printf("  source Q4_1: first token %d/%d, mean agreeing prefix %.1f of 16\n", first0, prompts0, prefix0);
    for (int t = 0; t < 2; t++) {
        ia_quant_config cfg;
        ia_gguf *g = NULL;
        char *report = NULL;
        int first, prompts, wrong = 0;
        double prefix;
        snprintf(out, sizeof out, "%s/%s.gguf", tmp, types[t][0]);
        IA_QUANT_CONFIG_INIT(&cfg, 0);
        cfg.type = types[t][0];
        CHECK_STATUS(ia_quantize_model("smollm2", &cfg, out, NULL, NULL, &report), IA_OK);
        ia_free(report);
        CHECK_STATUS(ia_gguf_open(out, &g), IA_OK);
        if (!g) continue;
        for (size_t i = 0; i < ia_gguf_tensor_count(g); i++) {
            const ia_gguf_tensor *x = ia_gguf_tensor_at(g, i);
            int want = want_type(types[t][0], x->name, x->ndim);
            if ((int)x->type != want && wrong++ < 5)
                CHECK_MSG(0, "%s %s: %s, want %s", types[t][0], x->name, ia_ggml_type_name(x->type),
                          ia_ggml_type_name((ia_ggml_type)want));
        }
        CHECK_MSG(wrong == 0, "%s: %d tensors of another type than the recipe's", types[t][0], wrong);
        check_with_gguf_py(ia_failed_, out, g);
        ia_gguf_free(g);
        greedy_vs_f32(ia_failed_, out, &first, &prompts, &prefix);
        printf("  %s: first token %d/%d, mean agreeing prefix %.1f of 16\n", types[t][0], first, prompts, prefix);
        /* 5 bits and up on every matrix: as close to f32 as the Q4_1 source is (measured: see the printout) */
        CHECK_MSG(prompts == 10 && first >= 9, "%s: first token agrees on %d of %d prompts", types[t][0], first, prompts);
        CHECK_MSG(prefix >= 4.0, "%s: mean agreeing prefix %.1f", types[t][0], prefix);
        if (have_tool) check_with_llama_quantize(ia_failed_, tool, src, out, types[t][1], tmp);
    }
    if (!have_tool) printf("  llama-quantize comparison skipped: %s not built\n", tool);
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    CHECK(system(cmd) == 0);
}
