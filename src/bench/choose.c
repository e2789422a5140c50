/*
 * choose.c — ia_select_device: measured results from the benchmark store
 * first, the hardware heuristic (src/hw/select.c) otherwise.
 *
 * Among stored rows of this model that ran (not skipped) on a backend that
 * is available now, take the batch size nearest the request (in ratio, so
 * 8 is as near to 4 as 2 is), then the highest items/s. The sentence says
 * which row decided, so the choice can be checked against the database.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends/backend.h"
#include "bench/store.h"
#include "hw/hw.h"
#include "util/error.h"

/* 1 if paths or names a and b end in the same last component, ignoring
 * trailing slashes ("/x/all-MiniLM-L6-v2/" matches "all-MiniLM-L6-v2"). */
static int same_model(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b), sa, sb;
    while (la > 1 && a[la - 1] == '/') la--;
    while (lb > 1 && b[lb - 1] == '/') lb--;
    for (sa = la; sa > 0 && a[sa - 1] != '/'; sa--) {}
    for (sb = lb; sb > 0 && b[sb - 1] != '/'; sb--) {}
    return la - sa == lb - sb && memcmp(a + sa, b + sb, la - sa) == 0;
}

static int backend_runs_here(const char *name) {
    const ia_backend_ops *b = ia_backend_find(name);
    char reason[256];
    return b && b->probe(reason, sizeof reason);
}

/* 1 and fills device/why when a measured row decides; 0 otherwise. */
static int choose_measured(const char *db, const char *model_ref, int batch, char *device, size_t device_cap,
                           char *why, size_t why_cap) {
    ia_bench_store *s = NULL;
    char *json = NULL;
    cJSON *rows = NULL;
    const cJSON *r, *best = NULL;
    double best_dist = INFINITY, want = batch > 0 ? batch : 1;
    if (access(db, R_OK) != 0 || ia_bench_store_open_readonly(db, &s) != IA_OK) {
        ia_error_clear();
        return 0;
    }
    if (ia_bench_store_query_json(s, NULL, 0, NULL, 0, NULL, 0, NULL, &json) == IA_OK) rows = cJSON_Parse(json);
    ia_bench_store_close(s);
    free(json);
    cJSON_ArrayForEach(r, rows) {
        const cJSON *m = cJSON_GetObjectItem(r, "model"), *b = cJSON_GetObjectItem(r, "backend");
        const cJSON *ips = cJSON_GetObjectItem(r, "items_per_s"), *bat = cJSON_GetObjectItem(r, "batch");
        double dist;
        if (!cJSON_IsString(m) || !cJSON_IsString(b) || !cJSON_IsNumber(ips) || !cJSON_IsNumber(bat) ||
            !(bat->valuedouble >= 1) || !isfinite(ips->valuedouble))
            continue;
        if (cJSON_IsString(cJSON_GetObjectItem(r, "skipped_reason"))) continue;
        if (!same_model(m->valuestring, model_ref)) continue;
        if (!backend_runs_here(b->valuestring)) continue;
        dist = fabs(log(bat->valuedouble / want));
        if (!best || dist < best_dist - 1e-12 ||
            (dist < best_dist + 1e-12 && ips->valuedouble > cJSON_GetObjectItem(best, "items_per_s")->valuedouble)) {
            best = r;
            best_dist = dist;
        }
    }
    if (best) {
        snprintf(device, device_cap, "%s", cJSON_GetObjectItem(best, "backend")->valuestring);
        snprintf(why, why_cap, "measured: %s gave %.1f items/s for %s at batch %.0f (run %.0f in %s)",
                 cJSON_GetObjectItem(best, "backend")->valuestring,
                 cJSON_GetObjectItem(best, "items_per_s")->valuedouble,
                 cJSON_GetObjectItem(best, "model")->valuestring, cJSON_GetObjectItem(best, "batch")->valuedouble,
                 cJSON_IsNumber(cJSON_GetObjectItem(best, "run_id")) ? cJSON_GetObjectItem(best, "run_id")->valuedouble
                                                                      : 0.0,
                 db);
    }
    cJSON_Delete(rows);
    ia_error_clear();
    return best != NULL;
}

ia_status ia_select_device(const char *model_ref, const char *task, int batch, char *device, size_t device_cap,
                           char *why, size_t why_cap) {
    const char *db = getenv("IA_BENCH_DB") ? getenv("IA_BENCH_DB") : "./benchmark_db.duckdb";
    if (!model_ref || !device || device_cap == 0 || !why || why_cap == 0 || batch < 0)
        return ia_error(IA_ERR_INVALID_ARG, "ia_select_device: bad arguments");
    if (choose_measured(db, model_ref, batch, device, device_cap, why, why_cap)) return IA_OK;
    return ia_hw_select_heuristic(model_ref, task, batch, 0, device, device_cap, why, why_cap);
}
