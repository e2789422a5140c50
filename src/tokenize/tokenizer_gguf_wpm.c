/*
 * tokenizer_gguf_wpm.c — the WordPiece tokenizer of a BERT GGUF file
 * (tokenizer.ggml.model "bert", as llama.cpp's convert_hf_to_gguf.py
 * writes it), rebuilt as the Hugging Face tokenizer it was converted from,
 * so that a GGUF model tokenizes exactly as its tokenizer.json does.
 *
 * The converter stores the vocabulary in llama.cpp's "phantom space" form
 * (conversion/bert.py, BertModel.set_vocab): a CONTROL token as is, a
 * continuation piece "##ing" as "ing", any other token "the" as "▁the"
 * (U+2581). That map is one-to-one given the token types, so we invert it
 * ("▁the" -> "the", "ing" -> "##ing") and run the same BertNormalizer /
 * BertPreTokenizer / WordPiece pipeline as tokenizer.json. llama.cpp's
 * own WPM tokenizer (llm_tokenizer_wpm_session) matches "▁word" greedily
 * over the phantom vocabulary, which is the same longest-match-first
 * WordPiece; its pre-splitting differs from HF's in corner cases, and
 * we follow HF.
 *
 * Converters before the CONTROL rule kept every "[...]" token as is (the
 * "[unused0]" of llama.cpp's ggml-vocab-bert-bge.gguf fixture); such a
 * token without "▁" is taken as is too (a "##[...]" piece would be
 * misread, and BERT vocabularies have none).
 *
 * Defaults where a key is absent are llama.cpp's (llama_vocab::impl::load
 * for "bert", normalizer_options): [CLS] 101, [SEP] 102, [UNK] 100,
 * [PAD] 0; lowercase on (older files have no normalizer key) and
 * strip_accents following lowercase (as HF's strip_accents: null).
 * The post-processor is [CLS] $A [SEP]: llama.cpp adds bos and sep for
 * WPM whatever add_bos_token / add_eos_token say, as HF's BertProcessing.
 * CONTROL tokens are matched in the raw text (HF's special added tokens,
 * "normalized": false), USER_DEFINED ones after normalising.
 */
#include <stdlib.h>
#include <string.h>

#include "tokenize/tokenizer.h"
#include "tokenize/tokenizer_impl.h"
#include "tokenize/utf8.h"
#include "util/error.h"

#define KEY "tokenizer.ggml."

/* "▁" (U+2581) in UTF-8 */
#define PHANTOM "\xe2\x96\x81"
#define PHANTOM_LEN 3

static ia_status opt_bool(const ia_gguf *f, const char *key, int *v) {
    ia_status st = ia_gguf_get_bool(f, key, v);
    if (st == IA_ERR_NOT_FOUND) ia_error_clear();
    return st == IA_ERR_NOT_FOUND ? IA_OK : st;
}

/* An id key: kept when absent; out of range is a format error (a special
 * id the encoder emits must index the embedding table). */
static ia_status opt_id(const ia_gguf *f, const char *key, size_t n, int32_t *id) {
    int64_t v;
    ia_status st = ia_gguf_get_i64(f, key, &v);
    if (st == IA_ERR_NOT_FOUND) {
        ia_error_clear();
        return IA_OK;
    }
    if (st != IA_OK) return st;
    if (v < 0 || (uint64_t)v >= n)
        return ia_error(IA_ERR_FORMAT, "GGUF tokenizer: %s = %lld is not a token id (%zu tokens)", key,
                        (long long)v, n);
    *id = (int32_t)v;
    return IA_OK;
}

/* Adds token text[0..len) (an added token of the HF tokenizer, its
 * phantom space undone) as a pattern:
 * raw for CONTROL, normalised for USER_DEFINED. Invalid UTF-8 cannot occur
 * in text we match, so such a token is left out. */
static ia_status add_pattern(ia_tokenizer *tok, const char *text, size_t len, int32_t id, int raw) {
    ia_cpbuf cps = {0}, norm = {0}, scratch = {0};
    ia_status st = IA_OK;
    if (len == 0 || !ia_utf8_valid(text, len)) return IA_OK;
    if ((st = ia_utf8_decode(text, len, &cps)) != IA_OK) goto done;
    if (raw) {
        st = ia_added_add(&tok->raw_tokens, cps.v, cps.n, id, 0, 0);
    } else if ((st = ia_bert_normalize(&tok->norm, cps.v, cps.n, &scratch, &norm)) == IA_OK) {
        st = ia_added_add(&tok->norm_tokens, norm.v, norm.n, id, 0, 0);
    }
done:
    ia_cpbuf_free(&cps);
    ia_cpbuf_free(&norm);
    ia_cpbuf_free(&scratch);
    return st;
}

static ia_status push_special(ia_tokenizer *tok, int32_t id, int after) {
    int32_t *p = realloc(tok->special_ids, (tok->n_before + tok->n_after + 1) * sizeof *p);
    if (!p) return ia_error(IA_ERR_NOMEM, "tokenizer: out of memory");
    tok->special_ids = p;
    p[tok->n_before + tok->n_after] = id;
    if (after) tok->n_after++;
    else tok->n_before++;
    return IA_OK;
}

