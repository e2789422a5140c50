/*
 * hf_config.c — config.json and the sentence-transformers configs, parsed
 * with cJSON.
 *
 * A config is input like any other file. Rules, the same for every file:
 *   - a key we read that is present with the wrong JSON type is an error
 *     naming the file and the key (a string "1e-12" for layer_norm_eps used
 *     to run with the default, silently);
 *   - numbers are range-checked before use: sizes positive and bounded so
 *     products of two fit in 64 bits, hidden_size a multiple of
 *     num_attention_heads, type_vocab_size >= 1 (bert adds row 0 of the
 *     token-type table to every token: an empty table is a model that cannot
 *     run, and used to crash embed), layer_norm_eps finite in (0, 1);
 *   - a missing optional key keeps its documented default (hf_config.h);
 *     JSON null counts as missing (transformers writes null for unset
 *     options), as in config_keys.h, the family-specific reader;
 *   - keys we do not read are ignored, whatever their type.
 * Errors are IA_ERR_FORMAT (IA_ERR_UNSUPPORTED for valid configs asking for
 * what we do not run) with "<path>: \"<key>\" ..." as the message.
 */
#include "formats/hf_config.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/config_keys.h"
#include "util/error.h"

/* Path names in messages: dir + file, clipped to what the 1 KiB error
 * buffer can hold with the rest of the message. */
#define CONFIG_PATH_MAX 4096

/* obj[key] as an int in [lo, hi] (config_keys.h's reader, narrowed). */
static ia_status get_int(const char *path, const cJSON *obj, const char *key, int lo, int hi, int required,
                         int dflt, int *out) {
    long long v;
    ia_status st = ia_json_int(path, obj, key, required, lo, hi, dflt, &v);
    if (st == IA_OK) *out = (int)v;
    return st;
}

/* Contract (hf_config.h): fills c from dir/config.json. On failure c is
 * zeroed except for what was read before the bad key; the caller must not
 * use it. */
ia_status ia_hf_config_load(const char *dir, ia_hf_config *c) {
    char path[CONFIG_PATH_MAX];
    cJSON *j = NULL;
    ia_status st;
    memset(c, 0, sizeof *c);
    snprintf(path, sizeof path, "%s/config.json", dir);
    if ((st = ia_json_load(path, 0, &j)) != IA_OK) return st;
    st = ia_hf_config_parse(path, j, c);
    cJSON_Delete(j);
    return st;
}

ia_status ia_hf_config_parse(const char *path, const cJSON *j, ia_hf_config *c) {
    const cJSON *eps;
    ia_status st;
    memset(c, 0, sizeof *c);
    /* Bounds: generous for any real encoder, small enough that products of
     * two of them fit comfortably in 64 bits. Required keys have no default
     * (HF's own defaults are BERT-base sizes, which a checkpoint of another
     * size would contradict). */
    if ((st = ia_json_string(path, j, "model_type", "", c->model_type, sizeof c->model_type)) != IA_OK ||
        (st = ia_json_string(path, j, "hidden_act", "gelu", c->hidden_act, sizeof c->hidden_act)) != IA_OK ||
        (st = get_int(path, j, "hidden_size", 1, 1 << 16, 1, 0, &c->hidden_size)) != IA_OK ||
        (st = get_int(path, j, "num_hidden_layers", 1, 1024, 1, 0, &c->num_hidden_layers)) != IA_OK ||
        (st = get_int(path, j, "num_attention_heads", 1, 1024, 1, 0, &c->num_attention_heads)) != IA_OK ||
        (st = get_int(path, j, "intermediate_size", 1, 1 << 18, 1, 0, &c->intermediate_size)) != IA_OK ||
        (st = get_int(path, j, "max_position_embeddings", 1, 1 << 20, 0, 512, &c->max_position_embeddings)) !=
            IA_OK ||
        (st = get_int(path, j, "type_vocab_size", 1, 1 << 16, 0, 2, &c->type_vocab_size)) != IA_OK ||
        (st = get_int(path, j, "vocab_size", 1, 1 << 24, 1, 0, &c->vocab_size)) != IA_OK)
        goto done;
    eps = ia_json_present(j, "layer_norm_eps");
    if (!eps) {
        c->layer_norm_eps = 1e-12f; /* HF BertConfig's default */
    } else if (!cJSON_IsNumber(eps)) {
        st = ia_error(IA_ERR_FORMAT, "%s: \"layer_norm_eps\" must be a number, not %s", path, ia_json_type(eps));
        goto done;
    } else {
        /* Checked as the float the kernels use: 1e-50 is a positive double
         * but 0 as a float. cJSON reads 1e400 as inf; (0, 1) excludes it. */
        c->layer_norm_eps = (float)eps->valuedouble;
        if (!(isfinite(eps->valuedouble) && c->layer_norm_eps > 0.0f && c->layer_norm_eps < 1.0f)) {
            st = ia_error(IA_ERR_FORMAT, "%s: \"layer_norm_eps\" must be in (0, 1) as a float, not %.17g", path,
                          eps->valuedouble);
            goto done;
        }
    }
    if (c->hidden_size % c->num_attention_heads != 0)
        st = ia_error(IA_ERR_FORMAT, "%s: \"hidden_size\" %d is not a multiple of \"num_attention_heads\" %d", path,
                      c->hidden_size, c->num_attention_heads);
done:
    return st;
}

/* Reads the pooling module's config (dir/sub/config.json). Every
 * pooling_mode_* key present must be a boolean; exactly one mode must be on
 * (sentence-transformers concatenates the outputs of several, which we do
 * not run). */
