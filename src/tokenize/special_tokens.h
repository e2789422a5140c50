/*
 * special_tokens.h — cutting text at the special tokens written in it, as
 * llama.cpp's tokenizer_st_partition: each special token (longest text
 * first) splits every remaining raw fragment at each of its occurrences,
 * left to right. Control and unknown tokens are matched only with
 * parse_special; user-defined tokens always (as llama.cpp does).
 */
#ifndef IA_TOKENIZE_SPECIAL_TOKENS_H
#define IA_TOKENIZE_SPECIAL_TOKENS_H

#include <stddef.h>
#include <stdint.h>

#include "tokenize/llm_tok.h"

typedef struct ia_frag {
    int32_t id;      /* the token, or -1 for raw text */
    size_t off, len; /* raw text: bytes [off, off+len) of the input */
} ia_frag;

typedef struct ia_frags {
    ia_frag *v;
    size_t n, cap;
} ia_frags;

/* Partitions text[0..len) into *out (cleared first); tmp is scratch.
 * IA_OK or IA_ERR_NOMEM. */
ia_status ia_special_partition(const ia_llm_tok *t, const char *text, size_t len,
                               int parse_special, ia_frags *out, ia_frags *tmp);

void ia_frags_free(ia_frags *f);

#endif
