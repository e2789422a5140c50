/*
 * config_keys.h — typed, checked reads of a model's config.json for the
 * keys each family needs beyond the common ones (hf_config.h): a key of
 * the wrong JSON type or out of range is an error naming the key, never a
 * silent default; an absent key takes the default the caller gives (or is
 * an error when the caller says it is required).
 */
#ifndef IA_FORMATS_CONFIG_KEYS_H
#define IA_FORMATS_CONFIG_KEYS_H

#include <cjson/cJSON.h>

#include "ipfs_accelerate.h"

/* Parses dir/config.json (size-limited); caller deletes with cJSON_Delete. */
ia_status ia_config_json_load(const char *dir, cJSON **out);

/* required: 1 = absence is IA_ERR_FORMAT; 0 = *out = dflt. JSON null counts
 * as absent (transformers writes null for unset options). */
ia_status ia_config_int(const cJSON *obj, const char *key, int required, long long lo, long long hi,
                        long long dflt, long long *out);
ia_status ia_config_float(const cJSON *obj, const char *key, int required, double lo, double hi, double dflt,
                          double *out);
ia_status ia_config_bool(const cJSON *obj, const char *key, int dflt, int *out);
ia_status ia_config_string(const cJSON *obj, const char *key, const char *dflt, char *buf, size_t cap);

/* The object under key, NULL when absent or null; IA_ERR_FORMAT when it is
 * another type. */
ia_status ia_config_object(const cJSON *obj, const char *key, const cJSON **out);

#endif
