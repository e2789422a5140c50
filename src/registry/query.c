/*
 * query.c — reading the registry: one entry with its declared hardware,
 * the measured performance joined from the benchmark results, search and
 * info.
 *
 * Which benchmark rows belong to an entry: rows whose model_fingerprint is
 * the entry's (the model's content, whatever name it was benchmarked
 * under); rows without a fingerprint (written before schema v4) under the
 * entry's id or source; and, for an entry registered without a model (no
 * fingerprint to compare), rows under its id or source. Each summary says
 * which ("matched_by"), and rows under the entry's name whose fingerprint
 * is another model's are counted apart and never used: the name is the
 * same, the weights are not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "registry/registry_internal.h"
#include "util/error.h"
#include "util/struct_size.h"

static const char *str_of(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The fields the model itself gave when it was registered. */
static const char *const READ_FROM_MODEL[] = {"family", "parameters", "precision", "bytes", "model_fingerprint", "cid"};

static ia_status declared_of(ia_registry *reg, const char *model_id, cJSON **out) {
    duckdb_prepared_statement p = NULL;
    duckdb_result res;
    cJSON *rows = NULL, *obj = NULL, *r;
    ia_status st;
    *out = NULL;
    st = ia_reg_prepare(reg, "SELECT hardware, supported, performance_score, recommended_batch_size,"
                             " recommended_precision FROM model_hardware_declared WHERE model_id = ? ORDER BY hardware",
                        &p);
    if (st != IA_OK) return st;
    if (!ia_reg_bind_str(p, 1, model_id)) {
        duckdb_destroy_prepare(&p);
        return ia_error(IA_ERR_INTERNAL, "registry: binding failed");
    }
    st = ia_reg_execute(reg, p, "reading declared hardware", &res);
    duckdb_destroy_prepare(&p);
    if (st != IA_OK) return st;
    rows = ia_reg_rows_json(&res);
    duckdb_destroy_result(&res);
    if (!rows || !(obj = cJSON_CreateObject())) goto oom;
    cJSON_ArrayForEach(r, rows) {
        cJSON *e = cJSON_CreateObject(), *f, *next;
        if (!e) goto oom;
        /* every field but the key, nulls (not declared) left out */
        for (f = r->child; f; f = next) {
            next = f->next;
            if (strcmp(f->string, "hardware") == 0 || cJSON_IsNull(f)) continue;
            cJSON_AddItemToObject(e, f->string, cJSON_Duplicate(f, 1));
        }
        cJSON_AddItemToObject(obj, str_of(r, "hardware"), e);
    }
    cJSON_Delete(rows);
    *out = obj;
    return IA_OK;
oom:
    cJSON_Delete(rows);
    cJSON_Delete(obj);
    return ia_error(IA_ERR_NOMEM, "registry");
}

ia_status ia_reg_load_entry(ia_registry *reg, const char *model_id, cJSON **out) {
    duckdb_prepared_statement p = NULL;
    duckdb_result res;
    cJSON *rows = NULL, *e, *meta, *list, *declared = NULL;
    const cJSON *m;
    int inspected;
    ia_status st;
    char shown[128];
    *out = NULL;
    st = ia_reg_prepare(reg, "SELECT model_id, cid, family, task, parameters, precision, licence, source, description,"
                             " CAST(registered_at AS VARCHAR) AS registered_at, bytes, metadata, model_fingerprint,"
                             " inspected FROM models WHERE model_id = ?", &p);
    if (st != IA_OK) return st;
    if (!ia_reg_bind_str(p, 1, model_id)) {
        duckdb_destroy_prepare(&p);
        return ia_error(IA_ERR_INTERNAL, "registry: binding failed");
    }
    st = ia_reg_execute(reg, p, "reading the model", &res);
    duckdb_destroy_prepare(&p);
    if (st != IA_OK) return st;
    rows = ia_reg_rows_json(&res);
    duckdb_destroy_result(&res);
    if (!rows) return ia_error(IA_ERR_NOMEM, "registry");
    if (cJSON_GetArraySize(rows) == 0) {
        cJSON_Delete(rows);
        return ia_error(IA_ERR_NOT_FOUND, "no model '%s' in the registry at %s",
                        ia_shown_name(model_id, shown, sizeof shown), reg->store->path);
    }
    e = cJSON_DetachItemFromArray(rows, 0);
    cJSON_Delete(rows);
    /* metadata: stored as JSON text, given back as the object */
    m = cJSON_GetObjectItemCaseSensitive(e, "metadata");
    meta = cJSON_IsString(m) ? cJSON_Parse(m->valuestring) : NULL;
    cJSON_ReplaceItemInObjectCaseSensitive(e, "metadata", meta ? meta : cJSON_CreateObject());
    inspected = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "inspected"));
    cJSON_DeleteItemFromObjectCaseSensitive(e, "inspected");
    list = cJSON_AddArrayToObject(e, "read_from_model");
    for (size_t i = 0; inspected && list && i < sizeof READ_FROM_MODEL / sizeof READ_FROM_MODEL[0]; i++)
        cJSON_AddItemToArray(list, cJSON_CreateString(READ_FROM_MODEL[i]));
    if ((st = declared_of(reg, model_id, &declared)) != IA_OK) {
        cJSON_Delete(e);
        return st;
    }
    cJSON_AddItemToObject(e, "declared_hardware", declared);
    *out = e;
    return IA_OK;
}