static ia_status load(const ia_gguf *f, ia_tokenizer *tok) {
    const char *const *texts = NULL;
    const void *types = NULL;
    ia_gguf_vtype vt;
    size_t n = 0, cnt = 0;
    int32_t cls = 101, sep = 102, unk = 100, pad = 0;
    char *buf = NULL;
    size_t cap = 0;
    ia_status st;
    if ((st = ia_gguf_get_str_array(f, KEY "tokens", &n, &texts)) != IA_OK)
        return ia_error_prefix(st, "GGUF tokenizer");
    if (n == 0 || n > (size_t)INT32_MAX)
        return ia_error(IA_ERR_FORMAT, "GGUF tokenizer: %zu tokens", n);
    /* The types tell "##x" (stored "x") from a CONTROL token: required. */
    if ((st = ia_gguf_get_array(f, KEY "token_type", &vt, &cnt, &types)) == IA_ERR_NOT_FOUND)
        return ia_error(IA_ERR_FORMAT, "GGUF tokenizer: a \"bert\" vocabulary needs " KEY "token_type");
    if (st != IA_OK) return st;
    if (vt != IA_GGUF_I32 || cnt != n)
        return ia_error(IA_ERR_FORMAT, "GGUF tokenizer: " KEY "token_type must be %zu i32", n);
    if ((st = opt_id(f, KEY "bos_token_id", n, &cls)) != IA_OK ||
        (st = opt_id(f, KEY "cls_token_id", n, &cls)) != IA_OK ||
        (st = opt_id(f, KEY "seperator_token_id", n, &sep)) != IA_OK || /* gguf-py's spelling */
        (st = opt_id(f, KEY "unknown_token_id", n, &unk)) != IA_OK ||
        (st = opt_id(f, KEY "padding_token_id", n, &pad)) != IA_OK)
        return st;
    if ((size_t)cls >= n || (size_t)sep >= n || (size_t)unk >= n || (size_t)pad >= n)
        return ia_error(IA_ERR_FORMAT, "GGUF tokenizer: the default special ids (101, 102, 100, 0) do not fit "
                        "%zu tokens and the file names none", n);

    tok->has_normalizer = 1;
    tok->norm.clean_text = 1;
    tok->norm.handle_chinese_chars = 1;
    tok->norm.lowercase = 1; /* llama.cpp's normalizer_options default, and HF's */
    if ((st = opt_bool(f, KEY "normalizer.lowercase", &tok->norm.lowercase)) != IA_OK) return st;
    tok->norm.strip_accents = tok->norm.lowercase;
    if ((st = opt_bool(f, KEY "normalizer.strip_accents", &tok->norm.strip_accents)) != IA_OK) return st;
    tok->bert_pretok = 1;

    for (size_t i = 0; i < n; i++) {
        const char *t = texts[i];
        size_t len = strlen(t);
        int32_t type;
        memcpy(&type, (const char *)types + 4 * i, 4);
        if (len + 3 > cap) {
            char *p = realloc(buf, cap = len + 64);
            if (!p) {
                st = ia_error(IA_ERR_NOMEM, "tokenizer: out of memory");
                goto done;
            }
            buf = p;
        }
        /* the converter's phantom(), undone */
        if (type == IA_TT_CONTROL || (len >= 2 && t[0] == '[' && t[len - 1] == ']')) {
            memcpy(buf, t, len);
        } else if (len >= PHANTOM_LEN && memcmp(t, PHANTOM, PHANTOM_LEN) == 0) {
            len -= PHANTOM_LEN;
            memmove(buf, t + PHANTOM_LEN, len);
        } else {
            memcpy(buf, "##", 2);
            memcpy(buf + 2, t, len);
            len += 2;
        }
        if ((st = ia_vocab_put(&tok->wp.vocab, buf, len, (int32_t)i)) != IA_OK) goto done;
        if ((type == IA_TT_CONTROL || type == IA_TT_USER_DEFINED) &&
            (st = add_pattern(tok, buf, len, (int32_t)i, type == IA_TT_CONTROL)) != IA_OK)
            goto done;
    }
    ia_added_finish(&tok->raw_tokens);
    ia_added_finish(&tok->norm_tokens);
    tok->wp.unk_id = unk;
    tok->wp.max_chars = 100; /* tokenizers' max_input_chars_per_word default */
    tok->wp.prefix_len = 2;
    if (!(tok->wp.prefix = malloc(3))) {
        st = ia_error(IA_ERR_NOMEM, "tokenizer: out of memory");
        goto done;
    }
    memcpy(tok->wp.prefix, "##", 3);
    if ((st = push_special(tok, cls, 0)) != IA_OK || (st = push_special(tok, sep, 1)) != IA_OK) goto done;
    tok->has_sequence = 1;
    tok->pad_id = pad;
    tok->vocab_size = n;
done:
    free(buf);
    return st;
}

ia_status ia_tokenizer_wpm_from_gguf(const ia_gguf *f, ia_tokenizer *tok) {
    ia_status st = load(f, tok);
    return st == IA_OK ? IA_OK : ia_error_prefix(st, "GGUF tokenizer (bert)");
}
