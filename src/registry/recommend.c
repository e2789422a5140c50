/*
 * recommend.c — ia_registry_recommend: how to deploy a registered model on
 * this machine, from measured rows when there are any, and saying so when
 * it is a guess.
 *
 * Measured: the model's benchmark rows (by content fingerprint; by name
 * only for an entry registered without a model) from this machine (by
 * machine id) on a device that runs here now, within the requested
 * hardware and batch range. The pick is the configuration with the most
 * items/s (generated tokens/s for decoders) whose p50 latency per call
 * meets the target; when none does, the one with the lowest latency, and
 * the answer says the target is not met. Its figures are the expectation.
 *
 * Otherwise a heuristic, labelled as one: the device from the hardware
 * heuristic (hw/select.c) over the requested kinds that run here, the
 * precision and batch that the entry's declared hardware names for that
 * device (labelled "declared"), else the model's own precision and a rule
 * of thumb for the batch (labelled "heuristic"); no expected figures,
 * since nothing was measured here. Requested hardware that does not run
 * here is listed with the reason and never recommended.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/registry_internal.h"
#include "util/error.h"
#include "util/struct_size.h"

/* The batch the heuristic proposes: 1 under a latency target (a call's
 * latency grows with its batch), else 8 (where batched GEMMs start to pay;
 * hw/select.c's threshold) — then clamped to the requested range. */
#define HEURISTIC_BATCH 8

static const char *str_of(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double num_of(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static int in_strings(const cJSON *arr, const char *s) {
    const cJSON *v;
    cJSON_ArrayForEach(v, arr) if (cJSON_IsString(v) && strcmp(v->valuestring, s) == 0) return 1;
    return 0;
}

static int clamp_batch(int b, const ia_registry_target *t) {
    if (t->max_batch > 0 && b > t->max_batch) b = t->max_batch;
    if (t->min_batch > 0 && b < t->min_batch) b = t->min_batch;
    return b;
}

/* The rate a configuration is ranked by: items/s (embeddings) or
 * generated tokens/s (decoders). NaN when the row has neither. */
static double rate_of(const cJSON *g) {
    const char *kind = str_of(g, "kind");
    if (kind && strcmp(kind, "generate") == 0) return num_of(g, "best_gen_tokens_per_s");
    return num_of(g, "best_items_per_s");
}

/* Fills out's "hardware_considered" and "unusable" from the target; the
 * considered kinds are returned (borrowed from out). */
static ia_status requested_kinds(const ia_registry_target *t, cJSON *out, const cJSON **considered) {
    cJSON *ok = cJSON_AddArrayToObject(out, "hardware_considered");
    cJSON *bad = cJSON_AddArrayToObject(out, "unusable");
    if (!ok || !bad) return ia_error(IA_ERR_NOMEM, "registry");
    if (t->n_hardware == 0) {
        const ia_backend_ops *kinds[16];
        int n = ia_hw_usable_kinds(kinds, 16);
        for (int i = 0; i < n; i++) cJSON_AddItemToArray(ok, cJSON_CreateString(kinds[i]->name));
    }
    for (size_t i = 0; i < t->n_hardware; i++) {
        char kind[64], reason[512];
        if (!ia_reg_kind(t->hardware[i], kind, sizeof kind))
            return ia_error(IA_ERR_INVALID_ARG, "registry: '%s' is not a hardware name",
                            t->hardware[i] ? t->hardware[i] : "(null)");
        if (in_strings(ok, kind)) continue;
        if (ia_hw_kind_usable(kind)) {
            cJSON_AddItemToArray(ok, cJSON_CreateString(kind));
        } else {
            cJSON *u = cJSON_CreateObject();
            ia_hw_absence_reason(kind, reason, sizeof reason);
            cJSON_AddStringToObject(u, "hardware", kind);
            cJSON_AddStringToObject(u, "reason", reason);
            cJSON_AddItemToArray(bad, u);
        }
    }
    *considered = ok;
    return IA_OK;
}

/* The measured configurations this recommendation may use, best first. */
static cJSON *measured_options(const cJSON *entry, const ia_registry_target *t, const cJSON *considered) {
    const cJSON *perf = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(entry, "measured"),
                                                         "performance");
    int by_fingerprint = str_of(entry, "model_fingerprint") != NULL;
    cJSON *opts = cJSON_CreateArray(), *g;
    if (!opts) return NULL;
    cJSON_ArrayForEach(g, perf) {
        const char *kind = str_of(g, "kind"), *dk = str_of(g, "device_kind"), *mb = str_of(g, "matched_by");
        double batch = num_of(g, "batch"), rate = rate_of(g), lat = num_of(g, "latency_ms_p50");
        cJSON *o;
        if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(g, "usable_here"))) continue;
        if (!kind || (strcmp(kind, "embed") != 0 && strcmp(kind, "generate") != 0)) continue;
        if (!dk || !in_strings(considered, dk)) continue;
        if (by_fingerprint && (!mb || strcmp(mb, "fingerprint") != 0)) continue;
        if (!(rate > 0) || !(batch >= 1)) continue;
        if ((t->min_batch > 0 && batch < t->min_batch) || (t->max_batch > 0 && batch > t->max_batch)) continue;
        if (!(o = cJSON_Duplicate(g, 1))) break;
        if (t->max_latency_ms > 0) cJSON_AddBoolToObject(o, "meets_latency_target", lat <= t->max_latency_ms);
        cJSON_AddItemToArray(opts, o);
    }
    /* best first: insertion sort by rate (a handful of rows) */
    {
        int n = cJSON_GetArraySize(opts);
        for (int i = 1; i < n; i++)
            for (int j = i; j > 0 && rate_of(cJSON_GetArrayItem(opts, j)) > rate_of(cJSON_GetArrayItem(opts, j - 1)); j--) {
                cJSON *a = cJSON_DetachItemFromArray(opts, j);
                cJSON_InsertItemInArray(opts, j - 1, a);
            }
    }
    return opts;
}

