/*
 * added_tokens.h — tokenizer.json's "added_tokens" ([CLS], [MASK], user
 * tokens): matched in the text before the model sees it and turned straight
 * into their ids, as AddedVocabulary in Hugging Face `tokenizers`.
 *
 * Tokens with "normalized": false are found in the raw text, the others in
 * the normalized text (their pattern is their normalized content). Matching
 * is leftmost-longest, non-overlapping, like the aho-corasick automaton
 * `tokenizers` builds with MatchKind::LeftmostLongest.
 */
#ifndef IA_TOKENIZE_ADDED_TOKENS_H
#define IA_TOKENIZE_ADDED_TOKENS_H

#include <stddef.h>
#include <stdint.h>

#include "ipfs_accelerate.h"

typedef struct ia_added_token {
    uint32_t *cps; /* the pattern, code points (owned), len >= 1 */
    size_t len;
    int32_t id;
    int lstrip, rstrip; /* also swallow White_Space to the left / right */
} ia_added_token;

typedef struct ia_added_set {
    ia_added_token *v; /* sorted by first code point once finished */
    size_t n, cap;
    uint64_t ascii_first[2]; /* bit c: some pattern starts with ASCII c */
    int nonascii_first;      /* some pattern starts past ASCII */
} ia_added_set;

/* Appends a pattern (copied; empty ones are ignored, as `tokenizers` never
 * matches them). IA_OK or IA_ERR_NOMEM. */
ia_status ia_added_add(ia_added_set *set, const uint32_t *cps, size_t len,
                       int32_t id, int lstrip, int rstrip);

/* Sorts and indexes the set for searching; call once after the last
 * ia_added_add. */
void ia_added_finish(ia_added_set *set);

/* Leftmost-longest match in s[from..n): returns 1 and sets [*start, *end)
 * and *tok, or 0 when none. */
int ia_added_find(const ia_added_set *set, const uint32_t *s, size_t n,
                  size_t from, size_t *start, size_t *end,
                  const ia_added_token **tok);

/* NULL-safe; leaves *set empty. */
void ia_added_free(ia_added_set *set);

#endif