static ia_status load_pooling(const char *dir, const char *sub, ia_st_config *c) {
    char path[CONFIG_PATH_MAX];
    cJSON *j = NULL;
    ia_status st;
    int on[6], n_on = 0, include_prompt, dim;
    static const char *const modes[6] = {
        "pooling_mode_cls_token",          "pooling_mode_mean_tokens",         "pooling_mode_max_tokens",
        "pooling_mode_mean_sqrt_len_tokens", "pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken"};
    snprintf(path, sizeof path, "%s/%s/config.json", dir, sub);
    if ((st = ia_json_load(path, 0, &j)) != IA_OK) return st;
    for (int i = 0; i < 6; i++) {
        if ((st = ia_json_bool(path, j, modes[i], 0, &on[i])) != IA_OK) goto done;
        n_on += on[i];
    }
    if ((st = ia_json_bool(path, j, "include_prompt", 0, &include_prompt)) != IA_OK) goto done;
    /* Not used (the model's hidden_size decides), but a wrong one is a
     * broken file. */
    if ((st = get_int(path, j, "word_embedding_dimension", 1, 1 << 16, 0, 1, &dim)) != IA_OK) goto done;
    for (int i = 2; i < 6; i++)
        if (on[i]) {
            st = ia_error(IA_ERR_UNSUPPORTED, "%s: %s is not supported yet", path, modes[i]);
            goto done;
        }
    if (n_on == 0)
        st = ia_error(IA_ERR_FORMAT, "%s: no pooling mode is set", path);
    else if (n_on > 1)
        st = ia_error(IA_ERR_UNSUPPORTED, "%s: pooling_mode_cls_token and pooling_mode_mean_tokens together "
                      "(concatenated outputs) are not supported yet", path);
    else
        c->pooling = on[0] ? IA_POOLING_CLS : IA_POOLING_MEAN;
done:
    cJSON_Delete(j);
    return st;
}

/* Checks one modules.json entry: an object whose "type" is a string and
 * whose "idx", "name" and "path", if present, have their types. */
static ia_status check_module(const char *path, int i, const cJSON *m) {
    static const struct {
        const char *key;
        int is_string;
    } keys[] = {{"type", 1}, {"path", 1}, {"name", 1}, {"idx", 0}};
    if (!cJSON_IsObject(m))
        return ia_error(IA_ERR_FORMAT, "%s: module %d is %s, not an object", path, i, ia_json_type(m));
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        const cJSON *v = ia_json_present(m, keys[k].key);
        if (!v) {
            if (k == 0) return ia_error(IA_ERR_FORMAT, "%s: module %d has no \"type\"", path, i);
            continue;
        }
        if (keys[k].is_string ? !cJSON_IsString(v) : !cJSON_IsNumber(v))
            return ia_error(IA_ERR_FORMAT, "%s: module %d: \"%s\" must be %s, not %s", path, i, keys[k].key,
                            keys[k].is_string ? "a string" : "a number", ia_json_type(v));
    }
    return IA_OK;
}

/* Reads dir/sentence_bert_config.json if it exists: max_seq_length is an
 * integer in [2, 2^20] ([CLS] and [SEP] need two), or null (what
 * sentence-transformers writes when it has none) or absent: 0. */
static ia_status load_sentence_bert(const char *dir, ia_st_config *c) {
    char path[CONFIG_PATH_MAX];
    cJSON *j = NULL;
    int dlc;
    ia_status st;
    snprintf(path, sizeof path, "%s/sentence_bert_config.json", dir);
    st = ia_json_load(path, 0, &j);
    if (st == IA_ERR_NOT_FOUND) {
        ia_error_clear();
        return IA_OK;
    }
    if (st != IA_OK) return st;
    st = get_int(path, j, "max_seq_length", 2, 1 << 20, 0, 0, &c->max_seq_length);
    /* read by the tokenizer's own config, but typed here all the same */
    if (st == IA_OK) st = ia_json_bool(path, j, "do_lower_case", 0, &dlc);
    cJSON_Delete(j);
    return st;
}

ia_status ia_st_config_load(const char *dir, ia_st_config *c) {
    char path[CONFIG_PATH_MAX];
    cJSON *mods = NULL;
    const cJSON *m;
    ia_status st;
    int i = 0;
    memset(c, 0, sizeof *c);
    c->pooling = IA_POOLING_MEAN;
    snprintf(path, sizeof path, "%s/modules.json", dir);
    st = ia_json_load(path, 1, &mods);
    if (st == IA_ERR_NOT_FOUND) { /* plain HF model: mean pooling */
        ia_error_clear();
        return IA_OK;
    }
    if (st != IA_OK) return st;
    cJSON_ArrayForEach(m, mods) {
        const cJSON *type, *sub;
        if ((st = check_module(path, i, m)) != IA_OK) break;
        type = ia_json_present(m, "type");
        sub = ia_json_present(m, "path");
        if (strstr(type->valuestring, "Pooling")) {
            if (!sub || strstr(sub->valuestring, "..")) {
                st = ia_error(IA_ERR_FORMAT, "%s: module %d (pooling) without a safe \"path\"", path, i);
                break;
            }
            if ((st = load_pooling(dir, sub->valuestring, c)) != IA_OK) break;
        } else if (strstr(type->valuestring, "Normalize")) {
            c->normalize = 1;
        } else if (!strstr(type->valuestring, "Transformer")) {
            st = ia_error(IA_ERR_UNSUPPORTED, "%s: module %s is not supported yet", path, type->valuestring);
            break;
        }
        i++;
    }
    cJSON_Delete(mods);
    if (st != IA_OK) return st;
    if ((st = load_sentence_bert(dir, c)) != IA_OK) return st;
    ia_error_clear();
    return IA_OK;
}