/* One row per configuration (machine x device x kind x precision x batch x
 * seq_len x how it matched), its best row by items/s (generated tokens/s
 * for decoders) and that row's figures. $1 fingerprint (NULL: none), $2
 * model id, $3 source. Skipped rows (absent hardware) measured nothing. */
static const char MEASURED_SQL[] =
    "WITH m AS (SELECT r.*, coalesce(r.items_per_s, r.gen_tokens_per_s) AS rate,"
    "  CASE WHEN CAST($1 AS VARCHAR) IS NOT NULL AND r.model_fingerprint = CAST($1 AS VARCHAR)"
    "       THEN 'fingerprint' ELSE 'name' END AS matched_by"
    "  FROM results r"
    "  WHERE r.skipped_reason IS NULL AND ("
    "    (CAST($1 AS VARCHAR) IS NOT NULL AND r.model_fingerprint = CAST($1 AS VARCHAR))"
    "    OR ((r.model_fingerprint IS NULL OR CAST($1 AS VARCHAR) IS NULL)"
    "        AND r.model IN (CAST($2 AS VARCHAR), CAST($3 AS VARCHAR)))))"
    " SELECT machine_id, backend AS device, kind, precision, batch, seq_len, matched_by,"
    "  count(*) AS rows,"
    "  max(items_per_s) AS best_items_per_s,"
    "  max(gen_tokens_per_s) AS best_gen_tokens_per_s,"
    "  arg_max(latency_ms_p50, rate) AS latency_ms_p50,"
    "  arg_max(prompt_tokens_per_s, rate) AS prompt_tokens_per_s,"
    "  arg_max(ttft_ms, rate) AS ttft_ms,"
    "  arg_max(run_id, rate) AS run_id,"
    "  arg_max(id, rate) AS result_id"
    " FROM m GROUP BY ALL"
    " ORDER BY machine_id NULLS LAST, device, kind, precision, batch, seq_len";

static const char OTHER_CONTENT_SQL[] =
    "SELECT count(*) FROM results r WHERE CAST($1 AS VARCHAR) IS NOT NULL AND r.model_fingerprint IS NOT NULL"
    " AND r.model_fingerprint <> CAST($1 AS VARCHAR) AND r.model IN (CAST($2 AS VARCHAR), CAST($3 AS VARCHAR))";

static ia_status run_match(ia_registry *reg, const char *sql, const cJSON *entry, duckdb_result *res) {
    duckdb_prepared_statement p = NULL;
    ia_status st;
    if ((st = ia_reg_prepare(reg, sql, &p)) != IA_OK) return st;
    if (!ia_reg_bind_str(p, 1, str_of(entry, "model_fingerprint")) || !ia_reg_bind_str(p, 2, str_of(entry, "model_id")) ||
        !ia_reg_bind_str(p, 3, str_of(entry, "source"))) {
        duckdb_destroy_prepare(&p);
        return ia_error(IA_ERR_INTERNAL, "registry: binding failed");
    }
    st = ia_reg_execute(reg, p, "reading the model's benchmark rows", res);
    duckdb_destroy_prepare(&p);
    return st;
}

static int in_strings(const cJSON *arr, const char *s) {
    const cJSON *v;
    cJSON_ArrayForEach(v, arr) if (cJSON_IsString(v) && strcmp(v->valuestring, s) == 0) return 1;
    return 0;
}

