/*
 * tokenizer_json.c — loading a Hugging Face tokenizer.json into an
 * ia_tokenizer: ia_tokenizer_open / _load_json / _free and the getters.
 *
 * Supported: model WordPiece; normalizer BertNormalizer or null;
 * pre_tokenizer BertPreTokenizer or null; post_processor TemplateProcessing,
 * BertProcessing or null; added_tokens; truncation; padding's pad_id.
 * Any other component type is IA_ERR_UNSUPPORTED, naming it. The file is
 * hostile: every field is type-checked (IA_ERR_FORMAT, naming the field)
 * and ids must be integers in 0..INT32_MAX.
 *
 * Where tokenizer.json leaves a field out we take the default of
 * `tokenizers` (unk "[UNK]", prefix "##", 100 chars per word, BertNormalizer
 * flags on, strip_accents following lowercase).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "tokenize/tokenizer.h"
#include "tokenize/tokenizer_impl.h"
#include "tokenize/utf8.h"
#include "util/error.h"
#include "util/mapped_file.h"

/* tokenizer.json of the largest vocabularies (250k pieces) is ~20 MB. */
#define MAX_JSON_BYTES ((size_t)256 << 20)

#define FMT(...) ia_error(IA_ERR_FORMAT, "tokenizer.json: " __VA_ARGS__)

/* ----------------------------------------------------------- field access */

static const cJSON *field(const cJSON *obj, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNull(v) ? NULL : v; /* null means "absent" everywhere */
}

static ia_status get_bool(const cJSON *obj, const char *what, const char *key,
                          int dflt, int *out) {
    const cJSON *v = field(obj, key);
    if (!v) {
        *out = dflt;
        return IA_OK;
    }
    if (!cJSON_IsBool(v)) return FMT("%s.%s must be true or false", what, key);
    *out = cJSON_IsTrue(v);
    return IA_OK;
}

static ia_status get_string(const cJSON *obj, const char *what, const char *key,
                            const char *dflt, const char **out) {
    const cJSON *v = field(obj, key);
    if (!v) {
        *out = dflt;
        return IA_OK;
    }
    if (!cJSON_IsString(v) || !v->valuestring)
        return FMT("%s.%s must be a string", what, key);
    *out = v->valuestring;
    return IA_OK;
}

/* A JSON number that is an integer in [0, max]. */
static int as_uint(const cJSON *v, double max, double *out) {
    if (!cJSON_IsNumber(v)) return 0;
    double d = v->valuedouble;
    if (!isfinite(d) || d < 0 || d > max || d != floor(d)) return 0;
    *out = d;
    return 1;
}

static ia_status as_id(const cJSON *v, const char *what, int32_t *out) {
    double d = 0;
    if (!as_uint(v, (double)INT32_MAX, &d))
        return FMT("%s must be an integer id in 0..%d", what, INT32_MAX);
    *out = (int32_t)d;
    return IA_OK;
}

static ia_status get_size(const cJSON *obj, const char *what, const char *key,
                          size_t dflt, size_t *out) {
    const cJSON *v = field(obj, key);
    double d = 0;
    if (!v) {
        *out = dflt;
        return IA_OK;
    }
    /* 2^53: every integer below is exact in a double, and fits size_t on
     * 64-bit; on 32-bit it saturates. */
    if (!as_uint(v, 9007199254740992.0, &d))
        return FMT("%s.%s must be a non-negative integer", what, key);
    *out = d > (double)SIZE_MAX ? SIZE_MAX : (size_t)d;
    return IA_OK;
}

/* The component's "type" string; IA_ERR_FORMAT when missing. */
static ia_status get_type(const cJSON *obj, const char *what, const char **out) {
    if (!cJSON_IsObject(obj)) return FMT("%s must be an object or null", what);
    const cJSON *t = field(obj, "type");
    if (!cJSON_IsString(t) || !t->valuestring)
        return FMT("%s.type must be a string", what);
    *out = t->valuestring;
    return IA_OK;
}

static void note_id(ia_tokenizer *tok, int32_t id) {
    if ((size_t)id + 1 > tok->vocab_size) tok->vocab_size = (size_t)id + 1;
}

/* ------------------------------------------------------------- components */

