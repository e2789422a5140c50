/*
 * spm.h — SentencePiece BPE as llama.cpp's llm_tokenizer_spm_session: start
 * from UTF-8 characters, repeatedly merge the neighbour pair whose joined
 * text is a token with the highest score, then emit each symbol, or its
 * bytes as <0xNN> tokens when the vocabulary lacks it (byte fallback).
 */
#ifndef IA_TOKENIZE_SPM_H
#define IA_TOKENIZE_SPM_H

#include <stddef.h>

#include "tokenize/buffers.h"
#include "tokenize/llm_tok.h"
#include "tokenize/merge_queue.h"

/* Appends the ids of text[0..len) (already escaped: spaces as U+2581) to out. */
ia_status ia_spm_encode(const ia_llm_tok *t, const char *text, size_t len, ia_merge_work *w,
                        ia_idbuf *out);

#endif
