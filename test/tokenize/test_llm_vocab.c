/*
 * test_llm_vocab.c — the LLM tokenizers against llama.cpp's own tokenizer
 * fixtures: models/ggml-vocab-NAME.gguf with .inp (texts separated by
 * "\n__ggml_vocab_test__\n") and .out (the ids llama.cpp produced, one line
 * per text), read as tests/test-tokenizer-0.cpp reads them and encoded with
 * its flags (add_special = false, parse_special = false).
 *
 * The files come from llama.cpp's tree (scripts/fetch_llamacpp_src.sh puts
 * it in build-anchors/llama.cpp-src); when absent the tests fail saying so.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/gguf.h"
#include "harness.h"
#include "tokenize/tokenizer.h"
#include "util/error.h"
#include "util/mapped_file.h"

#define MODELS "build-anchors/llama.cpp-src/models/"
#define SEP "\n__ggml_vocab_test__\n"

/* Loads ggml-vocab-NAME.gguf; NULL (with the reason printed) on failure. */
static ia_tokenizer *load_vocab(const char *name, ia_status *st) {
    char rel[256];
    ia_gguf *f = NULL;
    ia_tokenizer *tok = NULL;
    snprintf(rel, sizeof rel, MODELS "ggml-vocab-%s.gguf", name);
    *st = ia_gguf_open(ia_test_source_path(rel), &f);
    if (*st != IA_OK) {
        fprintf(stderr, "  %s: %s (run scripts/fetch_llamacpp_src.sh)\n", rel, ia_last_error());
        return NULL;
    }
    *st = ia_tokenizer_from_gguf(f, &tok);
    ia_gguf_free(f);
    return tok;
}

/* Encodes every .inp text of NAME and compares with the .out ids; returns
 * the number of texts that differ (-1 when the files cannot be read). */
static int run_vocab(const char *name, int *n_cases) {
    char rel[256];
    char *inp = NULL, *outs = NULL;
    size_t ninp = 0, nout = 0;
    ia_status st;
    int bad = 0, cases = 0;
    ia_tokenizer *tok = load_vocab(name, &st);
    if (!tok) {
        fprintf(stderr, "  %s: load failed: %s\n", name, ia_last_error());
        return -1;
    }
    snprintf(rel, sizeof rel, MODELS "ggml-vocab-%s.gguf.inp", name);
    if (ia_read_text_file(ia_test_source_path(rel), (size_t)64 << 20, &inp, &ninp) != IA_OK) {
        fprintf(stderr, "  %s: %s (run scripts/fetch_llamacpp_src.sh)\n", rel, ia_last_error());
        ia_tokenizer_free(tok);
        return -1;
    }
    snprintf(rel, sizeof rel, MODELS "ggml-vocab-%s.gguf.out", name);
    if (ia_read_text_file(ia_test_source_path(rel), (size_t)64 << 20, &outs, &nout) != IA_OK) {
        fprintf(stderr, "  %s: %s (run scripts/fetch_llamacpp_src.sh)\n", rel, ia_last_error());
        free(inp);
        ia_tokenizer_free(tok);
        return -1;
    }
    size_t ip = 0, op = 0, cap = 1 << 16;
    int32_t *ids = malloc(cap * sizeof *ids), *want = malloc(cap * sizeof *want);
    while (ids && want && ip < ninp) {
        /* one text: up to the next separator (the last runs to the end) */
        const char *s = inp + ip;
        size_t len = ninp - ip;
        for (size_t k = ip; k + sizeof SEP - 1 <= ninp; k++) {
            if (memcmp(inp + k, SEP, sizeof SEP - 1) == 0) {
                len = k - ip;
                break;
            }
        }
        ip += len + (ip + len < ninp ? sizeof SEP - 1 : 0);
        /* its line of ids */
        size_t nw = 0;
        while (op < nout && outs[op] != '\n') {
            if (outs[op] == ' ') {
                op++;
                continue;
            }
            char *end;
            long v = strtol(outs + op, &end, 10);
            if (end == outs + op) break;
            if (nw < cap) want[nw++] = (int32_t)v;
            op = (size_t)(end - outs);
        }
        if (op < nout) op++; /* the newline */
        size_t n = 0;
        st = ia_tokenizer_tokenize(tok, s, len, 0, 0, ids, cap, &n);
        cases++;
        if (st != IA_OK || n != nw || memcmp(ids, want, n * sizeof *ids) != 0) {
            if (bad < 3) {
                fprintf(stderr, "  %s: text %d (%zu bytes, \"%.*s\"): got %zu ids:", name, cases,
                        len, (int)(len < 40 ? len : 40), s, n);
                for (size_t i = 0; i < n && i < 24; i++) fprintf(stderr, " %d", (int)ids[i]);
                fprintf(stderr, "\n      want %zu:", nw);
                for (size_t i = 0; i < nw && i < 24; i++) fprintf(stderr, " %d", (int)want[i]);
                fputc('\n', stderr);
            }
            bad++;
        }
    }
    if (!ids || !want) bad = -1;
    free(ids);
    free(want);
    free(inp);
    free(outs);
    ia_tokenizer_free(tok);
    *n_cases = cases;
    return bad;
}

#define VOCAB_TEST(fn, name)                                                        \
    IA_TEST(fn) {                                                                   \
        int n = 0, bad = run_vocab(name, &n);                                       \
        printf("  %s: %d texts, %d differ\n", name, n, bad);                      \
        CHECK_MSG(bad == 0 && n > 0, "%s: %d of %d texts differ from llama.cpp",   \
                  name, bad, n);                                                    \
    }

VOCAB_TEST(llm_vocab_gpt_2, "gpt-2")
VOCAB_TEST(llm_vocab_llama_bpe, "llama-bpe")
VOCAB_TEST(llm_vocab_qwen2, "qwen2")
VOCAB_TEST(llm_vocab_starcoder, "starcoder")
VOCAB_TEST(llm_vocab_deepseek_llm, "deepseek-llm")
VOCAB_TEST(llm_vocab_deepseek_coder, "deepseek-coder")
VOCAB_TEST(llm_vocab_falcon, "falcon")
VOCAB_TEST(llm_vocab_mpt, "mpt")
VOCAB_TEST(llm_vocab_refact, "refact")
VOCAB_TEST(llm_vocab_command_r, "command-r")
VOCAB_TEST(llm_vocab_llama_spm, "llama-spm")
VOCAB_TEST(llm_vocab_phi_3, "phi-3")
VOCAB_TEST(llm_vocab_qwen35, "qwen35")
VOCAB_TEST(llm_vocab_gemma_4, "gemma-4")

/* A tokenizer model we do not implement is refused, naming it
 * (nomic-bert-moe: tokenizer.ggml.model "t5", a Unigram model). */
IA_TEST(llm_vocab_unknown_model_refused) {
    ia_status st;
    ia_tokenizer *tok = load_vocab("nomic-bert-moe", &st);
    CHECK(tok == NULL);
    CHECK_MSG(st == IA_ERR_UNSUPPORTED && strstr(ia_last_error(), "tokenizer.ggml.model"),
              "status %d: %s", (int)st, ia_last_error());
    ia_tokenizer_free(tok);
}
