/*
 * tokenizer_gguf.c — loading an LLM tokenizer from GGUF metadata (the
 * tokenizer.ggml.* keys llama.cpp's convert_hf_to_gguf.py writes), with
 * llama.cpp's defaults where a key is absent (llama_vocab::impl::load):
 *   model "gpt2" (byte-level BPE): pre "default" when absent, merges
 *     required, no BOS
 *     added unless add_bos_token (or the pre type's default) says so;
 *   model "gemma4": BPE over raw UTF-8 (pre type gemma4);
 *   model "llama" (SentencePiece BPE): bos 1, eos 2, unk 0, add_bos and
 *     add_space_prefix on by default;
 *   model "bert" (WordPiece): tokenizer_gguf_wpm.c.
 * The file is hostile: array lengths must agree with the token count, and
 * special ids out of range are ignored (llama.cpp keeps its default then).
 */
#include <stdlib.h>
#include <string.h>

#include "tokenize/tokenizer.h"
#include "tokenize/tokenizer_impl.h"
#include "util/error.h"

#define KEY "tokenizer.ggml."

static ia_status opt_bool(const ia_gguf *f, const char *key, int *v) {
    ia_status st = ia_gguf_get_bool(f, key, v);
    return st == IA_ERR_NOT_FOUND ? IA_OK : st;
}

/* An id key: kept when absent or out of range (-1 allowed as "none"). */
static ia_status opt_id(const ia_gguf *f, const char *key, size_t n, int32_t *id) {
    int64_t v;
    ia_status st = ia_gguf_get_i64(f, key, &v);
    if (st == IA_ERR_NOT_FOUND) return IA_OK;
    if (st != IA_OK) return st;
    if (v >= 0 && (uint64_t)v < n) *id = (int32_t)v;
    return IA_OK;
}

static int contains_ci(const char *s, const char *pat) {
    size_t n = strlen(pat);
    for (; *s; s++) {
        size_t i = 0;
        while (i < n && s[i] && (s[i] | 0x20) == (pat[i] | 0x20)) i++;
        if (i == n) return 1;
    }
    return 0;
}

/* llama.cpp sets lstrip/rstrip by model name: phi-3's special tokens eat
 * the white space after them, except <unk>, <s> and <|endoftext|>. */
static void name_attrs(const ia_gguf *f, ia_llm_tok *t) {
    const char *name = NULL;
    if (ia_gguf_get_str(f, "general.name", &name) != IA_OK || !name) return;
    if (!contains_ci(name, "phi-3") && !contains_ci(name, "phi3")) return;
    for (size_t i = 0; i < t->n_specials; i++) t->attr[t->specials[i]] |= IA_ATTR_RSTRIP;
    int32_t id = ia_llm_find(t, "</s>", 4);
    if (id >= 0) t->attr[id] |= IA_ATTR_RSTRIP;
    static const char *const keep[] = {"<unk>", "<s>", "<|endoftext|>"};
    for (size_t i = 0; i < 3; i++)
        if ((id = ia_llm_find(t, keep[i], strlen(keep[i]))) >= 0) t->attr[id] &= ~IA_ATTR_RSTRIP;
}

