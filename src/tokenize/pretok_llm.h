/*
 * pretok_llm.h — the pre-tokenizers of byte-level BPE vocabularies, one per
 * llama.cpp `tokenizer.ggml.pre` value we implement: each splits text (as
 * code points) into the pieces BPE then merges within.
 *
 * llama.cpp gives each pre type a list of regexes applied in turn, each
 * splitting every piece of the previous one into its matches and the text
 * between (src/llama-vocab.cpp, unicode_regex_split in src/unicode.cpp).
 * We do the same with hand-written matchers, no regex engine: the GPT-2 and
 * llama3 patterns as llama.cpp's own hand-written splitters (the llama3 one
 * with switches for qwen2, qwen35, seed-coder, ufakzeka), the gpt-4o/tekken
 * case-aware words resolved as std::regex backtracks, and single-class
 * patterns (\p{N}, \s?\p{L}+, [0-9]{3}, ...) with one class-run matcher
 * that reproduces std::regex's leftmost-first search.
 * test_pretok_reference.c checks every accepted name against llama.cpp's
 * regexes themselves.
 *
 * Thread-safe: the functions only read their arguments.
 */
#ifndef IA_TOKENIZE_PRETOK_LLM_H
#define IA_TOKENIZE_PRETOK_LLM_H

#include <stddef.h>
#include <stdint.h>

#include "ipfs_accelerate.h"

typedef enum ia_pre_type {
    IA_PRE_NONE = 0, /* no split (SentencePiece) */
    IA_PRE_GPT2,     /* gpt-2, mpt, phi-2, ... */
    IA_PRE_LLAMA3,   /* llama-bpe, llama3 */
    IA_PRE_QWEN2,
    IA_PRE_STARCODER, /* starcoder, refact, command-r, smollm */
    IA_PRE_FALCON,
    IA_PRE_DEEPSEEK_LLM,
    IA_PRE_DEEPSEEK_CODER,
    IA_PRE_DEFAULT,   /* llama.cpp's "default" (and a GGUF without a pre type) */
    IA_PRE_QWEN35,    /* qwen2's with marks joining letters */
    IA_PRE_SEED_CODER, /* qwen2's without [\r\n]* after punctuation */
    IA_PRE_UFAKZEKA,  /* qwen2's without the contractions */
    IA_PRE_BLOOM,     /* bloom, poro-chat, gpt3-finnish */
    IA_PRE_VIKING,    /* bloom's, then \p{N} */
    IA_PRE_GPT4O,     /* gpt-4o, llama4, minimax-m2: case-aware words */
    IA_PRE_TEKKEN,    /* gpt-4o's with single digits, no contractions */
    IA_PRE_GEMMA4,    /* runs of \n and of anything else (raw-UTF-8 BPE) */
    IA_PRE_DEEPSEEK3  /* deepseek-v3, hunyuan-dense, hy_v4, joyai-llm */
} ia_pre_type;

/* The pre type llama.cpp maps `name` (tokenizer.ggml.pre) to; sets the
 * llama.cpp per-name options (ignore_merges: a whole piece that is a token
 * skips the merges; add_bos: the default of add_bos_token). Returns 0 when
 * the name is not one we implement. */
int ia_pre_type_from_name(const char *name, ia_pre_type *type, int *ignore_merges,
                          int *add_bos);

/* The names ia_pre_type_from_name accepts: count, and the i-th (NULL past
 * the end). For tests and error messages. */
size_t ia_pre_type_count(void);
const char *ia_pre_type_name_at(size_t i);

/* Lengths of pieces, in code points. */
typedef struct ia_lens {
    size_t *v;
    size_t n, cap;
} ia_lens;

void ia_lens_free(ia_lens *l);

/* Splits s[0..n) by the pre type: *out gets the piece lengths (summing to
 * n). scratch is working memory, reused across calls. IA_OK or
 * IA_ERR_NOMEM. */
ia_status ia_pretok_split(ia_pre_type type, const uint32_t *s, size_t n, ia_lens *out,
                          ia_lens *scratch);

#endif