static const cJSON *pick_measured(const cJSON *opts, const ia_registry_target *t, int *meets) {
    const cJSON *o, *best = NULL, *fastest = NULL;
    *meets = 1;
    cJSON_ArrayForEach(o, opts) {
        double lat = num_of(o, "latency_ms_p50");
        if (t->max_latency_ms > 0) {
            if (lat <= t->max_latency_ms && !best) best = o; /* opts are best-first */
            if (lat == lat && (!fastest || lat < num_of(fastest, "latency_ms_p50"))) fastest = o;
        } else if (!best) {
            best = o;
        }
    }
    if (!best && t->max_latency_ms > 0) {
        *meets = 0;
        best = fastest ? fastest : cJSON_GetArrayItem(opts, 0);
    }
    return best;
}

static void say_measured(cJSON *out, const cJSON *best, const ia_registry_target *t, int meets, const char *db) {
    char why[1024];
    size_t len;
    int gen = str_of(best, "kind") && strcmp(str_of(best, "kind"), "generate") == 0;
    const char *mb = str_of(best, "matched_by");
    double rate = rate_of(best), lat = num_of(best, "latency_ms_p50");
    cJSON_AddStringToObject(out, "basis", "measured");
    cJSON_AddStringToObject(out, "device", str_of(best, "device"));
    cJSON_AddStringToObject(out, "precision", str_of(best, "precision"));
    cJSON_AddStringToObject(out, "precision_basis", "measured");
    cJSON_AddNumberToObject(out, "batch", num_of(best, "batch"));
    cJSON_AddStringToObject(out, "batch_basis", "measured");
    if (num_of(best, "seq_len") == num_of(best, "seq_len")) cJSON_AddNumberToObject(out, "seq_len", num_of(best, "seq_len"));
    cJSON_AddStringToObject(out, "kind", str_of(best, "kind"));
    cJSON_AddNumberToObject(out, gen ? "expected_gen_tokens_per_s" : "expected_items_per_s", rate);
    if (lat == lat) cJSON_AddNumberToObject(out, "expected_latency_ms_p50", lat);
    else cJSON_AddNullToObject(out, "expected_latency_ms_p50");
    if (t->max_latency_ms > 0) cJSON_AddBoolToObject(out, "meets_latency_target", meets);
    cJSON_AddNumberToObject(out, "run_id", num_of(best, "run_id"));
    cJSON_AddNumberToObject(out, "result_id", num_of(best, "result_id"));
    cJSON_AddStringToObject(out, "matched_by", mb ? mb : "");
    len = (size_t)snprintf(why, sizeof why, "measured: %s ran it at %s, batch %.0f%s%.0f, at %.1f %s with a p50 of %.2f ms "
                           "per call (run %.0f, result %.0f in %s; rows of %s on this machine)", str_of(best, "device"),
                           str_of(best, "precision"), num_of(best, "batch"), gen ? ", prompt " : ", seq_len ",
                           num_of(best, "seq_len"), rate, gen ? "generated tokens/s" : "items/s", lat,
                           num_of(best, "run_id"), num_of(best, "result_id"), db,
                           mb && strcmp(mb, "fingerprint") == 0 ? "this model's content" : "a model of this name");
    if (t->max_latency_ms > 0 && len < sizeof why)
        snprintf(why + len, sizeof why - len, meets ? "; the fastest configuration within %.3g ms"
                 : "; no measured configuration meets %.3g ms: this is the lowest latency measured", t->max_latency_ms);
    cJSON_AddStringToObject(out, "why", why);
}