static ia_status load_model(ia_tokenizer *tok, const cJSON *model) {
    const char *type = NULL, *unk = NULL, *prefix = NULL;
    ia_status st;
    ia_wordpiece *wp = &tok->wp;
    if (!model) return FMT("\"model\" is missing");
    if ((st = get_type(model, "model", &type)) != IA_OK) return st;
    if (strcmp(type, "WordPiece") != 0)
        return ia_error(IA_ERR_UNSUPPORTED,
                        "tokenizer.json: model type \"%.64s\" is not supported "
                        "(only WordPiece)", type);
    const cJSON *vocab = field(model, "vocab");
    if (!cJSON_IsObject(vocab)) return FMT("model.vocab must be an object");
    const cJSON *it;
    cJSON_ArrayForEach(it, vocab) {
        int32_t id = 0;
        if (!it->string) return FMT("model.vocab has an unnamed entry");
        if ((st = as_id(it, "model.vocab value", &id)) != IA_OK) return st;
        if ((st = ia_vocab_put(&wp->vocab, it->string, strlen(it->string), id)) != IA_OK)
            return st;
        note_id(tok, id);
    }
    if ((st = get_string(model, "model", "unk_token", "[UNK]", &unk)) != IA_OK ||
        (st = get_string(model, "model", "continuing_subword_prefix", "##", &prefix)) != IA_OK ||
        (st = get_size(model, "model", "max_input_chars_per_word", 100, &wp->max_chars)) != IA_OK)
        return st;
    /* `tokenizers` fails only when a word needs unk; we refuse up front. */
    if (!ia_vocab_find(&wp->vocab, "", 0, unk, strlen(unk), &wp->unk_id))
        return FMT("model.unk_token \"%.64s\" is not in model.vocab", unk);
    wp->prefix_len = strlen(prefix);
    wp->prefix = malloc(wp->prefix_len + 1);
    if (!wp->prefix) return ia_error(IA_ERR_NOMEM, "tokenizer: out of memory");
    memcpy(wp->prefix, prefix, wp->prefix_len + 1);
    return IA_OK;
}

static ia_status load_normalizer(ia_tokenizer *tok, const cJSON *n) {
    const char *type = NULL;
    ia_status st;
    if (!n) return IA_OK;
    if ((st = get_type(n, "normalizer", &type)) != IA_OK) return st;
    if (strcmp(type, "BertNormalizer") != 0)
        return ia_error(IA_ERR_UNSUPPORTED,
                        "tokenizer.json: normalizer type \"%.64s\" is not "
                        "supported (only BertNormalizer)", type);
    ia_bert_normalizer *nz = &tok->norm;
    if ((st = get_bool(n, "normalizer", "clean_text", 1, &nz->clean_text)) != IA_OK ||
        (st = get_bool(n, "normalizer", "handle_chinese_chars", 1,
                       &nz->handle_chinese_chars)) != IA_OK ||
        (st = get_bool(n, "normalizer", "lowercase", 1, &nz->lowercase)) != IA_OK)
        return st;
    /* strip_accents: null (or absent) means "same as lowercase". */
    if ((st = get_bool(n, "normalizer", "strip_accents", nz->lowercase,
                       &nz->strip_accents)) != IA_OK)
        return st;
    tok->has_normalizer = 1;
    return IA_OK;
}

static ia_status load_pre_tokenizer(ia_tokenizer *tok, const cJSON *p) {
    const char *type = NULL;
    ia_status st;
    if (!p) return IA_OK;
    if ((st = get_type(p, "pre_tokenizer", &type)) != IA_OK) return st;
    if (strcmp(type, "BertPreTokenizer") != 0)
        return ia_error(IA_ERR_UNSUPPORTED,
                        "tokenizer.json: pre_tokenizer type \"%.64s\" is not "
                        "supported (only BertPreTokenizer)", type);
    tok->bert_pretok = 1;
    return IA_OK;
}

/* Appends one id to the post-processor's list. */
static ia_status push_special(ia_tokenizer *tok, int32_t id, int after) {
    size_t n = tok->n_before + tok->n_after;
    if (n >= 4096) return FMT("post_processor has too many special tokens");
    int32_t *p = realloc(tok->special_ids, (n + 1) * sizeof *p);
    if (!p) return ia_error(IA_ERR_NOMEM, "tokenizer: out of memory");
    tok->special_ids = p;
    p[n] = id;
    if (after) tok->n_after++;
    else tok->n_before++;
    note_id(tok, id);
    return IA_OK;
}

/* TemplateProcessing's "single": [{"SpecialToken": {"id": "[CLS]"}},
 * {"Sequence": {"id": "A"}}, ...]; a SpecialToken's ids come from the
 * processor's "special_tokens" map. */
