/*
 * llamacpp_eval.c — the llama.cpp side of bench/llm_agreement: the same
 * three operations as ia_llm_eval.c, through llama.h, so that both sides
 * see identical token ids and the same chunking.
 *
 *   llamacpp_eval MODEL tokenize TEXTFILE        ids (with BOS if the vocab adds it)
 *   llamacpp_eval MODEL score IDSFILE CTX BOS    teacher-forced, as llama-perplexity
 *   llamacpp_eval MODEL greedy N ID...           N argmax tokens after the prompt ids
 *   llamacpp_eval MODEL ttft ID...               {"load_s", "ttft_ms"}: model load (mmap)
 *                                                and context creation; then the prompt
 *                                                decoded and its first argmax token
 *   [-t THREADS] last
 *
 * score: the ids are cut into chunks of CTX; each chunk is decoded on an
 * empty cache with logits at every position, and positions CTX/2 .. CTX-2
 * are scored (with BOS 1, each chunk's first id is replaced by the text's
 * first, the BOS, as llama-perplexity does) (the next token's negative log-likelihood and whether it is
 * the argmax), which is llama-perplexity's method (its first half is
 * context only). Output: one JSON object {"n", "nll", "ppl", "argmax": [[id, margin], ...]}
 * (margin: the top logit minus the second).
 *
 * Built by bench/llm_agreement against build-anchors/llama.cpp (not CMake:
 * the anchor is not part of the product).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>

#include "llama.h"
#include "llm_eval_common.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int n_threads = 2;

static char *read_file(const char *path, long *len) {
    FILE *f = fopen(path, "rb");
    char *buf;
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    *len = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)*len + 1);
    if (fread(buf, 1, (size_t)*len, f) != (size_t)*len) *len = 0;
    buf[*len] = 0;
    fclose(f);
    return buf;
}

static struct llama_context *make_ctx(struct llama_model *m, int n_ctx) {
    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = (uint32_t)n_ctx;
    cp.n_batch = (uint32_t)n_ctx;
    cp.n_ubatch = (uint32_t)(n_ctx < 512 ? n_ctx : 512);
    cp.n_threads = n_threads;
    cp.n_threads_batch = n_threads;
    /* Diagnostics: LLAMACPP_EVAL_KV=f32 keeps the KV cache in F32 (F16 by
     * default), LLAMACPP_EVAL_FA=0 turns flash attention off. */
    if (getenv("LLAMACPP_EVAL_KV") && strcmp(getenv("LLAMACPP_EVAL_KV"), "f32") == 0)
        cp.type_k = cp.type_v = GGML_TYPE_F32;
    if (getenv("LLAMACPP_EVAL_FA") && strcmp(getenv("LLAMACPP_EVAL_FA"), "0") == 0)
        cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
    return llama_init_from_model(m, cp);
}

static int decode(struct llama_context *ctx, const int32_t *ids, int n, int pos0, int all_logits) {
    struct llama_batch b = llama_batch_init(n, 0, 1);
    int rc;
    for (int i = 0; i < n; i++) {
        b.token[i] = ids[i];
        b.pos[i] = pos0 + i;
        b.n_seq_id[i] = 1;
        b.seq_id[i][0] = 0;
        b.logits[i] = (int8_t)(all_logits || i == n - 1);
    }
    b.n_tokens = n;
    rc = llama_decode(ctx, b);
    llama_batch_free(b);
    return rc;
}

