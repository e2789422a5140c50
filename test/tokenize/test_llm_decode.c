/*
 * test_llm_decode.c — decoding with the LLM tokenizers (llama.cpp's vocab
 * fixtures, build-anchors/llama.cpp-src/models): decode(encode(text)) ==
 * text for every valid-UTF-8 .inp text, the streaming detokenizer emitting
 * only whole code points when an emoji is split over byte tokens, special
 * tokens, BOS/EOS and EOG ids, and hostile arguments.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/gguf.h"
#include "harness.h"
#include "tokenize/tokenizer.h"
#include "tokenize/utf8.h"
#include "util/error.h"
#include "util/mapped_file.h"

#define MODELS "build-anchors/llama.cpp-src/models/"
#define SEP "\n__ggml_vocab_test__\n"

static ia_tokenizer *load(const char *name) {
    char rel[256];
    ia_gguf *f = NULL;
    ia_tokenizer *tok = NULL;
    snprintf(rel, sizeof rel, MODELS "ggml-vocab-%s.gguf", name);
    if (ia_gguf_open(ia_test_source_path(rel), &f) != IA_OK) {
        fprintf(stderr, "  %s: %s (run scripts/fetch_llamacpp_src.sh)\n", rel, ia_last_error());
        return NULL;
    }
    if (ia_tokenizer_from_gguf(f, &tok) != IA_OK) fprintf(stderr, "  %s: %s\n", name, ia_last_error());
    ia_gguf_free(f);
    return tok;
}

/* Decodes ids[0..n) with the streaming detokenizer into out (cap bytes);
 * returns the length, or SIZE_MAX when a push emitted a partial code point. */
static size_t stream_decode(const ia_tokenizer *tok, const int32_t *ids, size_t n, char *out,
                            size_t cap) {
    ia_detok d;
    size_t at = 0;
    ia_detok_init(&d, tok, 0);
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        if (ia_detok_push(&d, ids[i], out + at, cap - at, &k) != IA_OK || k > cap - at) return SIZE_MAX;
        if (!ia_utf8_valid(out + at, k)) return SIZE_MAX;
        at += k;
    }
    at += ia_detok_flush(&d, out + at, cap - at);
    return at;
}

/* Round trip of every valid .inp text of the vocab; returns the failures. */
static int round_trip(const char *name, int *n_checked) {
    char rel[256], *inp = NULL;
    size_t ninp = 0;
    int bad = 0;
    ia_tokenizer *tok = load(name);
    if (!tok) return -1;
    snprintf(rel, sizeof rel, MODELS "ggml-vocab-%s.gguf.inp", name);
    if (ia_read_text_file(ia_test_source_path(rel), (size_t)64 << 20, &inp, &ninp) != IA_OK) {
        ia_tokenizer_free(tok);
        return -1;
    }
    size_t cap = 1 << 16;
    int32_t *ids = malloc(cap * sizeof *ids);
    char *out = malloc(cap * 4);
    for (size_t ip = 0; ids && out && ip < ninp;) {
        const char *s = inp + ip;
        size_t len = ninp - ip, n = 0;
        char *sep = NULL;
        for (size_t k = ip; k + sizeof SEP - 1 <= ninp; k++)
            if (memcmp(inp + k, SEP, sizeof SEP - 1) == 0) {
                sep = inp + k;
                break;
            }
        if (sep) len = (size_t)(sep - s);
        ip += len + (sep ? sizeof SEP - 1 : 0);
        if (!ia_utf8_valid(s, len) || len > cap) continue;
        if (ia_tokenizer_tokenize(tok, s, len, 1, 0, ids, cap, &n) != IA_OK || n > cap) {
            bad++;
            continue;
        }
        size_t got = stream_decode(tok, ids, n, out, cap * 4);
        (*n_checked)++;
        if (got != len || memcmp(out, s, len) != 0) {
            if (bad < 3)
                fprintf(stderr, "  %s: \"%.*s\" decodes to \"%.*s\"\n", name, (int)(len < 60 ? len : 60),
                        s, (int)(got != SIZE_MAX && got < 60 ? got : 0), out);
            bad++;
        }
    }
    if (!ids || !out) bad = -1;
    free(ids);
    free(out);
    free(inp);
    ia_tokenizer_free(tok);
    return bad;
}

#define ROUND_TRIP_TEST(fn, name)                                                    \
    IA_TEST(fn) {                                                                    \
        int n = 0, bad = round_trip(name, &n);                                       \
        CHECK_MSG(bad == 0 && n > 30, "%s: %d of %d texts do not round-trip", name,  \
                  bad, n);                                                           \
    }

ROUND_TRIP_TEST(llm_decode_round_trip_gpt_2, "gpt-2")
ROUND_TRIP_TEST(llm_decode_round_trip_llama_bpe, "llama-bpe")
ROUND_TRIP_TEST(llm_decode_round_trip_qwen2, "qwen2")
ROUND_TRIP_TEST(llm_decode_round_trip_deepseek_llm, "deepseek-llm")
ROUND_TRIP_TEST(llm_decode_round_trip_falcon, "falcon")
ROUND_TRIP_TEST(llm_decode_round_trip_llama_spm, "llama-spm")
ROUND_TRIP_TEST(llm_decode_round_trip_gemma_4, "gemma-4")
ROUND_TRIP_TEST(llm_decode_round_trip_qwen35, "qwen35")