static ia_status load(const ia_gguf *f, ia_llm_tok *t) {
    const char *model = NULL, *pre = NULL;
    const char *const *texts = NULL;
    size_t n = 0;
    ia_status st;
    if ((st = ia_gguf_get_str(f, KEY "model", &model)) != IA_OK)
        return ia_error_prefix(st, "GGUF tokenizer");
    int gemma4 = strcmp(model, "gemma4") == 0;
    if (strcmp(model, "gpt2") == 0 || gemma4) t->model = IA_LLM_BPE;
    else if (strcmp(model, "llama") == 0) t->model = IA_LLM_SPM;
    else
        return ia_error(IA_ERR_UNSUPPORTED, "GGUF tokenizer: tokenizer.ggml.model \"%.64s\" is "
                        "not supported (only \"gpt2\", \"gemma4\", \"llama\" and \"bert\")", model);
    if ((st = ia_gguf_get_str_array(f, KEY "tokens", &n, &texts)) != IA_OK)
        return ia_error_prefix(st, "GGUF tokenizer");
    if ((st = ia_llm_tok_init(t, texts, n)) != IA_OK) return st;

    ia_gguf_vtype vt;
    size_t cnt;
    const void *data;
    st = ia_gguf_get_array(f, KEY "scores", &vt, &cnt, &data);
    if (st == IA_OK) {
        if (vt != IA_GGUF_F32 || cnt != n)
            return ia_error(IA_ERR_FORMAT, "GGUF tokenizer: " KEY "scores must be %zu f32", n);
        memcpy(t->scores, data, n * sizeof(float));
    } else if (st != IA_ERR_NOT_FOUND) {
        return st;
    }
    st = ia_gguf_get_array(f, KEY "token_type", &vt, &cnt, &data);
    if (st == IA_OK) {
        if (vt != IA_GGUF_I32 || cnt != n)
            return ia_error(IA_ERR_FORMAT, "GGUF tokenizer: " KEY "token_type must be %zu i32", n);
        for (size_t i = 0; i < n; i++) {
            int32_t v;
            memcpy(&v, (const char *)data + 4 * i, 4);
            t->type[i] = v >= 0 && v <= IA_TT_BYTE ? (uint8_t)v : IA_TT_UNDEFINED;
        }
    } else if (st != IA_ERR_NOT_FOUND) {
        return st;
    }

    if (t->model == IA_LLM_BPE) {
        int ignore_merges = 0, add_bos = 0;
        st = ia_gguf_get_str(f, KEY "pre", &pre);
        if (gemma4) pre = "gemma4"; /* llama.cpp sets it for the model, whatever the key says */
        else if (st == IA_ERR_NOT_FOUND) pre = "default"; /* as llama.cpp (which warns) */
        else if (st != IA_OK) return st;
        if (!ia_pre_type_from_name(pre, &t->pre, &ignore_merges, &add_bos))
            return ia_error(IA_ERR_UNSUPPORTED, "GGUF tokenizer: pre-tokenizer \"%.64s\" "
                            "(" KEY "pre) is not implemented", pre);
        t->ignore_merges = ignore_merges;
        t->add_bos = add_bos;
        /* gemma4's pre type: raw UTF-8, spaces as U+2581 (escape_whitespaces) */
        t->raw_bpe = t->pre == IA_PRE_GEMMA4;
        const char *const *merges = NULL;
        size_t nm = 0;
        if ((st = ia_gguf_get_str_array(f, KEY "merges", &nm, &merges)) != IA_OK)
            return ia_error_prefix(st, "GGUF tokenizer");
        if (nm > (size_t)INT32_MAX) return ia_error(IA_ERR_FORMAT, "GGUF tokenizer: %zu merges", nm);
        for (size_t i = 0; i < nm; i++)
            if ((st = ia_llm_tok_add_merge_str(t, merges[i], (int32_t)i)) != IA_OK) return st;
    } else {
        t->pre = IA_PRE_NONE;
        t->add_bos = 1;
        t->add_space_prefix = 1;
        t->bos = n > 1 ? 1 : -1;
        t->eos = n > 2 ? 2 : -1;
        t->unk = 0;
    }
    if ((st = opt_id(f, KEY "bos_token_id", n, &t->bos)) != IA_OK ||
        (st = opt_id(f, KEY "eos_token_id", n, &t->eos)) != IA_OK ||
        (st = opt_id(f, KEY "eot_token_id", n, &t->eot)) != IA_OK ||
        (st = opt_id(f, KEY "unknown_token_id", n, &t->unk)) != IA_OK ||
        (st = opt_id(f, KEY "padding_token_id", n, &t->pad)) != IA_OK ||
        (st = opt_bool(f, KEY "add_bos_token", &t->add_bos)) != IA_OK ||
        (st = opt_bool(f, KEY "add_eos_token", &t->add_eos)) != IA_OK ||
        (st = opt_bool(f, KEY "add_space_prefix", &t->add_space_prefix)) != IA_OK)
        return st;
    if ((st = ia_llm_tok_finish(t, 1)) != IA_OK) return st;
    name_attrs(f, t);
    return IA_OK;
}

ia_status ia_tokenizer_from_gguf(const ia_gguf *f, ia_tokenizer **out) {
    if (!f || !out) return ia_error(IA_ERR_INVALID_ARG, "ia_tokenizer_from_gguf: NULL argument");
    *out = NULL;
    ia_tokenizer *tok = calloc(1, sizeof *tok);
    if (!tok) return ia_error(IA_ERR_NOMEM, "tokenizer: out of memory");
    const char *model = NULL;
    if (ia_gguf_get_str(f, KEY "model", &model) == IA_OK && strcmp(model, "bert") == 0) {
        ia_status st = ia_tokenizer_wpm_from_gguf(f, tok); /* kind WordPiece */
        if (st != IA_OK) {
            ia_tokenizer_free(tok);
            return st;
        }
        *out = tok;
        return IA_OK;
    }
    ia_error_clear();
    tok->kind = IA_TOK_LLM;
    ia_status st = load(f, &tok->llm);
    if (st != IA_OK) {
        ia_tokenizer_free(tok);
        return st;
    }
    tok->vocab_size = tok->llm.n;
    tok->pad_id = tok->llm.pad >= 0 ? tok->llm.pad : 0;
    *out = tok;
    return IA_OK;
}
