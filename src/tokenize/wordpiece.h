/*
 * wordpiece.h — the WordPiece model: greedy longest-match-first split of
 * one word into vocabulary pieces, as models/wordpiece/mod.rs in Hugging
 * Face `tokenizers`.
 */
#ifndef IA_TOKENIZE_WORDPIECE_H
#define IA_TOKENIZE_WORDPIECE_H

#include <stddef.h>
#include <stdint.h>

#include "tokenize/buffers.h"
#include "tokenize/vocab.h"

typedef struct ia_wordpiece {
    ia_vocab vocab;
    char *prefix;      /* continuing_subword_prefix, e.g. "##" (owned) */
    size_t prefix_len;
    int32_t unk_id;    /* id of unk_token; loading checks it exists */
    size_t max_chars;  /* max_input_chars_per_word: longer words -> unk */
} ia_wordpiece;

/* Appends the ids of the word w[0..len) (valid UTF-8, nchars chars, len > 0)
 * to *out: its pieces, or the single unk id when the word is longer than
 * max_chars or some part of it matches no piece. IA_OK or IA_ERR_NOMEM. */
ia_status ia_wordpiece_encode(const ia_wordpiece *wp, const char *w, size_t len,
                              size_t nchars, ia_idbuf *out);

/* NULL-safe; leaves *wp empty. */
void ia_wordpiece_free(ia_wordpiece *wp);

#endif