/* "🦙" (F0 9F A6 99) is not in llama-spm's vocabulary: it is encoded as
 * four <0xNN> byte tokens, and the detokenizer must hold the first three. */
IA_TEST(llm_decode_stream_holds_partial_code_point) {
    ia_tokenizer *tok = load("llama-spm");
    REQUIRE(tok);
    const char text[] = "a\xf0\x9f\xa6\x99";
    int32_t ids[16];
    size_t n = 0;
    CHECK_STATUS(ia_tokenizer_tokenize(tok, text, strlen(text), 0, 0, ids, 16, &n), IA_OK);
    CHECK_MSG(n == 5, "%zu ids", n); /* ▁a and four bytes */
    ia_detok d;
    char out[64];
    size_t k = 0, total = 0;
    char all[64];
    ia_detok_init(&d, tok, 0);
    for (size_t i = 0; i < n && i < 16; i++) {
        CHECK_STATUS(ia_detok_push(&d, ids[i], out, sizeof out, &k), IA_OK);
        if (i >= 1 && i <= 3) CHECK_MSG(k == 0, "push %zu emitted %zu bytes of a partial emoji", i, k);
        CHECK(ia_utf8_valid(out, k));
        memcpy(all + total, out, k);
        total += k;
    }
    CHECK(total == strlen(text) && memcmp(all, text, total) == 0);
    CHECK(ia_detok_flush(&d, out, sizeof out) == 0);
    /* an emoji cut short: the held bytes become U+FFFD at flush */
    ia_detok_init(&d, tok, 0);
    CHECK_STATUS(ia_detok_push(&d, ids[1], out, sizeof out, &k), IA_OK);
    CHECK_STATUS(ia_detok_push(&d, ids[2], out, sizeof out, &k), IA_OK);
    CHECK(k == 0);
    CHECK(ia_detok_flush(&d, out, sizeof out) == 3 && memcmp(out, "\xef\xbf\xbd", 3) == 0);
    ia_tokenizer_free(tok);
}

/* Special tokens: matched only with parse_special, shown only with special. */
IA_TEST(llm_decode_special_tokens) {
    ia_tokenizer *tok = load("llama-bpe");
    REQUIRE(tok);
    int32_t bos = ia_tokenizer_bos_id(tok), eos = ia_tokenizer_eos_id(tok);
    CHECK(bos >= 0 && eos >= 0);
    const char *bos_text = ia_tokenizer_token_text(tok, bos);
    REQUIRE(bos_text);
    CHECK(strcmp(bos_text, "<|begin_of_text|>") == 0);
    int32_t ids[32];
    size_t n = 0;
    const char text[] = "<|begin_of_text|>hi";
    CHECK_STATUS(ia_tokenizer_tokenize(tok, text, strlen(text), 0, 1, ids, 32, &n), IA_OK);
    CHECK(n == 2 && ids[0] == bos);
    CHECK_STATUS(ia_tokenizer_tokenize(tok, text, strlen(text), 0, 0, ids, 32, &n), IA_OK);
    CHECK(n > 2 && ids[0] != bos);
    /* add_special: llama-bpe adds BOS (its pre type's default) */
    CHECK_STATUS(ia_tokenizer_tokenize(tok, "hi", 2, 1, 0, ids, 32, &n), IA_OK);
    CHECK(n == 2 && ids[0] == bos);
    char buf[64];
    size_t len = 0;
    CHECK_STATUS(ia_tokenizer_piece(tok, bos, 0, buf, sizeof buf, &len), IA_OK);
    CHECK(len == 0);
    CHECK_STATUS(ia_tokenizer_piece(tok, bos, 1, buf, sizeof buf, &len), IA_OK);
    CHECK(len == strlen(bos_text) && memcmp(buf, bos_text, len) == 0);
    /* a too-small buffer reports the length needed */
    CHECK_STATUS(ia_tokenizer_piece(tok, bos, 1, buf, 3, &len), IA_OK);
    CHECK(len == strlen(bos_text));
    CHECK(ia_tokenizer_is_eog(tok, eos));
    CHECK(!ia_tokenizer_is_eog(tok, bos));
    CHECK_STATUS(ia_tokenizer_tokenize(tok, "<|eot_id|>", 10, 0, 1, ids, 32, &n), IA_OK);
    CHECK(n == 1 && ia_tokenizer_is_eog(tok, ids[0]));
    /* *n_out is the count needed when cap is short */
    CHECK_STATUS(ia_tokenizer_tokenize(tok, "hello world again", 17, 0, 0, ids, 1, &n), IA_OK);
    CHECK(n == 3);
    CHECK_STATUS(ia_tokenizer_piece(tok, -1, 0, buf, sizeof buf, &len), IA_ERR_INVALID_ARG);
    CHECK_STATUS(ia_tokenizer_piece(tok, (int32_t)ia_tokenizer_vocab_size(tok), 0, buf, sizeof buf, &len),
                 IA_ERR_INVALID_ARG);
    CHECK(ia_tokenizer_token_text(tok, -5) == NULL);
    ia_tokenizer_free(tok);
}

