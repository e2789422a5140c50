/*
 * tokenizer_json_bpe.c — loading a Hugging Face tokenizer.json whose model
 * is BPE as an LLM tokenizer (llm_tok.h).
 *
 * Two shapes are recognised, each by its exact components; anything else
 * is IA_ERR_UNSUPPORTED naming the component, never approximated:
 *   byte-level: normalizer null and pre_tokenizer
 *     ByteLevel(add_prefix_space false, use_regex true)       -> gpt-2,
 *     Sequence[Split(Regex <llama3 regex>, Isolated), ByteLevel(use_regex
 *       false)]                                                  -> llama3,
 *     the same with the qwen2 regex                              -> qwen2,
 *     Sequence[Digits(individual_digits), ByteLevel(use_regex true)]
 *                                                                -> smollm;
 *   SentencePiece-like (model.byte_fallback): normalizer
 *     Sequence[Prepend "▁", Replace " " -> "▁"] with no pre_tokenizer
 *     (llama-2), or pre_tokenizer Metaspace("▁", split false) with no
 *     normalizer.
 * added_tokens become control (special) or user-defined tokens, matched in
 * the text before the model runs; the post_processor (TemplateProcessing,
 * ByteLevel or null) gives the BOS/EOS that encode adds.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "tokenize/tokenizer_impl.h"
#include "util/error.h"

#define FMT(...) ia_error(IA_ERR_FORMAT, "tokenizer.json: " __VA_ARGS__)
#define UNSUP(...) ia_error(IA_ERR_UNSUPPORTED, "tokenizer.json: " __VA_ARGS__)
#define META "\xe2\x96\x81" /* U+2581 */

/* The regex strings of the llama3 and qwen2 Split pre-tokenizers, as
 * Hugging Face writes them and as llama.cpp rewrites them. */
static const char *const LLAMA3_RE[] = {
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
};
static const char *const QWEN2_RE[] = {
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
};

/* ----------------------------------------------------------- field access */

static const cJSON *field(const cJSON *obj, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNull(v) ? NULL : v;
}

static const char *str_field(const cJSON *obj, const char *key) {
    const cJSON *v = field(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* 1 / 0 for true / false, dflt when absent, -1 when not a bool. */
static int bool_field(const cJSON *obj, const char *key, int dflt) {
    const cJSON *v = field(obj, key);
    if (!v) return dflt;
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : -1;
}

static int type_is(const cJSON *obj, const char *type) {
    const char *t = cJSON_IsObject(obj) ? str_field(obj, "type") : NULL;
    return t && strcmp(t, type) == 0;
}

static const char *type_of(const cJSON *obj) {
    const char *t = cJSON_IsObject(obj) ? str_field(obj, "type") : NULL;
    return t ? t : "?";
}

static int as_id(const cJSON *v, int32_t *out) {
    if (!cJSON_IsNumber(v)) return 0;
    double d = v->valuedouble;
    if (!isfinite(d) || d < 0 || d > (double)INT32_MAX - 1 || d != floor(d)) return 0;
    *out = (int32_t)d;
    return 1;
}

/* -------------------------------------------------------------- pieces */

static int byte_level(const cJSON *p, int use_regex) {
    return type_is(p, "ByteLevel") && bool_field(p, "add_prefix_space", 1) == 0 &&
           bool_field(p, "use_regex", 1) == use_regex;
}

static int one_of(const char *s, const char *const *list, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s && strcmp(s, list[i]) == 0) return 1;
    return 0;
}

/* The byte-level pre type of pre_tokenizer p, or IA_PRE_NONE. */
static ia_pre_type byte_level_pre(const cJSON *p) {
    if (byte_level(p, 1)) return IA_PRE_GPT2;
    if (!type_is(p, "Sequence")) return IA_PRE_NONE;
    const cJSON *list = field(p, "pretokenizers");
    if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) != 2) return IA_PRE_NONE;
    const cJSON *a = cJSON_GetArrayItem(list, 0), *b = cJSON_GetArrayItem(list, 1);
    if (type_is(a, "Digits") && bool_field(a, "individual_digits", 0) == 1 && byte_level(b, 1))
        return IA_PRE_STARCODER;
    if (!type_is(a, "Split") || !byte_level(b, 0)) return IA_PRE_NONE;
    const cJSON *pat = field(a, "pattern");
    const char *re = cJSON_IsObject(pat) ? str_field(pat, "Regex") : NULL;
    const char *beh = str_field(a, "behavior");
    if (!beh || strcmp(beh, "Isolated") != 0 || bool_field(a, "invert", 0) != 0) return IA_PRE_NONE;
    if (one_of(re, LLAMA3_RE, 2)) return IA_PRE_LLAMA3;
    if (one_of(re, QWEN2_RE, 2)) return IA_PRE_QWEN2;
    return IA_PRE_NONE;
}

