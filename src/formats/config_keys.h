/*
 * config_keys.h — typed, checked reads of JSON config files (config.json,
 * the sentence-transformers files): a key of the wrong JSON type or out of
 * range is an error naming the file and the key, never a silent default;
 * an absent key (or JSON null, which transformers writes for unset
 * options) takes the caller's default, or is an error when required.
 * `path` is the file's name as messages should show it.
 */
#ifndef IA_FORMATS_CONFIG_KEYS_H
#define IA_FORMATS_CONFIG_KEYS_H

#include <cjson/cJSON.h>

#include "ipfs_accelerate.h"

/* Parses path (at most 4 MiB); its top level must be an array (want_array)
 * or an object. A missing file is IA_ERR_NOT_FOUND naming the path.
 * Caller deletes with cJSON_Delete. */
ia_status ia_json_load(const char *path, int want_array, cJSON **out);

/* dir/config.json as an object. */
ia_status ia_config_json_load(const char *dir, cJSON **out);

/* "a string", "a number", ... for "must be X, not Y" messages. */
const char *ia_json_type(const cJSON *v);

/* obj[key], or NULL when absent or null. */
const cJSON *ia_json_present(const cJSON *obj, const char *key);

ia_status ia_json_int(const char *path, const cJSON *obj, const char *key, int required, long long lo, long long hi,
                      long long dflt, long long *out);
ia_status ia_json_float(const char *path, const cJSON *obj, const char *key, int required, double lo, double hi,
                        double dflt, double *out);
ia_status ia_json_bool(const char *path, const cJSON *obj, const char *key, int dflt, int *out);
/* Fits buf (cap bytes with the NUL) or is an error. */
ia_status ia_json_string(const char *path, const cJSON *obj, const char *key, const char *dflt, char *buf,
                         size_t cap);
/* The object under key, NULL when absent; another type is an error. */
ia_status ia_json_object(const char *path, const cJSON *obj, const char *key, const cJSON **out);

#endif