static ia_status load_template(ia_tokenizer *tok, const cJSON *pp) {
    ia_status st;
    const cJSON *single = field(pp, "single");
    const cJSON *specials = field(pp, "special_tokens");
    const cJSON *item;
    if (!cJSON_IsArray(single)) return FMT("post_processor.single must be an array");
    if (specials && !cJSON_IsObject(specials))
        return FMT("post_processor.special_tokens must be an object");
    cJSON_ArrayForEach(item, single) {
        const cJSON *seq = cJSON_IsObject(item) ? field(item, "Sequence") : NULL;
        const cJSON *sp = cJSON_IsObject(item) ? field(item, "SpecialToken") : NULL;
        const char *name = NULL;
        if (seq) {
            if ((st = get_string(seq, "post_processor.single[].Sequence", "id",
                                 "A", &name)) != IA_OK)
                return st;
            if (strcmp(name, "A") != 0 || tok->has_sequence)
                return ia_error(IA_ERR_UNSUPPORTED, "tokenizer.json: "
                                "post_processor.single must use $A exactly once");
            tok->has_sequence = 1;
        } else if (sp) {
            if ((st = get_string(sp, "post_processor.single[].SpecialToken", "id",
                                 NULL, &name)) != IA_OK)
                return st;
            if (!name) return FMT("post_processor.single[].SpecialToken.id is missing");
            const cJSON *def = specials ? field(specials, name) : NULL;
            const cJSON *ids = cJSON_IsObject(def) ? field(def, "ids") : NULL;
            const cJSON *id;
            if (!cJSON_IsArray(ids))
                return FMT("post_processor.special_tokens[\"%.64s\"].ids is missing", name);
            cJSON_ArrayForEach(id, ids) {
                int32_t v = 0;
                if ((st = as_id(id, "post_processor.special_tokens[].ids[]", &v)) != IA_OK ||
                    (st = push_special(tok, v, tok->has_sequence)) != IA_OK)
                    return st;
            }
        } else {
            return FMT("post_processor.single[] must be a Sequence or a SpecialToken");
        }
    }
    return IA_OK;
}

/* BertProcessing: "cls": ["[CLS]", 101], "sep": ["[SEP]", 102]. */
static ia_status load_bert_processing(ia_tokenizer *tok, const cJSON *pp) {
    static const char *const keys[2] = {"cls", "sep"};
    ia_status st;
    for (int k = 0; k < 2; k++) {
        const cJSON *pair = field(pp, keys[k]);
        int32_t id = 0;
        if (!cJSON_IsArray(pair) || cJSON_GetArraySize(pair) != 2 ||
            !cJSON_IsString(cJSON_GetArrayItem(pair, 0)))
            return FMT("post_processor.%s must be [token, id]", keys[k]);
        if ((st = as_id(cJSON_GetArrayItem(pair, 1), "post_processor id", &id)) != IA_OK ||
            (st = push_special(tok, id, k)) != IA_OK)
            return st;
    }
    tok->has_sequence = 1;
    return IA_OK;
}

static ia_status load_post_processor(ia_tokenizer *tok, const cJSON *pp) {
    const char *type = NULL;
    ia_status st;
    if (!pp) {
        tok->has_sequence = 1;
        return IA_OK;
    }
    if ((st = get_type(pp, "post_processor", &type)) != IA_OK) return st;
    if (strcmp(type, "TemplateProcessing") == 0) return load_template(tok, pp);
    if (strcmp(type, "BertProcessing") == 0) return load_bert_processing(tok, pp);
    return ia_error(IA_ERR_UNSUPPORTED,
                    "tokenizer.json: post_processor type \"%.64s\" is not "
                    "supported (only TemplateProcessing, BertProcessing)", type);
}

/* ----------------------------------------------------------- added tokens */

typedef struct added_entry {
    const char *content;
    int32_t id;
    int lstrip, rstrip, normalized;
} added_entry;

/* The id `tokenizers` gives a new added token: its model id, else the next
 * one past the vocabulary and past the added ids so far (max, -1 if none).
 * The ids written in tokenizer.json are ignored, as `tokenizers` 0.23
 * ignores them. */
static ia_status new_added_id(const ia_tokenizer *tok, const char *content,
                              int32_t max, int32_t *out) {
    size_t vs = tok->wp.vocab.n;
    if (ia_vocab_find(&tok->wp.vocab, "", 0, content, strlen(content), out)) return IA_OK;
    if (max >= 0 && ((size_t)max >= vs || vs == 0)) {
        if (max == INT32_MAX) return FMT("added_tokens: ids past %d", INT32_MAX);
        *out = max + 1;
    } else {
        if (vs > (size_t)INT32_MAX) return FMT("added_tokens: ids past %d", INT32_MAX);
        *out = (int32_t)vs;
    }
    return IA_OK;
}

