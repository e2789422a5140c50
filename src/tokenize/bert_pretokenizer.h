/*
 * bert_pretokenizer.h — Hugging Face's BertPreTokenizer: split normalized
 * text into words on White_Space (removed) and around each punctuation
 * char (kept as its own word), as pre_tokenizers/bert.rs.
 */
#ifndef IA_TOKENIZE_BERT_PRETOKENIZER_H
#define IA_TOKENIZE_BERT_PRETOKENIZER_H

#include <stddef.h>
#include <stdint.h>

/* Finds the next word of s[0..n) at or after *pos. Returns 1 and sets
 * [*start, *end) and *pos = *end, or returns 0 at the end of s. Words are
 * never empty. Punctuation is P* or ASCII punctuation (Rust's
 * is_ascii_punctuation, which includes symbols like $ + < = > ^ ` | ~). */
int ia_bert_pretok_next(const uint32_t *s, size_t n, size_t *pos,
                        size_t *start, size_t *end);

#endif
