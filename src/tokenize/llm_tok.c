/*
 * llm_tok.c — building and freeing an ia_llm_tok (see llm_tok.h): the
 * vocabulary copy, the merge ranks, and the tables derived once at load
 * (byte fallback ids, the special-token list, end-of-generation flags).
 */
#include "tokenize/llm_tok.h"

#include <stdlib.h>
#include <string.h>

#include "util/error.h"

#define NOMEM() ia_error(IA_ERR_NOMEM, "tokenizer: out of memory")

ia_status ia_llm_tok_init(ia_llm_tok *t, const char *const *texts, size_t n) {
    size_t total = 0;
    ia_status st;
    if (n == 0 || n > (size_t)INT32_MAX)
        return ia_error(IA_ERR_FORMAT, "tokenizer: %zu tokens (need 1..%d)", n, INT32_MAX);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(texts[i]) + 1;
        if (len > SIZE_MAX - total) return NOMEM();
        total += len;
    }
    t->n = n;
    t->pool = malloc(total);
    t->off = malloc((n + 1) * sizeof *t->off);
    t->scores = calloc(n, sizeof *t->scores);
    t->type = malloc(n);
    t->attr = calloc(n, 1);
    if (!t->pool || !t->off || !t->scores || !t->type || !t->attr) return NOMEM();
    memset(t->type, IA_TT_NORMAL, n);
    total = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(texts[i]);
        t->off[i] = total;
        memcpy(t->pool + total, texts[i], len + 1);
        total += len + 1;
        if ((st = ia_vocab_put(&t->index, texts[i], len, (int32_t)i)) != IA_OK) return st;
    }
    t->off[n] = total;
    t->bos = t->eos = t->eot = t->unk = t->pad = -1;
    return IA_OK;
}

ia_status ia_llm_tok_add_merge(ia_llm_tok *t, const char *left, size_t llen, const char *right,
                               size_t rlen, int32_t rank) {
    char small[128], *key = small;
    int32_t have;
    ia_status st;
    if (llen > SIZE_MAX / 2 || rlen > SIZE_MAX / 2) return ia_error(IA_ERR_NOMEM, "tokenizer: merge too long");
    if (llen + 1 + rlen > sizeof small && !(key = malloc(llen + 1 + rlen)))
        return ia_error(IA_ERR_NOMEM, "tokenizer: out of memory");
    memcpy(key, left, llen);
    key[llen] = '\0'; /* no token text holds a NUL (GGUF and cJSON strings end there) */
    memcpy(key + llen + 1, right, rlen);
    /* llama.cpp keeps the first rank of a repeated merge (map emplace) */
    st = ia_vocab_find(&t->ranks, "", 0, key, llen + 1 + rlen, &have)
             ? IA_OK : ia_vocab_put(&t->ranks, key, llen + 1 + rlen, rank);
    if (key != small) free(key);
    return st;
}

ia_status ia_llm_tok_add_merge_str(ia_llm_tok *t, const char *merge, int32_t rank) {
    /* llama.cpp splits at the first space after the first byte; a merge
     * without one is kept as ("", "") there, which never matches: skipped */
    const char *sp = merge[0] ? strchr(merge + 1, ' ') : NULL;
    if (!sp) return IA_OK;
    return ia_llm_tok_add_merge(t, merge, (size_t)(sp - merge), sp + 1, strlen(sp + 1), rank);
}

typedef struct len_id {
    size_t len;
    int32_t id;
} len_id;

/* Longest text first; equal lengths by id, so the order is deterministic
 * (llama.cpp's std::sort leaves ties unspecified). */
