/*
 * unicode.h — the Unicode properties the BERT tokenizer asks about, with
 * the answers Hugging Face `tokenizers` gives (not necessarily the latest
 * Unicode: see scripts/gen_unicode_tables.py).
 *
 * All functions are pure lookups in constant tables: thread-safe.
 */
#ifndef IA_TOKENIZE_UNICODE_H
#define IA_TOKENIZE_UNICODE_H

#include <stddef.h>
#include <stdint.h>

enum {
    IA_UC_OTHER = 1, /* general category Cc, Cf or Co ("is_other")        */
    IA_UC_MN = 2,    /* Mn, nonspacing mark (dropped by strip_accents)    */
    IA_UC_PUNCT = 4, /* P* or ASCII punctuation (BertPreTokenizer)        */
    IA_UC_WS = 8     /* White_Space, as Rust's char::is_whitespace        */
};

/* Longest full canonical decomposition of one code point (U+1F82 etc.),
 * and longest full lowercase mapping; the generator checks both. */
#define IA_UC_NFD_MAX 4
#define IA_UC_LOWER_MAX 3

/* IA_UC_* bits of cp. */
unsigned ia_uc_flags(uint32_t cp);

/* Canonical combining class of cp (0 for starters). */
unsigned ia_uc_ccc(uint32_t cp);

/* Full lowercase mapping of cp (Rust char::to_lowercase) into out;
 * returns the count, 1..IA_UC_LOWER_MAX. */
size_t ia_uc_lower(uint32_t cp, uint32_t out[IA_UC_LOWER_MAX]);

/* Full canonical decomposition of cp (Hangul syllables included) into
 * out; returns the count, 1..IA_UC_NFD_MAX (1 and out[0] == cp when cp
 * does not decompose). */
size_t ia_uc_nfd(uint32_t cp, uint32_t out[IA_UC_NFD_MAX]);

#endif
