/*
 * names.c — the registry's rules about names and declared figures: device
 * kinds (with the hardware probes' aliases), whether a device runs here,
 * the CID text check (a real parse), and the declared hardware compatibility object
 * (checked strictly, so a typo is an error rather than a silent nothing).
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/cid.h"
#include "registry/registry_internal.h"
#include "util/error.h"

/* The probes' aliases (hw/probe_cache.c) and the seed's spellings. */
static const struct { const char *alias, *kind; } ALIASES[] = {
    {"gpu", "cuda"}, {"qnn", "qualcomm"}, {"mps", "apple"}, {"metal", "apple"},
};

int ia_reg_kind(const char *name, char *out, size_t cap) {
    size_t len;
    const char *colon;
    if (!name || !*name || cap < 2) return 0;
    if (strncmp(name, "http://", 7) == 0 || strncmp(name, "https://", 8) == 0) {
        snprintf(out, cap, "remote");
        return 1;
    }
    colon = strchr(name, ':');
    len = colon ? (size_t)(colon - name) : strlen(name);
    if (len == 0 || len >= cap) return 0;
    for (size_t i = 0; i < len; i++) out[i] = (char)tolower((unsigned char)name[i]);
    out[len] = '\0';
    for (size_t i = 0; i < sizeof ALIASES / sizeof ALIASES[0]; i++)
        if (strcmp(out, ALIASES[i].alias) == 0) snprintf(out, cap, "%s", ALIASES[i].kind);
    return 1;
}

int ia_reg_device_runs_here(const char *device) {
    char kind[64];
    const char *colon = device ? strchr(device, ':') : NULL;
    long index = 0;
    const ia_backend_ops *k;
    if (!ia_reg_kind(device, kind, sizeof kind) || strcmp(kind, "remote") == 0) return 0;
    if (colon) {
        char *end;
        index = strtol(colon + 1, &end, 10);
        if (end == colon + 1 || *end || index < 0) return 0;
    }
    if (!ia_hw_kind_usable(kind) || !(k = ia_backend_find(kind))) return 0;
    return index < k->device_count();
}

/* A CID as text: parsed as the block store reads CIDs (formats/cid.c),
 * so what the registry keeps is a CID that resolves. */
ia_status ia_reg_check_cid(const char *cid) {
    ia_cid c;
    char shown[80];
    if (!cid || !*cid) return ia_error(IA_ERR_INVALID_ARG, "CID is empty");
    char why[256];
    if (ia_cid_parse(cid, &c) != IA_OK) { /* bad input to the registry, whatever the parser calls it */
        snprintf(why, sizeof why, "%s", ia_last_error());
        return ia_error(IA_ERR_INVALID_ARG, "CID '%s': %s", ia_shown_name(cid, shown, sizeof shown), why);
    }
    return IA_OK;
}

static ia_status check_entry(const char *hw, const cJSON *v, cJSON **out) {
    const cJSON *f;
    cJSON *o = cJSON_CreateObject();
    if (!o) return ia_error(IA_ERR_NOMEM, "declared hardware");
    if (!cJSON_IsObject(v)) {
        cJSON_Delete(o);
        return ia_error(IA_ERR_INVALID_ARG, "declared hardware '%s': not an object", hw);
    }
    cJSON_ArrayForEach(f, v) {
        const char *k = f->string;
        if (strcmp(k, "supported") == 0) {
            if (!cJSON_IsBool(f)) goto bad;
            cJSON_AddBoolToObject(o, k, cJSON_IsTrue(f));
        } else if (strcmp(k, "performance_score") == 0) {
            if (!cJSON_IsNumber(f) || !(f->valuedouble >= 0 && f->valuedouble <= 1)) goto bad;
            cJSON_AddNumberToObject(o, k, f->valuedouble);
        } else if (strcmp(k, "recommended_batch_size") == 0) {
            if (!cJSON_IsNumber(f) || f->valuedouble != floor(f->valuedouble) || f->valuedouble < 1 ||
                f->valuedouble > 1 << 20)
                goto bad;
            cJSON_AddNumberToObject(o, k, f->valuedouble);
        } else if (strcmp(k, "recommended_precision") == 0) {
            ia_precision p;
            if (!cJSON_IsString(f) || ia_precision_parse(f->valuestring, &p) != IA_OK) goto bad;
            cJSON_AddStringToObject(o, k, ia_precision_name(p));
        } else {
            cJSON_Delete(o);
            return ia_error(IA_ERR_INVALID_ARG, "declared hardware '%s': unknown field '%s' (supported, "
                            "performance_score, recommended_batch_size, recommended_precision)", hw, k);
        }
        continue;
    bad:
        cJSON_Delete(o);
        return ia_error(IA_ERR_INVALID_ARG, "declared hardware '%s': %s must be %s", hw, k,
                        strcmp(k, "supported") == 0 ? "true or false"
                        : strcmp(k, "performance_score") == 0 ? "a number in [0, 1]"
                        : strcmp(k, "recommended_batch_size") == 0 ? "an integer >= 1"
                                                                    : "fp32, fp16, bf16, int8, int4 or int2");
    }
    *out = o;
    return IA_OK;
}

ia_status ia_reg_check_declared(const cJSON *hw, cJSON **out) {
    cJSON *all = NULL;
    const cJSON *v;
    ia_status st;
    *out = NULL;
    if (!cJSON_IsObject(hw))
        return ia_error(IA_ERR_INVALID_ARG, "declared hardware compatibility must be a JSON object keyed by hardware");
    if (!(all = cJSON_CreateObject())) return ia_error(IA_ERR_NOMEM, "declared hardware");
    cJSON_ArrayForEach(v, hw) {
        char kind[64];
        cJSON *e = NULL;
        if (!ia_reg_kind(v->string, kind, sizeof kind) || strchr(v->string, ':')) {
            cJSON_Delete(all);
            return ia_error(IA_ERR_INVALID_ARG, "declared hardware: '%s' is not a hardware name", v->string);
        }
        if (cJSON_GetObjectItemCaseSensitive(all, kind)) {
            cJSON_Delete(all);
            return ia_error(IA_ERR_INVALID_ARG, "declared hardware: '%s' is given twice", kind);
        }
        if ((st = check_entry(kind, v, &e)) != IA_OK) {
            cJSON_Delete(all);
            return st;
        }
        cJSON_AddItemToObject(all, kind, e);
    }
    *out = all;
    return IA_OK;
}

const char *ia_reg_machine(ia_registry *reg) {
    if (!reg->machine[0] && ia_hw_machine_id(reg->machine, NULL, 0) != IA_OK) {
        reg->machine[0] = '\0';
        ia_error_clear();
    }
    return reg->machine;
}
