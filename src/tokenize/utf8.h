/*
 * utf8.h — UTF-8 to code points and back, for the tokenizer.
 *
 * Hugging Face `tokenizers` works on Rust strings, which are valid UTF-8 by
 * construction. Our input is bytes from C, so decoding is lossy the way
 * Rust's String::from_utf8_lossy is: each maximal ill-formed subpart (Unicode
 * 15, section 3.9, "U+FFFD substitution of maximal subparts") becomes one
 * U+FFFD. BertNormalizer's clean_text then deletes U+FFFD, so with clean_text
 * on (every BERT tokenizer.json we know) invalid bytes simply vanish.
 */
#ifndef IA_TOKENIZE_UTF8_H
#define IA_TOKENIZE_UTF8_H

#include <stddef.h>
#include <stdint.h>

#include "tokenize/buffers.h"

/* Appends the code points of s[0..len) to *out, invalid sequences as
 * U+FFFD. IA_OK or IA_ERR_NOMEM. */
ia_status ia_utf8_decode(const char *s, size_t len, ia_cpbuf *out);

/* 1 if s[0..len) is well-formed UTF-8, else 0. */
int ia_utf8_valid(const char *s, size_t len);

/* Writes cp (a Unicode scalar value) as UTF-8 into out; returns 1..4. */
size_t ia_utf8_put(uint32_t cp, char out[4]);

#endif