/* Sequence[Prepend "▁", Replace String " " -> "▁"] (llama-2's normalizer). */
static int prepend_replace(const cJSON *n) {
    if (!type_is(n, "Sequence")) return 0;
    const cJSON *list = field(n, "normalizers");
    if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) != 2) return 0;
    const cJSON *a = cJSON_GetArrayItem(list, 0), *b = cJSON_GetArrayItem(list, 1);
    const cJSON *pat = field(b, "pattern");
    const char *pre = str_field(a, "prepend"), *from = cJSON_IsObject(pat) ? str_field(pat, "String") : NULL;
    const char *to = str_field(b, "content");
    return type_is(a, "Prepend") && pre && strcmp(pre, META) == 0 && type_is(b, "Replace") &&
           from && strcmp(from, " ") == 0 && to && strcmp(to, META) == 0;
}

/* Kind, pre type and space handling from normalizer + pre_tokenizer. */
static ia_status shape(ia_llm_tok *t, const cJSON *norm, const cJSON *pre, int byte_fallback) {
    if (!norm && pre && (t->pre = byte_level_pre(pre)) != IA_PRE_NONE) {
        t->model = IA_LLM_BPE;
        return IA_OK;
    }
    if (byte_fallback && !norm && type_is(pre, "Metaspace")) {
        const char *rep = str_field(pre, "replacement"), *scheme = str_field(pre, "prepend_scheme");
        if (!rep || strcmp(rep, META) != 0 || bool_field(pre, "split", 1) != 0)
            return UNSUP("Metaspace other than replacement \"\xe2\x96\x81\", split false");
        t->model = IA_LLM_SPM;
        t->pre = IA_PRE_NONE;
        if (!scheme) { /* older files: add_prefix_space */
            t->add_space_prefix = bool_field(pre, "add_prefix_space", 1) == 1;
            t->prefix_scheme = IA_PREFIX_METASPACE_ALWAYS;
        } else if (strcmp(scheme, "first") == 0) {
            t->add_space_prefix = 1;
            t->prefix_scheme = IA_PREFIX_METASPACE_FIRST;
        } else if (strcmp(scheme, "always") == 0) {
            t->add_space_prefix = 1;
            t->prefix_scheme = IA_PREFIX_METASPACE_ALWAYS;
        } else if (strcmp(scheme, "never") == 0) {
            t->add_space_prefix = 0;
        } else {
            return UNSUP("Metaspace prepend_scheme \"%.32s\"", scheme);
        }
        return IA_OK;
    }
    if (byte_fallback && !pre && prepend_replace(norm)) {
        t->model = IA_LLM_SPM;
        t->pre = IA_PRE_NONE;
        t->add_space_prefix = 1;
        t->prefix_scheme = IA_PREFIX_AFTER_SPECIAL;
        return IA_OK;
    }
    if (norm) return UNSUP("normalizer %.64s with pre_tokenizer %.64s is not supported for a BPE model",
                           type_of(norm), pre ? type_of(pre) : "null");
    return UNSUP("pre_tokenizer %.64s is not supported for a BPE model (byte-level: ByteLevel, "
                 "Split with the llama3/qwen2 regex, Digits; SentencePiece-like: Metaspace)",
                 pre ? type_of(pre) : "null");
}

