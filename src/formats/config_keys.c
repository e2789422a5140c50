/*
 * config_keys.c — typed reads of JSON config files (contracts in
 * config_keys.h).
 */
#include "formats/config_keys.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/mapped_file.h"

#define CONFIG_MAX_BYTES (4u << 20)

const cJSON *ia_json_present(const cJSON *obj, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return v && !cJSON_IsNull(v) ? v : NULL;
}

const char *ia_json_type(const cJSON *v) {
    if (cJSON_IsString(v)) return "a string";
    if (cJSON_IsNumber(v)) return "a number";
    if (cJSON_IsBool(v)) return "a boolean";
    if (cJSON_IsNull(v)) return "null";
    if (cJSON_IsArray(v)) return "an array";
    if (cJSON_IsObject(v)) return "an object";
    return "invalid";
}

ia_status ia_json_load(const char *path, int want_array, cJSON **out) {
    char *text = NULL;
    size_t len = 0;
    ia_status st;
    *out = NULL;
    if ((st = ia_read_text_file(path, CONFIG_MAX_BYTES, &text, &len)) != IA_OK) return st;
    *out = cJSON_ParseWithLength(text, len);
    free(text);
    if (!*out) return ia_error(IA_ERR_FORMAT, "%s: not valid JSON", path);
    if (!(want_array ? cJSON_IsArray(*out) : cJSON_IsObject(*out))) {
        ia_status e = ia_error(IA_ERR_FORMAT, "%s: top level is %s, not a JSON %s", path, ia_json_type(*out),
                               want_array ? "array" : "object");
        cJSON_Delete(*out);
        *out = NULL;
        return e;
    }
    return IA_OK;
}

ia_status ia_config_json_load(const char *dir, cJSON **out) {
    char path[4200];
    snprintf(path, sizeof path, "%s/config.json", dir);
    return ia_json_load(path, 0, out);
}

ia_status ia_json_int(const char *path, const cJSON *obj, const char *key, int required, long long lo, long long hi,
                      long long dflt, long long *out) {
    const cJSON *v = ia_json_present(obj, key);
    if (!v) {
        if (required) return ia_error(IA_ERR_FORMAT, "%s: missing \"%s\"", path, key);
        *out = dflt;
        return IA_OK;
    }
    if (!cJSON_IsNumber(v))
        return ia_error(IA_ERR_FORMAT, "%s: \"%s\" must be an integer, not %s", path, key, ia_json_type(v));
    /* range first: converting an out-of-range double to an integer is UB */
    if (!(v->valuedouble >= (double)lo && v->valuedouble <= (double)hi) || v->valuedouble != floor(v->valuedouble))
        return ia_error(IA_ERR_FORMAT, "%s: \"%s\" must be an integer in [%lld, %lld], not %.17g", path, key, lo, hi,
                        v->valuedouble);
    *out = (long long)v->valuedouble;
    return IA_OK;
}

ia_status ia_json_float(const char *path, const cJSON *obj, const char *key, int required, double lo, double hi,
                        double dflt, double *out) {
    const cJSON *v = ia_json_present(obj, key);
    if (!v) {
        if (required) return ia_error(IA_ERR_FORMAT, "%s: missing \"%s\"", path, key);
        *out = dflt;
        return IA_OK;
    }
    if (!cJSON_IsNumber(v))
        return ia_error(IA_ERR_FORMAT, "%s: \"%s\" must be a number, not %s", path, key, ia_json_type(v));
    if (!isfinite(v->valuedouble) || !(v->valuedouble >= lo && v->valuedouble <= hi))
        return ia_error(IA_ERR_FORMAT, "%s: \"%s\" must be a number in [%g, %g], not %.17g", path, key, lo, hi,
                        v->valuedouble);
    *out = v->valuedouble;
    return IA_OK;
}

ia_status ia_json_bool(const char *path, const cJSON *obj, const char *key, int dflt, int *out) {
    const cJSON *v = ia_json_present(obj, key);
    *out = dflt;
    if (!v) return IA_OK;
    if (!cJSON_IsBool(v))
        return ia_error(IA_ERR_FORMAT, "%s: \"%s\" must be true or false, not %s", path, key, ia_json_type(v));
    *out = cJSON_IsTrue(v);
    return IA_OK;
}

ia_status ia_json_string(const char *path, const cJSON *obj, const char *key, const char *dflt, char *buf,
                         size_t cap) {
    const cJSON *v = ia_json_present(obj, key);
    if (!v) {
        snprintf(buf, cap, "%s", dflt ? dflt : "");
        return IA_OK;
    }
    if (!cJSON_IsString(v))
        return ia_error(IA_ERR_FORMAT, "%s: \"%s\" must be a string, not %s", path, key, ia_json_type(v));
    if (strlen(v->valuestring) >= cap)
        return ia_error(IA_ERR_FORMAT, "%s: \"%s\" is longer than %zu bytes", path, key, cap - 1);
    snprintf(buf, cap, "%s", v->valuestring);
    return IA_OK;
}

ia_status ia_json_object(const char *path, const cJSON *obj, const char *key, const cJSON **out) {
    const cJSON *v = ia_json_present(obj, key);
    *out = NULL;
    if (!v) return IA_OK;
    if (!cJSON_IsObject(v))
        return ia_error(IA_ERR_FORMAT, "%s: \"%s\" must be an object, not %s", path, key, ia_json_type(v));
    *out = v;
    return IA_OK;
}
