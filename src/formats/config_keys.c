/*
 * config_keys.c — typed reads of config.json keys (contracts in
 * config_keys.h).
 */
#include "formats/config_keys.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/error.h"
#include "util/mapped_file.h"

#define CONFIG_MAX_BYTES (4u << 20)

ia_status ia_config_json_load(const char *dir, cJSON **out) {
    char path[4200];
    char *text = NULL;
    size_t len = 0;
    ia_status st;
    *out = NULL;
    snprintf(path, sizeof path, "%s/config.json", dir);
    if ((st = ia_read_text_file(path, CONFIG_MAX_BYTES, &text, &len)) != IA_OK) return st;
    *out = cJSON_ParseWithLength(text, len);
    free(text);
    if (!*out || !cJSON_IsObject(*out)) {
        cJSON_Delete(*out);
        *out = NULL;
        return ia_error(IA_ERR_FORMAT, "%s: not a JSON object", path);
    }
    return IA_OK;
}

static const cJSON *present(const cJSON *obj, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return v && !cJSON_IsNull(v) ? v : NULL;
}

ia_status ia_config_int(const cJSON *obj, const char *key, int required, long long lo, long long hi,
                        long long dflt, long long *out) {
    const cJSON *v = present(obj, key);
    if (!v) {
        if (required) return ia_error(IA_ERR_FORMAT, "config.json: missing \"%s\"", key);
        *out = dflt;
        return IA_OK;
    }
    /* range first: converting an out-of-range double to an integer is UB */
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= (double)lo && v->valuedouble <= (double)hi) ||
        v->valuedouble != floor(v->valuedouble))
        return ia_error(IA_ERR_FORMAT, "config.json: \"%s\" must be an integer in [%lld, %lld]", key, lo, hi);
    *out = (long long)v->valuedouble;
    return IA_OK;
}

ia_status ia_config_float(const cJSON *obj, const char *key, int required, double lo, double hi, double dflt,
                          double *out) {
    const cJSON *v = present(obj, key);
    if (!v) {
        if (required) return ia_error(IA_ERR_FORMAT, "config.json: missing \"%s\"", key);
        *out = dflt;
        return IA_OK;
    }
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || !(v->valuedouble >= lo && v->valuedouble <= hi))
        return ia_error(IA_ERR_FORMAT, "config.json: \"%s\" must be a number in [%g, %g]", key, lo, hi);
    *out = v->valuedouble;
    return IA_OK;
}

ia_status ia_config_bool(const cJSON *obj, const char *key, int dflt, int *out) {
    const cJSON *v = present(obj, key);
    if (!v) {
        *out = dflt;
        return IA_OK;
    }
    if (!cJSON_IsBool(v)) return ia_error(IA_ERR_FORMAT, "config.json: \"%s\" must be true or false", key);
    *out = cJSON_IsTrue(v);
    return IA_OK;
}

ia_status ia_config_string(const cJSON *obj, const char *key, const char *dflt, char *buf, size_t cap) {
    const cJSON *v = present(obj, key);
    if (!v) {
        snprintf(buf, cap, "%s", dflt ? dflt : "");
        return IA_OK;
    }
    if (!cJSON_IsString(v)) return ia_error(IA_ERR_FORMAT, "config.json: \"%s\" must be a string", key);
    if ((size_t)snprintf(buf, cap, "%s", v->valuestring) >= cap)
        return ia_error(IA_ERR_FORMAT, "config.json: \"%s\" is longer than %zu bytes", key, cap - 1);
    return IA_OK;
}

ia_status ia_config_object(const cJSON *obj, const char *key, const cJSON **out) {
    const cJSON *v = present(obj, key);
    *out = NULL;
    if (!v) return IA_OK;
    if (!cJSON_IsObject(v)) return ia_error(IA_ERR_FORMAT, "config.json: \"%s\" must be an object", key);
    *out = v;
    return IA_OK;
}