int main(int argc, char **argv) {
    struct llama_model_params mp = llama_model_default_params();
    struct llama_model *model;
    const struct llama_vocab *vocab;
    int n_vocab;
    if (argc >= 3 && strcmp(argv[argc - 2], "-t") == 0) {
        n_threads = atoi(argv[argc - 1]);
        argc -= 2;
    }
    if (argc < 4) {
        fprintf(stderr, "usage: llamacpp_eval MODEL tokenize FILE | score IDS CTX BOS | greedy N ID... [-t T]\n");
        return 2;
    }
    double t_start = now();
    llama_backend_init();
    mp.n_gpu_layers = 0;
    model = llama_model_load_from_file(argv[1], mp);
    if (!model) return 1;
    vocab = llama_model_get_vocab(model);
    n_vocab = llama_vocab_n_tokens(vocab);

    if (strcmp(argv[2], "tokenize") == 0) {
        long len;
        char *text = read_file(argv[3], &len);
        int cap = (int)len + 16, n;
        int32_t *ids = malloc(sizeof *ids * (size_t)cap);
        if (!text) return 1;
        n = llama_tokenize(vocab, text, (int32_t)len, ids, cap, llama_vocab_get_add_bos(vocab), false);
        if (n < 0) return 1;
        fprintf(stderr, "add_bos=%d\n", (int)llama_vocab_get_add_bos(vocab));
        for (int i = 0; i < n; i++) printf("%d%c", ids[i], i + 1 < n ? ' ' : '\n');
        return 0;
    }
    if (strcmp(argv[2], "score") == 0 && argc >= 6) {
        int n, ctxn = atoi(argv[4]), first = ctxn / 2, scored = 0, keep_bos = atoi(argv[5]);
        int32_t *ids = read_ids(argv[3], &n), *chunk = malloc(sizeof *chunk * (size_t)ctxn);
        struct llama_context *ctx = make_ctx(model, ctxn);
        double nll = 0;
        if (!ids || !ctx) return 1;
        printf("{\"argmax\": [");
        for (int c = 0; (c + 1) * ctxn <= n; c++) {
            memcpy(chunk, ids + c * ctxn, sizeof *chunk * (size_t)ctxn);
            if (keep_bos) chunk[0] = ids[0];  /* the BOS, as llama-perplexity does */
            llama_memory_clear(llama_get_memory(ctx), true);
            if (decode(ctx, chunk, ctxn, 0, 1) != 0) return 1;
            for (int i = first; i < ctxn - 1; i++) {
                const float *lg = llama_get_logits_ith(ctx, i);
                nll += score_row(lg, n_vocab, ids[c * ctxn + i + 1], scored == 0);
                scored++;
            }
        }
        printf("], \"n\": %d, \"nll\": %.9f, \"ppl\": %.9f}\n", scored, nll / scored, exp(nll / scored));
        llama_free(ctx);
        return 0;
    }
    if (strcmp(argv[2], "logits") == 0 && argc >= 5) { /* logits OUTFILE ID...: last position, raw F32 */
        int n = argc - 4;
        int32_t *ids = malloc(sizeof *ids * (size_t)n);
        struct llama_context *ctx = make_ctx(model, n < 512 ? 512 : n);
        FILE *f = fopen(argv[3], "wb");
        for (int i = 0; i < n; i++) ids[i] = atoi(argv[4 + i]);
        if (!f || decode(ctx, ids, n, 0, 0) != 0) return 1;
        fwrite(llama_get_logits_ith(ctx, -1), sizeof(float), (size_t)n_vocab, f);
        fclose(f);
        return 0;
    }
    if (strcmp(argv[2], "ttft") == 0) {
        int n = argc - 3;
        int32_t *ids = malloc(sizeof *ids * (size_t)n), t;
        struct llama_context *ctx = make_ctx(model, 4096); /* as our session's default context */
        double t_load = now() - t_start, t0;
        for (int i = 0; i < n; i++) ids[i] = atoi(argv[3 + i]);
        t0 = now();
        if (decode(ctx, ids, n, 0, 0) != 0) return 1;
        t = argmax(llama_get_logits_ith(ctx, -1), n_vocab);
        printf("{\"load_s\": %.4f, \"ttft_ms\": %.3f, \"token\": %d}\n", t_load, 1e3 * (now() - t0), t);
        llama_free(ctx);
        return 0;
    }
    if (strcmp(argv[2], "greedy") == 0) {
        int n_gen = atoi(argv[3]), n = argc - 4, pos = 0;
        int32_t *ids = malloc(sizeof *ids * (size_t)(n + 1));
        struct llama_context *ctx = make_ctx(model, n + n_gen + 8 < 512 ? 512 : n + n_gen + 8);
        for (int i = 0; i < n; i++) ids[i] = atoi(argv[4 + i]);
        if (decode(ctx, ids, n, 0, 0) != 0) return 1;
        pos = n;
        printf("[");
        for (int g = 0; g < n_gen; g++) {
            int32_t t = argmax(llama_get_logits_ith(ctx, -1), n_vocab);
            printf("%s%d", g ? "," : "", t);
            if (decode(ctx, &t, 1, pos++, 0) != 0) return 1;
        }
        printf("]\n");
        llama_free(ctx);
        return 0;
    }
    fprintf(stderr, "llamacpp_eval: unknown mode %s\n", argv[2]);
    return 2;
}
