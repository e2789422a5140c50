/*
 * fuzz_tokenizer.c — libFuzzer target for the tokenizers: arbitrary bytes
 * (NULs, invalid UTF-8, huge words, combining-mark storms) through
 *   - the MiniLM tokenizer.json (WordPiece), with and without truncation;
 *   - the LLM tokenizers (byte-level BPE and SentencePiece BPE): a small
 *     byte-level tokenizer.json built in, and llama.cpp's vocab GGUFs when
 *     present (one per pre-tokenizer kind), each with every combination of
 *     add_special / parse_special, then decoded through the streaming
 *     detokenizer;
 *   - every pre-tokenizer type directly (pieces cover the text).
 * Every id must be in the vocabulary, the count must respect the limit,
 * the detokenizer must emit only well-formed UTF-8, and for valid UTF-8
 * input a byte-level tokenizer must decode back to the input.
 *
 * The WordPiece tokenizer is loaded once from $IA_FUZZ_TOKENIZER (default:
 * the cached all-MiniLM-L6-v2); the GGUF vocabs from $IA_FUZZ_VOCABS
 * (default build-anchors/llama.cpp-src/models). Built and run by
 * scripts/fuzz_tokenizer.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/gguf.h"
#include "ipfs_accelerate.h"
#include "tokenize/pretok_llm.h"
#include "tokenize/tokenizer.h"
#include "tokenize/tokenizer_impl.h"
#include "tokenize/utf8.h"

static ia_tokenizer *tok;

/* The LLM tokenizers; byte_level[i]: decoding gives any valid input back. */
#define MAX_LLM 16
static ia_tokenizer *llm[MAX_LLM];
static int byte_level[MAX_LLM];
static int n_llm;

/* A byte-level tokenizer.json: all 256 byte characters (ids 0..255 in
 * GPT-2's order is not needed: only that each exists), a few merges, and
 * added tokens of both kinds. */
static char *tiny_bpe_json(void) {
    size_t cap = 1 << 16, n = 0;
    char *s = malloc(cap);
    if (!s) return NULL;
    n += (size_t)snprintf(s + n, cap - n, "{\"model\":{\"type\":\"BPE\",\"vocab\":{");
    for (int b = 0; b < 256; b++) {
        char u[4];
        uint32_t cp = b >= 0x21 && b <= 0x7E ? (uint32_t)b
                    : (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE) ? (uint32_t)b : 0;
        if (!cp) cp = 0x100u + (uint32_t)(b <= 0x20 ? b : b <= 0xA0 ? 33 + b - 0x7F : 67);
        size_t k = ia_utf8_put(cp, u);
        n += (size_t)snprintf(s + n, cap - n, "%s\"", b ? "," : "");
        for (size_t j = 0; j < k; j++) {
            if (u[j] == '"' || u[j] == '\\') s[n++] = '\\';
            s[n++] = u[j];
        }
        n += (size_t)snprintf(s + n, cap - n, "\":%d", b);
    }
    n += (size_t)snprintf(s + n, cap - n,
                          ",\"he\":256,\"ll\":257,\"hell\":258,\"\\u0120t\":259},"
                          "\"merges\":[\"h e\",\"l l\",\"he ll\",\"\\u0120 t\"]},"
                          "\"added_tokens\":[{\"id\":260,\"content\":\"<|end|>\",\"special\":true},"
                          "{\"id\":261,\"content\":\"<tool>\",\"special\":false}],"
                          "\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"add_prefix_space\":false,"
                          "\"use_regex\":true}}");
    return s;
}