ia_status ia_reg_add_measured(ia_registry *reg, cJSON *entry) {
    duckdb_result res;
    cJSON *perf, *g, *measured = NULL, *hw, *here;
    const char *machine = ia_reg_machine(reg);
    double rows = 0;
    int64_t other = 0;
    ia_status st;

    if ((st = run_match(reg, MEASURED_SQL, entry, &res)) != IA_OK) return st;
    perf = ia_reg_rows_json(&res);
    duckdb_destroy_result(&res);
    if (!perf) return ia_error(IA_ERR_NOMEM, "registry");
    if ((st = run_match(reg, OTHER_CONTENT_SQL, entry, &res)) != IA_OK) {
        cJSON_Delete(perf);
        return st;
    }
    other = duckdb_value_int64(&res, 0, 0);
    duckdb_destroy_result(&res);

    if (!(measured = cJSON_CreateObject())) goto oom;
    cJSON_AddStringToObject(measured, "machine_id", machine);
    hw = cJSON_AddArrayToObject(measured, "hardware");
    here = cJSON_AddArrayToObject(measured, "measured_here");
    if (!hw || !here) goto oom;
    cJSON_ArrayForEach(g, perf) {
        const char *dev = str_of(g, "device"), *mid = str_of(g, "machine_id");
        char kind[64] = "";
        int this_machine = mid && *machine && strcmp(mid, machine) == 0;
        int usable = this_machine && dev && ia_reg_device_runs_here(dev);
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(g, "rows");
        if (dev) ia_reg_kind(dev, kind, sizeof kind);
        rows += cJSON_IsNumber(n) ? n->valuedouble : 0;
        cJSON_AddStringToObject(g, "device_kind", kind);
        cJSON_AddBoolToObject(g, "this_machine", this_machine);
        cJSON_AddBoolToObject(g, "usable_here", usable);
        if (kind[0] && !in_strings(hw, kind)) cJSON_AddItemToArray(hw, cJSON_CreateString(kind));
        if (usable && !in_strings(here, kind)) cJSON_AddItemToArray(here, cJSON_CreateString(kind));
    }
    cJSON_AddNumberToObject(measured, "rows", rows);
    cJSON_AddItemToObject(measured, "performance", perf);
    perf = NULL;
    cJSON_AddNumberToObject(measured, "rows_other_content", (double)other);
    cJSON_AddItemToObject(entry, "measured", measured);
    return IA_OK;
oom:
    cJSON_Delete(perf);
    cJSON_Delete(measured);
    return ia_error(IA_ERR_NOMEM, "registry");
}

ia_status ia_registry_info(ia_registry *reg, const char *model_id, char **json) {
    cJSON *e = NULL;
    ia_status st;
    if (json) *json = NULL;
    if (!reg || !model_id || !json) return ia_error(IA_ERR_INVALID_ARG, "ia_registry_info: NULL argument");
    if ((st = ia_reg_load_entry(reg, model_id, &e)) != IA_OK) return st;
    if ((st = ia_reg_add_measured(reg, e)) == IA_OK && !(*json = cJSON_PrintUnformatted(e)))
        st = ia_error(IA_ERR_NOMEM, "registry");
    cJSON_Delete(e);
    return st;
}

/* ---- search ---- */

static int any_casecmp(const char *v, const char *const *list, size_t n) {
    for (size_t i = 0; v && i < n; i++)
        if (list[i] && strcasecmp(v, list[i]) == 0) return 1;
    return 0;
}

/* How the hardware filter holds for entry e: adds {"kind": "measured" |
 * "declared"} to matched for each requested kind that holds; 1 if any. */
static int hardware_holds(const ia_registry_query *q, const cJSON *e, cJSON *matched) {
    const cJSON *measured = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(e, "measured"), "hardware");
    const cJSON *declared = cJSON_GetObjectItemCaseSensitive(e, "declared_hardware");
    cJSON *by = cJSON_CreateObject();
    int any = 0;
    for (size_t i = 0; i < q->n_hardware; i++) {
        char kind[64];
        const cJSON *d;
        if (!ia_reg_kind(q->hardware[i], kind, sizeof kind) || cJSON_GetObjectItemCaseSensitive(by, kind)) continue;
        if (in_strings(measured, kind)) {
            cJSON_AddStringToObject(by, kind, "measured");
            any = 1;
        } else if (q->include_declared && (d = cJSON_GetObjectItemCaseSensitive(declared, kind)) &&
                   cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "supported"))) {
            cJSON_AddStringToObject(by, kind, "declared");
            any = 1;
        }
    }
    cJSON_AddItemToObject(matched, "hardware", by);
    return any;
}

/* The declared performance_score filter: the best declared score among
 * the requested kinds (or every declared kind). */
