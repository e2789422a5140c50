/*
 * choose.c — ia_select_device: measured results from the benchmark store
 * first, the hardware heuristic (src/hw/select.c) otherwise.
 *
 * A stored row is evidence for this choice only if it measured this model
 * on this machine with a device that runs here now:
 *   - its model_fingerprint is this model's (formats/model_id.h: content,
 *     so another model that happens to share the directory's name does
 *     not count, and this model copied elsewhere still does);
 *   - its machine_id is this machine's (hw/hw.h: a database copied from
 *     another machine says nothing about this one);
 *   - it ran (no skipped_reason), on a device kind that is usable here
 *     (registered, its probe says it runs, not the ref oracle) and a
 *     device index that exists.
 * Among those, the batch size nearest the request (in ratio, so 8 is as
 * near to 4 as 2 is), then the highest items/s. The sentence names the
 * row that decided, so the choice can be checked against the database.
 * Rows written before schema v4 have no fingerprint or machine id and are
 * never used.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/store.h"
#include "formats/model_id.h"
#include "hw/hw.h"
#include "util/error.h"

static const char *str_of(const cJSON *row, const char *key) {
    const cJSON *v = cJSON_GetObjectItem(row, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* 1 when device "kind" or "kind:N" is a usable kind with at least N + 1
 * devices. */
static int device_runs_here(const char *device) {
    char kind[64];
    const char *colon = strchr(device, ':');
    size_t len = colon ? (size_t)(colon - device) : strlen(device);
    long index = colon ? strtol(colon + 1, NULL, 10) : 0;
    const ia_backend_ops *k;
    if (len == 0 || len >= sizeof kind || index < 0) return 0;
    memcpy(kind, device, len);
    kind[len] = '\0';
    if (!ia_hw_kind_usable(kind) || !(k = ia_backend_find(kind))) return 0;
    return index < k->device_count();
}

/* 1 and fills device/why when a measured row decides; 0 otherwise. */
static int choose_measured(const char *db, const char *model_ref, int batch, char *device, size_t device_cap,
                           char *why, size_t why_cap) {
    ia_bench_store *s = NULL;
    char *json = NULL, dir[4096], fp[IA_MODEL_FINGERPRINT_LEN + 1], machine[IA_MACHINE_ID_LEN + 1];
    cJSON *rows = NULL;
    const cJSON *r, *best = NULL;
    double best_dist = INFINITY, want = batch > 0 ? batch : 1;
    if (access(db, R_OK) != 0) return 0;
    /* This model's identity and this machine's (the model not being here
     * is for the open to report). */
    if (ia_model_resolve(model_ref, dir, sizeof dir) != IA_OK || ia_model_fingerprint(dir, fp) != IA_OK ||
        ia_hw_machine_id(machine, NULL, 0) != IA_OK)
        goto done;
    if (ia_bench_store_open_readonly(db, &s) != IA_OK) goto done;
    if (ia_bench_store_query_json(s, NULL, 0, NULL, 0, NULL, 0, NULL, &json) == IA_OK) rows = cJSON_Parse(json);
    ia_bench_store_close(s);
    free(json);
    cJSON_ArrayForEach(r, rows) {
        const char *b = str_of(r, "backend"), *rf = str_of(r, "model_fingerprint"), *rm = str_of(r, "machine_id");
        const cJSON *ips = cJSON_GetObjectItem(r, "items_per_s"), *bat = cJSON_GetObjectItem(r, "batch");
        double dist;
        if (!b || !rf || !rm || !cJSON_IsNumber(ips) || !cJSON_IsNumber(bat) || !(bat->valuedouble >= 1) ||
            !isfinite(ips->valuedouble) || !(ips->valuedouble > 0))
            continue;
        if (str_of(r, "skipped_reason")) continue;
        if (strcmp(rf, fp) != 0 || strcmp(rm, machine) != 0) continue;
        if (!device_runs_here(b)) continue;
        dist = fabs(log(bat->valuedouble / want));
        if (!best || dist < best_dist - 1e-12 ||
            (dist < best_dist + 1e-12 && ips->valuedouble > cJSON_GetObjectItem(best, "items_per_s")->valuedouble)) {
            best = r;
            best_dist = dist;
        }
    }
    if (best) {
        const cJSON *run = cJSON_GetObjectItem(best, "run_id");
        snprintf(device, device_cap, "%s", str_of(best, "backend"));
        snprintf(why, why_cap, "measured: %s gave %.1f items/s for %s at batch %.0f (%s, run %.0f in %s; rows of "
                 "this model on this machine)", str_of(best, "backend"),
                 cJSON_GetObjectItem(best, "items_per_s")->valuedouble,
                 str_of(best, "model") ? str_of(best, "model") : model_ref,
                 cJSON_GetObjectItem(best, "batch")->valuedouble,
                 str_of(best, "precision") ? str_of(best, "precision") : "?", cJSON_IsNumber(run) ? run->valuedouble : 0.0,
                 db);
    }
done:
    cJSON_Delete(rows);
    ia_error_clear();
    return best != NULL;
}

/* Bytes of the model's weights file (what ia_model_open maps): the
 * heuristic's size. 0 when unknown. */
static long long weight_bytes(const char *model_ref) {
    char dir[4096], path[4200];
    struct stat sb;
    if (ia_model_resolve(model_ref, dir, sizeof dir) != IA_OK) {
        ia_error_clear();
        return 0;
    }
    /* a .gguf file named directly is its own weights */
    if (stat(dir, &sb) == 0 && S_ISREG(sb.st_mode)) return (long long)sb.st_size;
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    if (stat(path, &sb) == 0) return (long long)sb.st_size;
    snprintf(path, sizeof path, "%s/model.gguf", dir);
    return stat(path, &sb) == 0 ? (long long)sb.st_size : 0;
}

ia_status ia_select_device(const char *model_ref, const char *task, int batch, char *device, size_t device_cap,
                           char *why, size_t why_cap) {
    char db[4096];
    int have_db;
    size_t len;
    ia_status st;
    if (!model_ref || !device || device_cap == 0 || !why || why_cap == 0 || batch < 0)
        return ia_error(IA_ERR_INVALID_ARG, "ia_select_device: bad arguments");
    have_db = ia_bench_db_path(db, sizeof db, 0) == IA_OK;
    ia_error_clear();
    if (have_db && choose_measured(db, model_ref, batch, device, device_cap, why, why_cap)) return IA_OK;
    st = ia_hw_select_heuristic(model_ref, task, batch, weight_bytes(model_ref), device, device_cap, why, why_cap);
    if (st != IA_OK) return st;
    len = strlen(why);
    if (!have_db)
        snprintf(why + len, why_cap - len, "; no benchmark database (no $IA_BENCH_DB or $HOME)");
    else if (access(db, R_OK) != 0)
        snprintf(why + len, why_cap - len, "; no benchmark database at %s", db);
    else
        snprintf(why + len, why_cap - len, "; no measured rows of this model on this machine in %s", db);
    return IA_OK;
}