/* post_processor: TemplateProcessing's single template, [BOS] $A [EOS]. */
static ia_status post_processor(ia_llm_tok *t, const cJSON *pp) {
    if (!pp || type_is(pp, "ByteLevel")) return IA_OK;
    if (!type_is(pp, "TemplateProcessing"))
        return UNSUP("post_processor %.64s is not supported for a BPE model", type_of(pp));
    const cJSON *single = field(pp, "single"), *specials = field(pp, "special_tokens"), *it;
    int seen_a = 0;
    if (!cJSON_IsArray(single)) return FMT("post_processor.single must be an array");
    cJSON_ArrayForEach(it, single) {
        const cJSON *sp = field(it, "SpecialToken");
        if (field(it, "Sequence")) {
            seen_a = 1;
            continue;
        }
        const char *name = sp ? str_field(sp, "id") : NULL;
        const cJSON *entry = name && specials ? field(specials, name) : NULL;
        const cJSON *ids = entry ? field(entry, "ids") : NULL;
        int32_t id;
        if (!name || !cJSON_IsArray(ids) || cJSON_GetArraySize(ids) != 1 ||
            !as_id(cJSON_GetArrayItem(ids, 0), &id) || (size_t)id >= t->n)
            return FMT("post_processor: a special token of the template has no single valid id");
        int32_t *slot = seen_a ? &t->eos : &t->bos;
        if ((seen_a ? t->add_eos : t->add_bos))
            return UNSUP("post_processor: more than one special token on a side of $A");
        *slot = id;
        if (seen_a) t->add_eos = 1;
        else t->add_bos = 1;
    }
    return IA_OK;
}

/* Adds merge number `rank`, given as "a b" or ["a", "b"]. */
static ia_status add_merge(ia_llm_tok *t, const cJSON *m, int32_t rank) {
    if (cJSON_IsString(m)) return ia_llm_tok_add_merge_str(t, m->valuestring, rank);
    const cJSON *a = cJSON_IsArray(m) && cJSON_GetArraySize(m) == 2 ? cJSON_GetArrayItem(m, 0) : NULL;
    const cJSON *b = a ? cJSON_GetArrayItem(m, 1) : NULL;
    if (!cJSON_IsString(a) || !cJSON_IsString(b)) return FMT("model.merges: an entry is not \"a b\" or [a, b]");
    return ia_llm_tok_add_merge(t, a->valuestring, strlen(a->valuestring), b->valuestring,
                                strlen(b->valuestring), rank);
}

