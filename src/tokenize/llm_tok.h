/*
 * llm_tok.h — the state of an LLM tokenizer (byte-level BPE or
 * SentencePiece BPE, as llama.cpp's llama_vocab): the vocabulary with
 * scores and token types, the merge ranks, the special ids and flags.
 * Filled by tokenizer_gguf.c or tokenizer_json_bpe.c, read by bpe.c,
 * spm.c, special_tokens.c and llm_tokenizer.c.
 *
 * Immutable once loaded: any number of threads may encode with it.
 */
#ifndef IA_TOKENIZE_LLM_TOK_H
#define IA_TOKENIZE_LLM_TOK_H

#include <stddef.h>
#include <stdint.h>

#include "ipfs_accelerate.h"
#include "tokenize/pretok_llm.h"
#include "tokenize/vocab.h"

/* tokenizer.ggml.token_type values (llama.cpp's llama_token_type). */
enum {
    IA_TT_UNDEFINED = 0, IA_TT_NORMAL = 1, IA_TT_UNKNOWN = 2, IA_TT_CONTROL = 3,
    IA_TT_USER_DEFINED = 4, IA_TT_UNUSED = 5, IA_TT_BYTE = 6
};

/* attr bits (llama.cpp's LLAMA_TOKEN_ATTR_LSTRIP / _RSTRIP). */
enum { IA_ATTR_LSTRIP = 1, IA_ATTR_RSTRIP = 2, IA_ATTR_EOG = 4 };

typedef enum ia_llm_model { IA_LLM_BPE = 1, IA_LLM_SPM = 2 } ia_llm_model;

/* When SPM puts U+2581 before a raw fragment (with add_space_prefix):
 * llama.cpp (and a tokenizer.json Prepend normalizer) before the first
 * fragment and after each special token; a Metaspace pre-tokenizer
 * (tokenizer.json) only at the start of the text ("first") or before every
 * fragment ("always"), and never before one that starts with a space. */
typedef enum ia_prefix_scheme {
    IA_PREFIX_AFTER_SPECIAL = 0, IA_PREFIX_METASPACE_FIRST = 1, IA_PREFIX_METASPACE_ALWAYS = 2
} ia_prefix_scheme;

typedef struct ia_llm_tok {
    ia_llm_model model;
    ia_pre_type pre;
    size_t n;             /* tokens */
    char *pool;           /* token texts, each NUL-terminated */
    size_t *off;          /* text of id i: pool + off[i], length off[i+1] - off[i] - 1 */
    float *scores;        /* n entries (0 when the file has none) */
    uint8_t *type;        /* n entries, IA_TT_* */
    uint8_t *attr;        /* n entries, IA_ATTR_* */
    ia_vocab index;       /* text -> id (a repeated text maps to its last id) */
    ia_vocab ranks;       /* left NUL right -> merge rank (the first of repeats);
                           * SPM: empty from GGUF (scores decide), filled from
                           * tokenizer.json (ranks decide) */
    int32_t byte_id[256]; /* SPM: id of <0xNN>, -1 when absent */
    int32_t *specials;    /* ids matched in the text, longest text first */
    size_t n_specials;
    int32_t bos, eos, eot, unk, pad; /* -1 when none */
    int add_bos, add_eos, add_space_prefix, ignore_merges;
    ia_prefix_scheme prefix_scheme;
    int raw_bpe;          /* BPE over raw UTF-8 (gemma4): no GPT-2 byte map,
                           * spaces written U+2581, <0xNN> byte fallback */
} ia_llm_tok;

/* Text and byte length of id (id must be < n). */
static inline const char *ia_llm_text(const ia_llm_tok *t, int32_t id, size_t *len) {
    *len = t->off[id + 1] - t->off[id] - 1;
    return t->pool + t->off[id];
}

/* Id of the text s[0..len), or -1. */
static inline int32_t ia_llm_find(const ia_llm_tok *t, const char *s, size_t len) {
    int32_t id;
    return ia_vocab_find(&t->index, "", 0, s, len, &id) ? id : -1;
}

/* Allocates the per-token arrays for n tokens and copies the texts (each
 * texts[i], lengths from strlen); types default to NORMAL, scores to 0.
 * Then the caller fills types/scores and calls ia_llm_tok_finish. */
ia_status ia_llm_tok_init(ia_llm_tok *t, const char *const *texts, size_t n);

/* Adds the merge (left, right) with rank (its index in the merge list);
 * a repeated pair keeps its first rank. Stored as left NUL right, the key
 * bpe.c and spm.c look up. */
ia_status ia_llm_tok_add_merge(ia_llm_tok *t, const char *left, size_t llen, const char *right,
                               size_t rlen, int32_t rank);

/* The same for a merge written "left right" (GGUF, tokenizer.json). */
ia_status ia_llm_tok_add_merge_str(ia_llm_tok *t, const char *merge, int32_t rank);

/* Builds the derived tables: the EOG flags (with llama_rules, llama.cpp's:
 * EOG texts become control tokens; see llm_tok.c), byte ids, the special
 * list (CONTROL, USER_DEFINED and UNKNOWN tokens, longest first). Call
 * after bos/eos/eot are set. */
ia_status ia_llm_tok_finish(ia_llm_tok *t, int llama_rules);

/* NULL-safe; frees what init and finish allocated (not t itself). */
void ia_llm_tok_free(ia_llm_tok *t);

/* 1 if id is an end-of-generation token. */
int ia_llm_is_eog(const ia_llm_tok *t, int32_t id);

#endif