static int by_len_desc(const void *a, const void *b) {
    const len_id *x = a, *y = b;
    if (x->len != y->len) return x->len > y->len ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Texts llama.cpp treats as end of generation, whatever their type
 * (llama_vocab::impl::load, the special_eog_ids loop). */
static const char *const EOG_TEXTS[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
    "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
    "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
    "<\xef\xbd\234end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>", /* <｜end▁of▁sentence｜>; \234 is octal so "e" is not hex */
    "[e~[",
};

/* FIM pad / repo / file-separator texts: llama.cpp makes them EOG too. */
static const char *const FIM_EOG_TEXTS[] = {
    "<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]", "<|fim_repo|>", "<|repo_name|>",
    "<fim-repo>", "<REPO>", "<reponame>", "<|file_sep|>",
};

static int32_t find_str(const ia_llm_tok *t, const char *s) { return ia_llm_find(t, s, strlen(s)); }

static int is_eog_text(const ia_llm_tok *t, const char *s) {
    int32_t id = find_str(t, s);
    return id >= 0 && (t->attr[id] & IA_ATTR_EOG);
}

/* Marks the EOG tokens. With llama_rules (GGUF, as llama.cpp) an EOG
 * token of another type becomes a control token, and llama.cpp's two
 * exceptions apply: "<|end|>" is not EOG next to "<|return|>"/"<|call|>"
 * (or "<|calls|>"/"<|flush|>") and becomes user-defined; "</s>" is not EOG
 * next to "<|tool_response>" or "<|plamo:eos|>" and becomes normal. Without
 * (tokenizer.json), the texts mark EOG only on added special tokens. */
static void mark_eog(ia_llm_tok *t, int llama_rules) {
    for (size_t i = 0; i < sizeof EOG_TEXTS / sizeof EOG_TEXTS[0]; i++) {
        int32_t id = find_str(t, EOG_TEXTS[i]);
        if (id < 0 || (!llama_rules && t->type[id] != IA_TT_CONTROL)) continue;
        t->attr[id] |= IA_ATTR_EOG;
        if (llama_rules && t->type[id] != IA_TT_CONTROL) t->type[id] = IA_TT_CONTROL;
    }
    if (llama_rules) {
        for (size_t i = 0; i < sizeof FIM_EOG_TEXTS / sizeof FIM_EOG_TEXTS[0]; i++) {
            int32_t id = find_str(t, FIM_EOG_TEXTS[i]);
            if (id < 0) continue;
            t->attr[id] |= IA_ATTR_EOG;
            t->type[id] = IA_TT_CONTROL;
        }
    }
    if (t->eos >= 0) t->attr[t->eos] |= IA_ATTR_EOG;
    if (t->eot >= 0) t->attr[t->eot] |= IA_ATTR_EOG;
    if (!llama_rules) return;
    int32_t end = find_str(t, "<|end|>");
    if (end >= 0 && is_eog_text(t, "<|end|>") &&
        ((is_eog_text(t, "<|return|>") && is_eog_text(t, "<|call|>")) ||
         (is_eog_text(t, "<|calls|>") && is_eog_text(t, "<|flush|>")))) {
        t->attr[end] &= (uint8_t)~IA_ATTR_EOG;
        t->type[end] = IA_TT_USER_DEFINED;
    }
    int32_t s = find_str(t, "</s>");
    if (s >= 0 && is_eog_text(t, "</s>") &&
        (is_eog_text(t, "<|tool_response>") || is_eog_text(t, "<|plamo:eos|>"))) {
        t->attr[s] &= (uint8_t)~IA_ATTR_EOG;
        t->type[s] = IA_TT_NORMAL;
    }
}

ia_status ia_llm_tok_finish(ia_llm_tok *t, int llama_rules) {
    size_t k = 0;
    mark_eog(t, llama_rules); /* first: it can change types */
    for (int b = 0; b < 256; b++) {
        char hex[7];
        static const char digits[] = "0123456789ABCDEF";
        hex[0] = '<'; hex[1] = '0'; hex[2] = 'x';
        hex[3] = digits[b >> 4]; hex[4] = digits[b & 15]; hex[5] = '>'; hex[6] = 0;
        t->byte_id[b] = ia_llm_find(t, hex, 6);
    }
    for (size_t i = 0; i < t->n; i++) {
        uint8_t ty = t->type[i];
        if ((ty == IA_TT_CONTROL || ty == IA_TT_USER_DEFINED || ty == IA_TT_UNKNOWN) &&
            t->off[i + 1] - t->off[i] > 1)
            k++;
    }
    t->specials = malloc((k ? k : 1) * sizeof *t->specials);
    len_id *tmp = malloc((k ? k : 1) * sizeof *tmp);
    if (!t->specials || !tmp) {
        free(tmp);
        return NOMEM();
    }
    k = 0;
    for (size_t i = 0; i < t->n; i++) {
        uint8_t ty = t->type[i];
        if ((ty == IA_TT_CONTROL || ty == IA_TT_USER_DEFINED || ty == IA_TT_UNKNOWN) &&
            t->off[i + 1] - t->off[i] > 1) {
            tmp[k].len = t->off[i + 1] - t->off[i] - 1;
            tmp[k++].id = (int32_t)i;
        }
    }
    qsort(tmp, k, sizeof *tmp, by_len_desc);
    for (size_t i = 0; i < k; i++) t->specials[i] = tmp[i].id;
    t->n_specials = k;
    free(tmp);
    return IA_OK;
}

void ia_llm_tok_free(ia_llm_tok *t) {
    if (!t) return;
    free(t->pool);
    free(t->off);
    free(t->scores);
    free(t->type);
    free(t->attr);
    free(t->specials);
    ia_vocab_free(&t->index);
    ia_vocab_free(&t->ranks);
    memset(t, 0, sizeof *t);
}

int ia_llm_is_eog(const ia_llm_tok *t, int32_t id) {
    return id >= 0 && (size_t)id < t->n && (t->attr[id] & IA_ATTR_EOG);
}
