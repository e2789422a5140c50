/*
 * tokenizer_impl.h — the layout of ia_tokenizer, shared by the loader
 * (tokenizer_json.c) and the encoder (tokenizer.c), and the byte-length
 * form of encode used by tests and the fuzz target.
 *
 * An ia_tokenizer is immutable once loaded, so any number of threads may
 * encode with one tokenizer at the same time.
 */
#ifndef IA_TOKENIZE_TOKENIZER_IMPL_H
#define IA_TOKENIZE_TOKENIZER_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "formats/gguf.h"
#include "ipfs_accelerate.h"
#include "tokenize/added_tokens.h"
#include "tokenize/bert_normalizer.h"
#include "tokenize/buffers.h"
#include "tokenize/llm_tok.h"
#include "tokenize/wordpiece.h"

/* What kind of tokenizer: WordPiece (the BERT pipeline, all the fields
 * below but `llm`) or an LLM tokenizer (byte-level or SentencePiece BPE,
 * only `llm`, plus trunc_max / pad_id / vocab_size). Zero is WordPiece, so
 * the WordPiece loader needs no change. */
typedef enum ia_tok_kind { IA_TOK_WORDPIECE = 0, IA_TOK_LLM = 1 } ia_tok_kind;

struct ia_tokenizer {
    ia_tok_kind kind;
    ia_llm_tok llm;           /* kind == IA_TOK_LLM */
    ia_wordpiece wp;
    int has_normalizer;       /* 0: tokenizer.json's "normalizer": null */
    ia_bert_normalizer norm;
    int bert_pretok;          /* 0: no pre-tokenizer, a piece is one word */
    ia_added_set raw_tokens;  /* added tokens matched before normalizing */
    ia_added_set norm_tokens; /* ... and after (their "normalized": true) */
    int32_t *special_ids;     /* post-processor ids: n_before then n_after */
    size_t n_before, n_after;
    int has_sequence;         /* the single template contains $A */
    size_t trunc_max;         /* tokenizer.json truncation.max_length; 0 none */
    int trunc_left;           /* truncation.direction == "Left" */
    int32_t pad_id;
    size_t vocab_size;        /* one past the largest id encode can return */
};

/* ia_tokenizer_encode for text of explicit length (may hold NUL bytes,
 * may be invalid UTF-8: see utf8.h). Same contract otherwise. */
ia_status ia_tokenizer_encode_bytes(const ia_tokenizer *tok, const char *text,
                                    size_t len, size_t max_tokens, int32_t *ids,
                                    size_t cap, size_t *n_out);

/* Loads a tokenizer.json whose model.type is "BPE" (root: the parsed
 * document, a cJSON *) into tok (zeroed): tokenizer_json_bpe.c. */
ia_status ia_tokenizer_json_bpe(const void *root, ia_tokenizer *tok);

/* Loads the WordPiece vocabulary of a BERT GGUF file (tokenizer.ggml.model
 * "bert") into tok (zeroed): tokenizer_gguf_wpm.c. */
ia_status ia_tokenizer_wpm_from_gguf(const ia_gguf *f, ia_tokenizer *tok);

/* LLM encode into a growable buffer (appends); see ia_tokenizer_tokenize. */
ia_status ia_llm_encode(const ia_llm_tok *t, const char *text, size_t len, int add_special,
                        int parse_special, ia_idbuf *out);

#endif
