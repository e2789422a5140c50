/*
 * fuzz_tokenizer.c — libFuzzer target for the tokenizer: arbitrary bytes
 * (NULs, invalid UTF-8, huge words, combining-mark storms) through the
 * MiniLM tokenizer.json, with and without truncation. Every id must be in
 * the vocabulary and the count must respect the limit.
 *
 * The tokenizer is loaded once from $IA_FUZZ_TOKENIZER (default: the
 * cached all-MiniLM-L6-v2). Built and run by scripts/fuzz_tokenizer.sh.
 */
#include <stdio.h>
#include <stdlib.h>

#include "ipfs_accelerate.h"
#include "tokenize/tokenizer.h"
#include "tokenize/tokenizer_impl.h"

static ia_tokenizer *tok;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    char path[4096];
    const char *env = getenv("IA_FUZZ_TOKENIZER"), *home = getenv("HOME");
    (void)argc, (void)argv;
    if (env) snprintf(path, sizeof path, "%s", env);
    else snprintf(path, sizeof path, "%s/.cache/ipfs_accelerate/models/all-MiniLM-L6-v2/tokenizer.json",
                  home ? home : "");
    if (ia_tokenizer_open(path, &tok) != IA_OK) {
        fprintf(stderr, "fuzz_tokenizer: %s\n", ia_last_error());
        abort();
    }
    return 0;
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
    return 0;
}