static void add_llm(ia_tokenizer *t, int bl) {
    if (t && n_llm < MAX_LLM) {
        byte_level[n_llm] = bl;
        llm[n_llm++] = t;
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    char path[4096];
    const char *env = getenv("IA_FUZZ_TOKENIZER"), *home = getenv("HOME");
    const char *vocabs = getenv("IA_FUZZ_VOCABS");
    (void)argc, (void)argv;
    if (env) snprintf(path, sizeof path, "%s", env);
    else snprintf(path, sizeof path, "%s/.cache/ipfs_accelerate/models/all-MiniLM-L6-v2/tokenizer.json",
                  home ? home : "");
    if (ia_tokenizer_open(path, &tok) != IA_OK) {
        fprintf(stderr, "fuzz_tokenizer: %s\n", ia_last_error());
        abort();
    }
    char *json = tiny_bpe_json();
    ia_tokenizer *t = NULL;
    if (!json || ia_tokenizer_load_json(json, strlen(json), &t) != IA_OK) {
        fprintf(stderr, "fuzz_tokenizer: built-in BPE: %s\n", ia_last_error());
        abort();
    }
    free(json);
    add_llm(t, 1);
    static const char *const names[] = {"gpt-2",        "llama-bpe",      "qwen2",
                                        "starcoder",    "falcon",         "deepseek-llm",
                                        "deepseek-coder", "qwen35",       "llama-spm", "phi-3",
                                        "gemma-4"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        ia_gguf *f = NULL;
        snprintf(path, sizeof path, "%s/ggml-vocab-%s.gguf",
                 vocabs ? vocabs : "build-anchors/llama.cpp-src/models", names[i]);
        if (ia_gguf_open(path, &f) != IA_OK) {
            fprintf(stderr, "fuzz_tokenizer: %s (skipped)\n", ia_last_error());
            continue;
        }
        t = NULL;
        if (ia_tokenizer_from_gguf(f, &t) != IA_OK) {
            fprintf(stderr, "fuzz_tokenizer: %s: %s\n", path, ia_last_error());
            abort();
        }
        ia_gguf_free(f);
        /* round trips only where every byte has a token: falcon's, starcoder's
         * and deepseek's vocabularies lack some (e.g. U+010B for 0x0B), and
         * llama.cpp (and we) drop such bytes */
        add_llm(t, i < 3 || i == 7);
    }
    return 0;
}

static void fuzz_llm(const ia_tokenizer *t, int bl, const unsigned char *data, size_t size) {
    static int32_t ids[1 << 16];
    static char out[1 << 18];
    size_t vocab = ia_tokenizer_vocab_size(t), n = 0;
    int valid = ia_utf8_valid((const char *)data, size);
    for (int mode = 0; mode < 4; mode++) {
        int add_special = mode & 1, parse_special = mode >> 1;
        if (ia_tokenizer_tokenize(t, (const char *)data, size, add_special, parse_special, ids,
                                  sizeof ids / sizeof *ids, &n) != IA_OK)
            abort(); /* any byte string is valid input */
        if (n > sizeof ids / sizeof *ids) continue;
        ia_detok d;
        size_t at = 0, k = 0;
        ia_detok_init(&d, t, 0);
        for (size_t i = 0; i < n; i++) {
            if (ids[i] < 0 || (size_t)ids[i] >= vocab) abort();
            if (ia_detok_push(&d, ids[i], out + at, sizeof out - at, &k) != IA_OK) abort();
            if (k > sizeof out - at) return; /* output larger than our buffer */
            if (!ia_utf8_valid(out + at, k)) abort();
            at += k;
        }
        at += ia_detok_flush(&d, out + at, sizeof out - at);
        /* byte-level BPE loses nothing: valid input comes back (BOS adds
         * nothing with special = 0) */
        if (bl && valid && !parse_special && (at != size || memcmp(out, data, size) != 0)) abort();
    }
}

/* Every pre-tokenizer (whether or not a vocab above uses it): the pieces
 * are non-empty and cover the text exactly. */
static void fuzz_pretok(const unsigned char *data, size_t size) {
    static ia_cpbuf cps;
    static ia_lens out, scratch;
    cps.n = 0;
    if (ia_utf8_decode((const char *)data, size, &cps) != IA_OK) abort();
    for (size_t i = 0; i < ia_pre_type_count(); i++) {
        ia_pre_type type;
        int im, ab;
        size_t sum = 0;
        if (!ia_pre_type_from_name(ia_pre_type_name_at(i), &type, &im, &ab)) abort();
        if (ia_pretok_split(type, cps.v, cps.n, &out, &scratch) != IA_OK) abort();
        for (size_t k = 0; k < out.n; k++) {
            if (out.v[k] == 0) abort();
            sum += out.v[k];
        }
        if (sum != cps.n) abort();
    }
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    int32_t ids[300];
    size_t n = 0, vocab = ia_tokenizer_vocab_size(tok);
    const size_t limits[2] = {256, 3};
    for (int l = 0; l < 2; l++) {
        if (ia_tokenizer_encode_bytes(tok, (const char *)data, size, limits[l], ids,
                                      sizeof ids / sizeof *ids, &n) != IA_OK)
            abort(); /* any byte string is valid input */
        if (n > limits[l]) abort();
        for (size_t i = 0; i < n; i++)
            if (ids[i] < 0 || (size_t)ids[i] >= vocab) abort();
    }
    for (int i = 0; i < n_llm; i++) fuzz_llm(llm[i], byte_level[i], data, size);
    fuzz_pretok(data, size);
    return 0;
}