static int score_holds(const ia_registry_query *q, const cJSON *e, cJSON *matched) {
    const cJSON *declared = cJSON_GetObjectItemCaseSensitive(e, "declared_hardware"), *d;
    const char *best_kind = NULL;
    double best = -1;
    cJSON_ArrayForEach(d, declared) {
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(d, "performance_score");
        int wanted = q->n_hardware == 0;
        for (size_t i = 0; !wanted && i < q->n_hardware; i++) {
            char kind[64];
            wanted = ia_reg_kind(q->hardware[i], kind, sizeof kind) && strcmp(kind, d->string) == 0;
        }
        if (wanted && cJSON_IsNumber(s) && s->valuedouble > best) {
            best = s->valuedouble;
            best_kind = d->string;
        }
    }
    if (!best_kind || best < q->min_performance_score) return 0;
    {
        cJSON *o = cJSON_AddObjectToObject(matched, "performance_score");
        cJSON_AddStringToObject(o, "hardware", best_kind);
        cJSON_AddNumberToObject(o, "score", best);
        cJSON_AddStringToObject(o, "basis", "declared");
    }
    return 1;
}

static int entry_matches(const ia_registry_query *q, cJSON *e) {
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(e, "parameters");
    cJSON *matched = cJSON_CreateObject();
    int ok = 1;
    if (!matched) return 0;
    if (q->task && (!str_of(e, "task") || strcasecmp(q->task, str_of(e, "task")) != 0)) ok = 0;
    if (ok && q->n_families && !any_casecmp(str_of(e, "family"), q->families, q->n_families)) ok = 0;
    if (ok && (q->min_parameters > 0 || q->max_parameters > 0)) {
        if (!cJSON_IsNumber(params)) ok = 0;
        else if (q->min_parameters > 0 && params->valuedouble < (double)q->min_parameters) ok = 0;
        else if (q->max_parameters > 0 && params->valuedouble > (double)q->max_parameters) ok = 0;
    }
    if (ok && q->n_hardware && !hardware_holds(q, e, matched)) ok = 0;
    if (ok && q->min_performance_score >= 0 && !score_holds(q, e, matched)) ok = 0;
    if (ok) cJSON_AddItemToObject(e, "matched", matched);
    else cJSON_Delete(matched);
    return ok;
}

ia_status ia_registry_search(ia_registry *reg, const ia_registry_query *qin, char **json) {
    ia_registry_query q;
    duckdb_result res;
    cJSON *ids = NULL, *out = NULL, *id;
    ia_status st;
    if (json) *json = NULL;
    if (!reg || !json) return ia_error(IA_ERR_INVALID_ARG, "ia_registry_search: NULL argument");
    ia_registry_query_init(&q, sizeof q);
    if (qin && (st = ia_struct_import(&q, sizeof q, qin, "IA_REGISTRY_QUERY_INIT")) != IA_OK) return st;
    if ((q.n_families && !q.families) || (q.n_hardware && !q.hardware))
        return ia_error(IA_ERR_INVALID_ARG, "ia_registry_search: a count without its list");
    if (q.min_parameters < 0 || q.max_parameters < 0 || (q.max_parameters && q.min_parameters > q.max_parameters))
        return ia_error(IA_ERR_INVALID_ARG, "ia_registry_search: parameter bounds %lld..%lld",
                        (long long)q.min_parameters, (long long)q.max_parameters);
    if (q.min_performance_score > 1)
        return ia_error(IA_ERR_INVALID_ARG, "ia_registry_search: performance scores are in [0, 1]");
    for (size_t i = 0; i < q.n_hardware; i++) {
        char kind[64];
        if (!ia_reg_kind(q.hardware[i], kind, sizeof kind))
            return ia_error(IA_ERR_INVALID_ARG, "ia_registry_search: '%s' is not a hardware name",
                            q.hardware[i] ? q.hardware[i] : "(null)");
    }
    if (duckdb_query(reg->store->con, "SELECT model_id FROM models ORDER BY model_id", &res) != DuckDBSuccess) {
        st = ia_error(IA_ERR_IO, "%s: listing the registry: %s", reg->store->path, duckdb_result_error(&res));
        duckdb_destroy_result(&res);
        return st;
    }
    ids = ia_reg_rows_json(&res);
    duckdb_destroy_result(&res);
    if (!ids || !(out = cJSON_CreateArray())) {
        st = ia_error(IA_ERR_NOMEM, "registry");
        goto done;
    }
    cJSON_ArrayForEach(id, ids) {
        cJSON *e = NULL;
        if ((st = ia_reg_load_entry(reg, str_of(id, "model_id"), &e)) != IA_OK) goto done;
        if ((st = ia_reg_add_measured(reg, e)) != IA_OK) {
            cJSON_Delete(e);
            goto done;
        }
        if (entry_matches(&q, e)) cJSON_AddItemToArray(out, e);
        else cJSON_Delete(e);
    }
    st = (*json = cJSON_PrintUnformatted(out)) ? IA_OK : ia_error(IA_ERR_NOMEM, "registry");
done:
    cJSON_Delete(ids);
    cJSON_Delete(out);
    return st;
}