/* Adds content as a pattern to raw_tokens, or normalized to norm_tokens. */
static ia_status add_pattern(ia_tokenizer *tok, const added_entry *e) {
    ia_cpbuf cps = {0}, norm = {0}, scratch = {0};
    ia_status st = ia_utf8_decode(e->content, strlen(e->content), &cps);
    if (st != IA_OK) goto done;
    if (!e->normalized) {
        st = ia_added_add(&tok->raw_tokens, cps.v, cps.n, e->id, e->lstrip, e->rstrip);
        goto done;
    }
    if (tok->has_normalizer) {
        st = ia_bert_normalize(&tok->norm, cps.v, cps.n, &scratch, &norm);
        if (st != IA_OK) goto done;
    } else {
        norm = cps;
        cps = (ia_cpbuf){0};
    }
    st = ia_added_add(&tok->norm_tokens, norm.v, norm.n, e->id, e->lstrip, e->rstrip);
done:
    ia_cpbuf_free(&cps);
    ia_cpbuf_free(&norm);
    ia_cpbuf_free(&scratch);
    return st;
}

/* Reads "added_tokens" in order, as AddedVocabulary::add_tokens: empty
 * contents are skipped, a repeated content keeps its first id and takes the
 * flags of its last entry. `seen` maps content -> index in e, so a file with
 * many added tokens loads in linear time. */
static ia_status load_added_tokens(ia_tokenizer *tok, const cJSON *arr) {
    ia_status st = IA_OK;
    added_entry *e = NULL;
    ia_vocab seen = {0};
    size_t n = 0;
    int32_t max = -1;
    const cJSON *item;
    if (!arr) return IA_OK;
    if (!cJSON_IsArray(arr)) return FMT("added_tokens must be an array");
    size_t total = (size_t)cJSON_GetArraySize(arr);
    if (total == 0) return IA_OK;
    e = calloc(total, sizeof *e);
    if (!e) return ia_error(IA_ERR_NOMEM, "tokenizer: out of memory");
    cJSON_ArrayForEach(item, arr) {
        const char *content = NULL;
        int special = 0, single_word = 0, lstrip = 0, rstrip = 0, normalized = 0;
        int32_t k = 0, id = 0;
        if (!cJSON_IsObject(item)) {
            st = FMT("added_tokens[] must be objects");
            goto fail;
        }
        if ((st = get_string(item, "added_tokens[]", "content", NULL, &content)) != IA_OK ||
            (st = get_bool(item, "added_tokens[]", "special", 0, &special)) != IA_OK ||
            (st = get_bool(item, "added_tokens[]", "single_word", 0, &single_word)) != IA_OK ||
            (st = get_bool(item, "added_tokens[]", "lstrip", 0, &lstrip)) != IA_OK ||
            (st = get_bool(item, "added_tokens[]", "rstrip", 0, &rstrip)) != IA_OK ||
            (st = get_bool(item, "added_tokens[]", "normalized", !special, &normalized)) != IA_OK)
            goto fail;
        if (!content) {
            st = FMT("added_tokens[].content is missing");
            goto fail;
        }
        if (!ia_utf8_valid(content, strlen(content))) {
            st = FMT("added_tokens[].content is not valid UTF-8");
            goto fail;
        }
        if (single_word) {
            st = ia_error(IA_ERR_UNSUPPORTED, "tokenizer.json: added token \"%.64s\" "
                          "has single_word: true (not supported)", content);
            goto fail;
        }
        if (content[0] == '\0') continue; /* `tokenizers` ignores these */
        if (ia_vocab_find(&seen, "", 0, content, strlen(content), &k)) {
            id = e[k].id;
        } else {
            if ((st = new_added_id(tok, content, max, &id)) != IA_OK ||
                (st = ia_vocab_put(&seen, content, strlen(content), (int32_t)n)) != IA_OK)
                goto fail;
            k = (int32_t)n++; /* n <= total, an int (cJSON counts with int) */
            if (id > max) max = id;
        }
        e[k] = (added_entry){content, id, lstrip, rstrip, normalized};
        note_id(tok, id);
    }
    for (size_t i = 0; i < n; i++)
        if ((st = add_pattern(tok, &e[i])) != IA_OK) goto fail;
    ia_added_finish(&tok->raw_tokens);
    ia_added_finish(&tok->norm_tokens);
fail:
    ia_vocab_free(&seen);
    free(e);
    return st;
}

/* ------------------------------------------------------------------ top */