static ia_status say_heuristic(cJSON *out, const cJSON *entry, const ia_registry_target *t, const cJSON *considered,
                               const char *db) {
    ia_hw_candidate all[32], c[32];
    int n_all = ia_hw_candidates(all, 32), n = 0, pick, batch;
    char pick_why[768], why[1536], device[96], kind[64];
    const cJSON *declared = cJSON_GetObjectItemCaseSensitive(entry, "declared_hardware"), *d;
    double bytes = num_of(entry, "bytes"), dbatch;
    const char *prec, *dprec, *source = str_of(entry, "source");
    const char *prec_basis, *batch_basis;
    size_t len;

    for (int i = 0; i < n_all; i++)
        if (in_strings(considered, all[i].kind)) c[n++] = all[i];
    batch = clamp_batch(t->max_latency_ms > 0 ? 1 : HEURISTIC_BATCH, t);
    pick = ia_hw_pick(c, n, batch, bytes == bytes ? (long long)bytes : 0, pick_why, sizeof pick_why);
    if (pick < 0) {
        cJSON_AddStringToObject(out, "basis", "none");
        cJSON_AddNullToObject(out, "device");
        cJSON_AddStringToObject(out, "why", pick_why);
        return IA_OK;
    }
    if (c[pick].device == 0) snprintf(device, sizeof device, "%s", c[pick].kind);
    else snprintf(device, sizeof device, "%s:%d", c[pick].kind, c[pick].device);
    ia_reg_kind(device, kind, sizeof kind);
    d = cJSON_GetObjectItemCaseSensitive(declared, kind);
    dprec = str_of(d, "recommended_precision");
    dbatch = num_of(d, "recommended_batch_size");
    prec = dprec ? dprec : str_of(entry, "precision");
    prec_basis = dprec ? "declared" : "registered";
    if (dbatch >= 1) {
        batch = clamp_batch((int)dbatch, t);
        batch_basis = batch == (int)dbatch ? "declared" : "declared, clamped to the requested range";
    } else {
        batch_basis = "heuristic";
    }
    cJSON_AddStringToObject(out, "basis", "heuristic");
    cJSON_AddStringToObject(out, "device", device);
    if (prec) cJSON_AddStringToObject(out, "precision", prec);
    else cJSON_AddNullToObject(out, "precision");
    cJSON_AddStringToObject(out, "precision_basis", prec ? prec_basis : "unknown");
    cJSON_AddNumberToObject(out, "batch", batch);
    cJSON_AddStringToObject(out, "batch_basis", batch_basis);
    cJSON_AddNullToObject(out, "expected_items_per_s");
    cJSON_AddNullToObject(out, "expected_latency_ms_p50");
    if (t->max_latency_ms > 0) cJSON_AddNullToObject(out, "meets_latency_target");
    len = (size_t)snprintf(why, sizeof why, "%s; a guess: no measured rows of this model on this machine%s in %s, "
                           "so no figures are expected; precision %s (%s), batch %d (%s%s). ", pick_why,
                           t->n_hardware ? " on the requested hardware" : "", db, prec ? prec : "unknown",
                           dprec ? "as declared for this device" : "the model's own", batch,
                           dbatch >= 1 ? "as declared for this device" : "rule of thumb",
                           dbatch >= 1 || !(t->max_latency_ms > 0) ? "" : ": one item a call keeps latency lowest");
    if (len < sizeof why) {
        if (str_of(entry, "model_fingerprint") && source)
            snprintf(why + len, sizeof why - len, "`ipfs-accelerate bench --model %s --db %s` measures it", source, db);
        else
            snprintf(why + len, sizeof why - len, "Register the model's files (not only a declaration) and benchmark "
                     "them to measure it");
    }
    cJSON_AddStringToObject(out, "why", why);
    return IA_OK;
}