ia_status ia_tokenizer_json_bpe(const void *root_, ia_tokenizer *tok) {
    const cJSON *root = root_, *model = field(root, "model"), *it;
    const cJSON *vocab = field(model, "vocab"), *merges = field(model, "merges");
    const cJSON *added = field(root, "added_tokens");
    ia_llm_tok *t = &tok->llm;
    const char **texts = NULL;
    uint8_t *types = NULL;
    int32_t max_id = -1, id;
    ia_status st;
    tok->kind = IA_TOK_LLM;
    if (field(model, "dropout") && !(cJSON_IsNumber(field(model, "dropout")) &&
                                     field(model, "dropout")->valuedouble == 0))
        return UNSUP("model.dropout is not supported");
    const char *csp = str_field(model, "continuing_subword_prefix"), *eow = str_field(model, "end_of_word_suffix");
    if ((csp && *csp) || (eow && *eow))
        return UNSUP("model.continuing_subword_prefix / end_of_word_suffix are not supported");
    int byte_fallback = bool_field(model, "byte_fallback", 0), ignore_merges = bool_field(model, "ignore_merges", 0);
    if (byte_fallback < 0 || ignore_merges < 0) return FMT("model.byte_fallback / ignore_merges must be bools");
    if (!cJSON_IsObject(vocab)) return FMT("model.vocab must be an object");
    if (!cJSON_IsArray(merges)) return FMT("model.merges must be an array");
    cJSON_ArrayForEach(it, vocab) {
        if (!it->string || !as_id(it, &id)) return FMT("model.vocab values must be ids in 0..%d", INT32_MAX - 1);
        if (id > max_id) max_id = id;
    }
    if (added && !cJSON_IsArray(added)) return FMT("added_tokens must be an array");
    cJSON_ArrayForEach(it, added) {
        if (!as_id(field(it, "id"), &id) || !str_field(it, "content"))
            return FMT("added_tokens: each needs an id and a content string");
        if (bool_field(it, "single_word", 0) == 1)
            return UNSUP("added token \"%.64s\": single_word is not supported", str_field(it, "content"));
        if (id > max_id) max_id = id;
    }
    if (max_id < 0) return FMT("model.vocab is empty");
    /* a sparse id space is a hostile file's way to make us allocate */
    if ((size_t)max_id > 4 * (size_t)(cJSON_GetArraySize(vocab) + cJSON_GetArraySize(added)) + 1024)
        return FMT("ids go up to %d for %d tokens", (int)max_id, cJSON_GetArraySize(vocab));
    size_t n = (size_t)max_id + 1;
    texts = calloc(n, sizeof *texts);
    types = malloc(n);
    if (!texts || !types) {
        st = ia_error(IA_ERR_NOMEM, "tokenizer: out of memory");
        goto done;
    }
    memset(types, IA_TT_UNUSED, n);
    cJSON_ArrayForEach(it, vocab) {
        as_id(it, &id);
        texts[id] = it->string;
        types[id] = IA_TT_NORMAL;
        if (byte_fallback && strlen(it->string) == 6 && strncmp(it->string, "<0x", 3) == 0 &&
            it->string[5] == '>')
            types[id] = IA_TT_BYTE;
    }
    cJSON_ArrayForEach(it, added) {
        as_id(field(it, "id"), &id);
        texts[id] = str_field(it, "content");
        types[id] = bool_field(it, "special", 0) == 1 ? IA_TT_CONTROL : IA_TT_USER_DEFINED;
    }
    for (size_t i = 0; i < n; i++)
        if (!texts[i]) texts[i] = "";
    if ((st = ia_llm_tok_init(t, texts, n)) != IA_OK) goto done;
    memcpy(t->type, types, n);
    cJSON_ArrayForEach(it, added) {
        as_id(field(it, "id"), &id);
        if (bool_field(it, "lstrip", 0) == 1) t->attr[id] |= IA_ATTR_LSTRIP;
        if (bool_field(it, "rstrip", 0) == 1) t->attr[id] |= IA_ATTR_RSTRIP;
    }
    t->ignore_merges = ignore_merges;
    if ((st = shape(t, field(root, "normalizer"), field(root, "pre_tokenizer"), byte_fallback)) != IA_OK)
        goto done;
    int32_t rank = 0;
    cJSON_ArrayForEach(it, merges) {
        if (rank == INT32_MAX) {
            st = FMT("model.merges: too many");
            goto done;
        }
        if ((st = add_merge(t, it, rank++)) != IA_OK) goto done;
    }
    const char *unk = str_field(model, "unk_token");
    if (unk) t->unk = ia_llm_find(t, unk, strlen(unk));
    if ((st = post_processor(t, field(root, "post_processor"))) != IA_OK) goto done;
    if ((st = ia_llm_tok_finish(t, 0)) != IA_OK) goto done;
    tok->vocab_size = n;
    const cJSON *tr = field(root, "truncation"), *pad = field(root, "padding");
    if (cJSON_IsObject(tr) && cJSON_IsNumber(field(tr, "max_length")) &&
        field(tr, "max_length")->valuedouble >= 1)
        tok->trunc_max = field(tr, "max_length")->valuedouble >= 4294967295.0
                             ? (size_t)4294967295u : (size_t)field(tr, "max_length")->valuedouble;
    tok->pad_id = cJSON_IsObject(pad) && as_id(field(pad, "pad_id"), &id) ? id : 0;
    st = IA_OK;
done:
    free(texts);
    free(types);
    return st;
}
