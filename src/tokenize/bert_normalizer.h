/*
 * bert_normalizer.h — Hugging Face's BertNormalizer on code points.
 *
 * In order, each step only if enabled (as normalizers/bert.rs):
 *   clean_text            drop U+0000, U+FFFD and Cc/Cf/Co (but \t \n \r),
 *                         then map White_Space (and \t \n \r) to ' ';
 *   handle_chinese_chars  put ' ' around CJK ideographs;
 *   strip_accents         NFD, then drop Mn (nonspacing marks);
 *   lowercase             full lowercase mapping (may give several chars).
 */
#ifndef IA_TOKENIZE_BERT_NORMALIZER_H
#define IA_TOKENIZE_BERT_NORMALIZER_H

#include <stddef.h>
#include <stdint.h>

#include "tokenize/buffers.h"

typedef struct ia_bert_normalizer {
    int clean_text;
    int handle_chinese_chars;
    int strip_accents; /* already resolved: tokenizer.json's null = lowercase */
    int lowercase;
} ia_bert_normalizer;

/* Appends the normalization of in[0..n) to *out. `scratch` is working
 * memory owned by the caller (reused between calls; its contents are
 * clobbered). IA_OK or IA_ERR_NOMEM. */
ia_status ia_bert_normalize(const ia_bert_normalizer *nz, const uint32_t *in,
                            size_t n, ia_cpbuf *scratch, ia_cpbuf *out);

/* 1 if cp is in the CJK ideograph blocks BertNormalizer spaces out. */
int ia_bert_is_chinese(uint32_t cp);

#endif