static ia_status load_truncation_padding(ia_tokenizer *tok, const cJSON *root) {
    ia_status st;
    const cJSON *tr = field(root, "truncation");
    const cJSON *pad = field(root, "padding");
    if (tr) {
        const char *dir = NULL;
        if (!cJSON_IsObject(tr)) return FMT("truncation must be an object or null");
        if ((st = get_size(tr, "truncation", "max_length", 0, &tok->trunc_max)) != IA_OK ||
            (st = get_string(tr, "truncation", "direction", "Right", &dir)) != IA_OK)
            return st;
        if (strcmp(dir, "Left") != 0 && strcmp(dir, "Right") != 0)
            return FMT("truncation.direction must be \"Left\" or \"Right\"");
        tok->trunc_left = strcmp(dir, "Left") == 0;
    }
    if (pad) {
        const cJSON *id = cJSON_IsObject(pad) ? field(pad, "pad_id") : NULL;
        if (!cJSON_IsObject(pad)) return FMT("padding must be an object or null");
        if (id) return as_id(id, "padding.pad_id", &tok->pad_id);
    }
    if (!ia_vocab_find(&tok->wp.vocab, "", 0, "[PAD]", 5, &tok->pad_id)) tok->pad_id = 0;
    return IA_OK;
}

ia_status ia_tokenizer_load_json(const char *json, size_t len, ia_tokenizer **out) {
    ia_status st;
    cJSON *root = NULL;
    ia_tokenizer *tok = NULL;
    if (!json || !out) return ia_error(IA_ERR_INVALID_ARG, "tokenizer: NULL argument");
    *out = NULL;
    const char *end = NULL;
    root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    if (!root) {
        st = FMT("not valid JSON (at byte %zu)",
                 end && end >= json ? (size_t)(end - json) : (size_t)0);
        goto fail;
    }
    if (!cJSON_IsObject(root)) {
        st = FMT("the top level must be an object");
        goto fail;
    }
    tok = calloc(1, sizeof *tok);
    if (!tok) {
        st = ia_error(IA_ERR_NOMEM, "tokenizer: out of memory");
        goto fail;
    }
    /* A BPE model is an LLM tokenizer: tokenizer_json_bpe.c loads it. */
    const cJSON *model = field(root, "model"), *mtype = model ? field(model, "type") : NULL;
    if (cJSON_IsString(mtype) && mtype->valuestring && strcmp(mtype->valuestring, "BPE") == 0) {
        if ((st = ia_tokenizer_json_bpe(root, tok)) != IA_OK) goto fail;
        cJSON_Delete(root);
        *out = tok;
        return IA_OK;
    }
    /* The normalizer before the added tokens: their patterns need it. */
    if ((st = load_model(tok, field(root, "model"))) != IA_OK ||
        (st = load_normalizer(tok, field(root, "normalizer"))) != IA_OK ||
        (st = load_pre_tokenizer(tok, field(root, "pre_tokenizer"))) != IA_OK ||
        (st = load_added_tokens(tok, field(root, "added_tokens"))) != IA_OK ||
        (st = load_post_processor(tok, field(root, "post_processor"))) != IA_OK ||
        (st = load_truncation_padding(tok, root)) != IA_OK)
        goto fail;
    cJSON_Delete(root);
    *out = tok;
    return IA_OK;
fail:
    cJSON_Delete(root);
    ia_tokenizer_free(tok);
    return st;
}

ia_status ia_tokenizer_open(const char *path, ia_tokenizer **out) {
    char *text = NULL;
    size_t len = 0;
    if (!path || !out) return ia_error(IA_ERR_INVALID_ARG, "tokenizer: NULL argument");
    *out = NULL;
    ia_status st = ia_read_text_file(path, MAX_JSON_BYTES, &text, &len);
    if (st != IA_OK) return st;
    st = ia_tokenizer_load_json(text, len, out);
    free(text);
    if (st != IA_OK) return ia_error_prefix(st, "%s", path);
    return IA_OK;
}

void ia_tokenizer_free(ia_tokenizer *tok) {
    if (!tok) return;
    ia_wordpiece_free(&tok->wp);
    ia_llm_tok_free(&tok->llm);
    ia_added_free(&tok->raw_tokens);
    ia_added_free(&tok->norm_tokens);
    free(tok->special_ids);
    free(tok);
}

int32_t ia_tokenizer_pad_id(const ia_tokenizer *tok) { return tok ? tok->pad_id : 0; }

size_t ia_tokenizer_max_length(const ia_tokenizer *tok) { return tok ? tok->trunc_max : 0; }

size_t ia_tokenizer_vocab_size(const ia_tokenizer *tok) { return tok ? tok->vocab_size : 0; }