/* SentencePiece: BOS added by default, the space prefix, byte fallback. */
IA_TEST(llm_decode_spm_defaults) {
    ia_tokenizer *tok = load("llama-spm");
    REQUIRE(tok);
    int32_t ids[32];
    size_t n = 0;
    CHECK(ia_tokenizer_bos_id(tok) == 1 && ia_tokenizer_eos_id(tok) == 2);
    CHECK(ia_tokenizer_vocab_size(tok) == 32000);
    CHECK_STATUS(ia_tokenizer_tokenize(tok, "Hello", 5, 1, 0, ids, 32, &n), IA_OK);
    CHECK(n >= 2 && ids[0] == 1);
    const char *t = n >= 2 ? ia_tokenizer_token_text(tok, ids[1]) : NULL;
    CHECK(t && strncmp(t, "\xe2\x96\x81", 3) == 0); /* "▁Hello": the space prefix */
    CHECK(ia_tokenizer_is_eog(tok, 2));
    ia_tokenizer_free(tok);
}

/* Loader: hostile or unsupported metadata is refused, never approximated. */
IA_TEST(llm_decode_gguf_refusals) {
    ia_tokenizer *tok = NULL;
    CHECK_STATUS(ia_tokenizer_from_gguf(NULL, &tok), IA_ERR_INVALID_ARG);
    /* A WordPiece GGUF (bert-bge) loads as the BERT pipeline, which the
     * LLM encode call refuses (test_bert_gguf.c checks its ids) */
    char rel[] = MODELS "ggml-vocab-bert-bge.gguf";
    ia_gguf *f = NULL;
    if (ia_gguf_open(ia_test_source_path(rel), &f) == IA_OK) {
        int32_t ids[8];
        size_t n = 0;
        CHECK_STATUS(ia_tokenizer_from_gguf(f, &tok), IA_OK);
        if (tok) CHECK_STATUS(ia_tokenizer_tokenize(tok, "a", 1, 0, 0, ids, 8, &n), IA_ERR_UNSUPPORTED);
        CHECK(strstr(ia_last_error(), "WordPiece") != NULL);
        ia_tokenizer_free(tok);
        ia_gguf_free(f);
    } else {
        CHECK_MSG(0, "%s: %s (run scripts/fetch_llamacpp_src.sh)", rel, ia_last_error());
    }
}

/* One tokenizer, four threads encoding the same texts: the tokenizer is
 * immutable, so every thread gets the sequential ids (run under TSan by
 * scripts/run_tests.sh). */
typedef struct par_job {
    const ia_tokenizer *tok;
    const char *const *texts;
    size_t n;
    const int32_t *want; /* n rows of 64 ids, -1 padded */
    int bad;
} par_job;

static const char *const PAR_TEXTS[] = {
    "Hello world, this is a test of the tokenizer.",
    "<|begin_of_text|>system\nYou are helpful.<|eot_id|>",
    "\xf0\x9f\xa6\x99 \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e 12345678   spaces\n\n\tand tabs",
    "def f(x):\n    return x ** 2  # comment",
};

static void encode_rows(const ia_tokenizer *tok, const char *const *texts, size_t n, int32_t *rows) {
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        for (size_t j = 0; j < 64; j++) rows[i * 64 + j] = -1;
        if (ia_tokenizer_tokenize(tok, texts[i], strlen(texts[i]), 1, 1, rows + i * 64, 64, &k) != IA_OK)
            rows[i * 64] = -2;
    }
}

static void *par_worker(void *arg) {
    par_job *j = arg;
    int32_t rows[4 * 64];
    for (int rep = 0; rep < 50; rep++) {
        encode_rows(j->tok, j->texts, j->n, rows);
        if (memcmp(rows, j->want, sizeof rows) != 0) j->bad++;
    }
    return NULL;
}

IA_TEST(llm_encode_in_parallel) {
    static const char *const names[] = {"llama-bpe", "llama-spm"};
    for (size_t v = 0; v < 2; v++) {
        ia_tokenizer *tok = load(names[v]);
        REQUIRE(tok);
        int32_t want[4 * 64];
        encode_rows(tok, PAR_TEXTS, 4, want);
        pthread_t th[4];
        par_job jobs[4];
        for (int i = 0; i < 4; i++) {
            jobs[i] = (par_job){tok, PAR_TEXTS, 4, want, 0};
            CHECK(pthread_create(&th[i], NULL, par_worker, &jobs[i]) == 0);
        }
        for (int i = 0; i < 4; i++) {
            pthread_join(th[i], NULL);
            CHECK_MSG(jobs[i].bad == 0, "%s: thread %d got other ids %d times", names[v], i, jobs[i].bad);
        }
        ia_tokenizer_free(tok);
    }
}
