/*
 * bpe.h — byte-level BPE (GPT-2 style) on one pre-tokenized piece:
 * byte-encode it (byte_unicode.h), merge the pair of lowest rank until no
 * pair has a rank, then look each symbol up; as llama.cpp's
 * llm_tokenizer_bpe_session::tokenize.
 */
#ifndef IA_TOKENIZE_BPE_H
#define IA_TOKENIZE_BPE_H

#include <stddef.h>
#include <stdint.h>

#include "tokenize/buffers.h"
#include "tokenize/llm_tok.h"
#include "tokenize/merge_queue.h"

/* Appends the ids of the piece s[0..n) (code points) to out. word is
 * scratch for the byte-encoded piece. IA_OK or IA_ERR_NOMEM. */
ia_status ia_bpe_piece(const ia_llm_tok *t, const uint32_t *s, size_t n, ia_merge_work *w,
                       char **word, size_t *word_cap, ia_idbuf *out);

#endif
