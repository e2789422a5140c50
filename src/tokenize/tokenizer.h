/*
 * tokenizer.h — internal interface of the tokenizer loaded from a Hugging
 * Face tokenizer.json (the public ia_tokenizer_* calls wrap it).
 *
 * Only the BERT pipeline is real so far: BertNormalizer, BertPreTokenizer,
 * WordPiece, TemplateProcessing/BertProcessing with [CLS] and [SEP].
 * Other models in tokenizer.json are refused with IA_ERR_UNSUPPORTED.
 */
#ifndef IA_TOKENIZE_TOKENIZER_H
#define IA_TOKENIZE_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "ipfs_accelerate.h"

/* Parses tokenizer.json text (len bytes, need not be NUL-terminated). */
ia_status ia_tokenizer_load_json(const char *json, size_t len, ia_tokenizer **out);

/* Id used for padding ([PAD] for BERT); from tokenizer.json's padding or
 * the vocabulary. */
int32_t ia_tokenizer_pad_id(const ia_tokenizer *tok);

/* Truncation max_length from tokenizer.json, or 0 if none is set. */
size_t ia_tokenizer_max_length(const ia_tokenizer *tok);

/* Vocabulary size. */
size_t ia_tokenizer_vocab_size(const ia_tokenizer *tok);

#endif