ia_status ia_registry_recommend(ia_registry *reg, const char *model_id, const ia_registry_target *tin, char **json) {
    ia_registry_target t;
    cJSON *entry = NULL, *out = NULL, *opts = NULL, *unusable;
    const cJSON *considered = NULL, *best;
    ia_status st;
    int meets = 1;

    if (json) *json = NULL;
    if (!reg || !model_id || !json) return ia_error(IA_ERR_INVALID_ARG, "ia_registry_recommend: NULL argument");
    ia_registry_target_init(&t, sizeof t);
    if (tin && (st = ia_struct_import(&t, sizeof t, tin, "IA_REGISTRY_TARGET_INIT")) != IA_OK) return st;
    if (!(t.max_latency_ms >= 0) || t.min_batch < 0 || t.max_batch < 0 ||
        (t.max_batch > 0 && t.min_batch > t.max_batch) || (t.n_hardware && !t.hardware))
        return ia_error(IA_ERR_INVALID_ARG, "ia_registry_recommend: latency %g ms, batch %d..%d: out of range",
                        t.max_latency_ms, t.min_batch, t.max_batch);
    if ((st = ia_reg_load_entry(reg, model_id, &entry)) != IA_OK) return st;
    if ((st = ia_reg_add_measured(reg, entry)) != IA_OK) goto done;
    if (!(out = cJSON_CreateObject())) goto oom;
    cJSON_AddStringToObject(out, "model_id", model_id);
    cJSON_AddStringToObject(out, "machine_id", ia_reg_machine(reg));
    cJSON_AddStringToObject(out, "database", reg->store->path);
    if ((st = requested_kinds(&t, out, &considered)) != IA_OK) goto done;
    unusable = cJSON_GetObjectItemCaseSensitive(out, "unusable");

    if (cJSON_GetArraySize(considered) == 0) {
        char why[1024];
        size_t len = (size_t)snprintf(why, sizeof why, "none of the requested hardware runs here");
        const cJSON *u;
        cJSON_ArrayForEach(u, unusable) if (len < sizeof why)
            len += (size_t)snprintf(why + len, sizeof why - len, "; %s: %s", str_of(u, "hardware"), str_of(u, "reason"));
        cJSON_AddStringToObject(out, "basis", "none");
        cJSON_AddNullToObject(out, "device");
        cJSON_AddStringToObject(out, "why", why);
        cJSON_AddItemToObject(out, "options", cJSON_CreateArray());
    } else {
        if (!(opts = measured_options(entry, &t, considered))) goto oom;
        if ((best = pick_measured(opts, &t, &meets)) != NULL) say_measured(out, best, &t, meets, reg->store->path);
        else if ((st = say_heuristic(out, entry, &t, considered, reg->store->path)) != IA_OK) goto done;
        cJSON_AddItemToObject(out, "options", opts);
        opts = NULL;
    }
    cJSON_AddItemToObject(out, "declared_hardware",
                          cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(entry, "declared_hardware"), 1));
    if (!(*json = cJSON_PrintUnformatted(out))) goto oom;
    st = IA_OK;
    goto done;
oom:
    st = ia_error(IA_ERR_NOMEM, "registry");
done:
    cJSON_Delete(entry);
    cJSON_Delete(out);
    cJSON_Delete(opts);
    return st;
}
