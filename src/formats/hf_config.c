/*
 * hf_config.c — config.json and the sentence-transformers configs, parsed
 * with cJSON. Every number is range-checked: a config is input like any
 * other file, and a hidden size of 2^31 must fail here, not in malloc.
 */
#include "formats/hf_config.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/mapped_file.h"

#define CONFIG_MAX_BYTES (4u << 20)

/* Parses dir/file; its top level must be an array (want_array) or an object. */
static ia_status load_json(const char *dir, const char *file, int want_array, cJSON **out) {
    char path[4096];
    char *text = NULL;
    size_t len = 0;
    ia_status st;
    snprintf(path, sizeof path, "%s/%s", dir, file);
    st = ia_read_text_file(path, CONFIG_MAX_BYTES, &text, &len);
    if (st != IA_OK) return st;
    *out = cJSON_ParseWithLength(text, len);
    free(text);
    if (!*out || !(want_array ? cJSON_IsArray(*out) : cJSON_IsObject(*out))) {
        cJSON_Delete(*out);
        *out = NULL;
        return ia_error(IA_ERR_FORMAT, "%s: not a JSON %s", path, want_array ? "array" : "object");
    }
    return IA_OK;
}

static ia_status get_int(const cJSON *obj, const char *key, int lo, int hi, int dflt,
                         int *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v) {
        if (dflt < lo) return ia_error(IA_ERR_FORMAT, "config.json: missing \"%s\"", key);
        *out = dflt;
        return IA_OK;
    }
    /* range first: converting an out-of-range double to an integer is UB */
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= lo && v->valuedouble <= hi) ||
        v->valuedouble != (double)(int)v->valuedouble)
        return ia_error(IA_ERR_FORMAT, "config.json: \"%s\" must be an integer in [%d, %d]", key, lo, hi);
    *out = (int)v->valuedouble;
    return IA_OK;
}

static void get_string(const cJSON *obj, const char *key, const char *dflt, char *buf, size_t cap) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    snprintf(buf, cap, "%s", cJSON_IsString(v) ? v->valuestring : dflt);
}

ia_status ia_hf_config_load(const char *dir, ia_hf_config *c) {
    cJSON *j = NULL;
    const cJSON *eps;
    ia_status st = load_json(dir, "config.json", 0, &j);
    memset(c, 0, sizeof *c);
    if (st != IA_OK) return st;
    get_string(j, "model_type", "", c->model_type, sizeof c->model_type);
    get_string(j, "hidden_act", "gelu", c->hidden_act, sizeof c->hidden_act);
    /* Bounds: generous for any real encoder, small enough that products of
     * two of them fit comfortably in 64 bits. */
    if ((st = get_int(j, "hidden_size", 1, 1 << 16, -1, &c->hidden_size)) != IA_OK ||
        (st = get_int(j, "num_hidden_layers", 1, 1024, -1, &c->num_hidden_layers)) != IA_OK ||
        (st = get_int(j, "num_attention_heads", 1, 1024, -1, &c->num_attention_heads)) != IA_OK ||
        (st = get_int(j, "intermediate_size", 1, 1 << 18, -1, &c->intermediate_size)) != IA_OK ||
        (st = get_int(j, "max_position_embeddings", 1, 1 << 20, 512, &c->max_position_embeddings)) != IA_OK ||
        (st = get_int(j, "type_vocab_size", 0, 1 << 16, 2, &c->type_vocab_size)) != IA_OK ||
        (st = get_int(j, "vocab_size", 1, 1 << 24, -1, &c->vocab_size)) != IA_OK)
        goto done;
    eps = cJSON_GetObjectItemCaseSensitive(j, "layer_norm_eps");
    c->layer_norm_eps = cJSON_IsNumber(eps) ? (float)eps->valuedouble : 1e-12f;
    if (!(c->layer_norm_eps > 0.0f && c->layer_norm_eps < 1.0f)) {
        st = ia_error(IA_ERR_FORMAT, "config.json: layer_norm_eps must be in (0, 1)");
        goto done;
    }
    if (c->hidden_size % c->num_attention_heads != 0)
        st = ia_error(IA_ERR_FORMAT, "config.json: hidden_size %d is not a multiple of num_attention_heads %d",
                      c->hidden_size, c->num_attention_heads);
done:
    cJSON_Delete(j);
    return st;
}

static ia_status load_pooling(const char *dir, const char *sub, ia_st_config *c) {
    char pdir[4096];
    cJSON *j = NULL;
    ia_status st;
    static const char *const unsupported[] = {
        "pooling_mode_max_tokens", "pooling_mode_mean_sqrt_len_tokens",
        "pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken"};
    snprintf(pdir, sizeof pdir, "%s/%s", dir, sub);
    if ((st = load_json(pdir, "config.json", 0, &j)) != IA_OK) return st;
    for (size_t i = 0; i < sizeof unsupported / sizeof *unsupported; i++)
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, unsupported[i]))) {
            st = ia_error(IA_ERR_UNSUPPORTED, "%s/config.json: %s is not supported yet", pdir, unsupported[i]);
            goto done;
        }
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "pooling_mode_cls_token")))
        c->pooling = IA_POOLING_CLS;
    else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "pooling_mode_mean_tokens")))
        c->pooling = IA_POOLING_MEAN;
    else
        st = ia_error(IA_ERR_FORMAT, "%s/config.json: no pooling mode is set", pdir);
done:
    cJSON_Delete(j);
    return st;
}

ia_status ia_st_config_load(const char *dir, ia_st_config *c) {
    cJSON *mods = NULL, *sb = NULL;
    const cJSON *m;
    ia_status st;
    memset(c, 0, sizeof *c);
    c->pooling = IA_POOLING_MEAN;
    st = load_json(dir, "modules.json", 1, &mods);
    if (st == IA_ERR_NOT_FOUND) { /* plain HF model: mean pooling */
        ia_error_clear();
        return IA_OK;
    }
    if (st != IA_OK) return st;
    cJSON_ArrayForEach(m, mods) {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(m, "type");
        const cJSON *path = cJSON_GetObjectItemCaseSensitive(m, "path");
        if (!cJSON_IsString(type)) continue;
        if (strstr(type->valuestring, "Pooling")) {
            if (!cJSON_IsString(path) || strstr(path->valuestring, "..")) {
                st = ia_error(IA_ERR_FORMAT, "%s/modules.json: pooling module without a safe path", dir);
                break;
            }
            if ((st = load_pooling(dir, path->valuestring, c)) != IA_OK) break;
        } else if (strstr(type->valuestring, "Normalize")) {
            c->normalize = 1;
        } else if (!strstr(type->valuestring, "Transformer")) {
            st = ia_error(IA_ERR_UNSUPPORTED, "%s/modules.json: module %s is not supported yet", dir,
                          type->valuestring);
            break;
        }
    }
    cJSON_Delete(mods);
    if (st != IA_OK) return st;
    if (load_json(dir, "sentence_bert_config.json", 0, &sb) == IA_OK) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(sb, "max_seq_length");
        if (cJSON_IsNumber(v) && v->valuedouble >= 2 && v->valuedouble <= (1 << 20))
            c->max_seq_length = (int)v->valuedouble;
        cJSON_Delete(sb);
    }
    ia_error_clear();
    return IA_OK;
}
