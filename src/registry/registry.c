/*
 * registry.c — the model registry's handle and its writes: open (the
 * benchmark store's open: the registry's tables are schema v6 of the same
 * DuckDB file), register, remove, and the defaults of the caller-filled
 * structs.
 *
 * Registering a model opens it (on the CPU, one thread: mapping the
 * weights, nothing computed) so that family, parameters, precision, bytes
 * and the content fingerprint are read from the model itself rather than
 * typed by hand; the fingerprint is what ties the entry to its benchmark
 * rows. What the caller says (task, licence, source, metadata, hardware
 * compatibility) is checked for form and stored as declared.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "formats/cid.h"
#include "formats/model_id.h"
#include "registry/registry_internal.h"
#include "util/error.h"
#include "util/struct_size.h"

#define MAX_ID 512    /* model ids and other short fields: bytes */
#define MAX_TEXT 65536 /* descriptions, metadata: bytes */

void ia_registry_entry_init(ia_registry_entry *e, size_t struct_size) {
    ia_registry_entry d;
    memset(&d, 0, sizeof d);
    d.struct_size = sizeof d;
    if (e) ia_struct_export(e, struct_size, &d, sizeof d);
}

void ia_registry_query_init(ia_registry_query *q, size_t struct_size) {
    ia_registry_query d;
    memset(&d, 0, sizeof d);
    d.struct_size = sizeof d;
    d.min_performance_score = -1;
    if (q) ia_struct_export(q, struct_size, &d, sizeof d);
}

void ia_registry_target_init(ia_registry_target *t, size_t struct_size) {
    ia_registry_target d;
    memset(&d, 0, sizeof d);
    d.struct_size = sizeof d;
    if (t) ia_struct_export(t, struct_size, &d, sizeof d);
}

ia_status ia_registry_open(const char *db_path, int flags, ia_registry **out) {
    char path[4096];
    ia_registry *reg = NULL;
    ia_status st;
    FILE *f;
    if (!out) return ia_error(IA_ERR_INVALID_ARG, "ia_registry_open: out is NULL");
    *out = NULL;
    if (flags & ~IA_REGISTRY_OPEN_EXISTING) return ia_error(IA_ERR_INVALID_ARG, "ia_registry_open: unknown flags %d", flags);
    if (!db_path || !*db_path) {
        /* the default's parent directories are made only for a database
         * this call may create */
        if ((st = ia_bench_db_path(path, sizeof path, !(flags & IA_REGISTRY_OPEN_EXISTING))) != IA_OK) return st;
    } else if (snprintf(path, sizeof path, "%s", db_path) >= (int)sizeof path) {
        return ia_error(IA_ERR_INVALID_ARG, "registry database path is too long");
    }
    if ((flags & IA_REGISTRY_OPEN_EXISTING) && strcmp(path, ":memory:") != 0) {
        if (!(f = fopen(path, "rb"))) return ia_error(IA_ERR_NOT_FOUND, "no registry database at %s", path);
        fclose(f);
    }
    if (!(reg = calloc(1, sizeof *reg))) return ia_error(IA_ERR_NOMEM, "registry");
    if ((st = ia_bench_store_open(path, &reg->store)) != IA_OK) {
        free(reg);
        return st;
    }
    *out = reg;
    return IA_OK;
}

void ia_registry_close(ia_registry *reg) {
    if (!reg) return;
    ia_bench_store_close(reg->store);
    free(reg);
}

/* A short text field: at most `max` bytes, no control characters. */
static ia_status check_text(const char *what, const char *v, size_t max) {
    size_t n;
    if (!v) return IA_OK;
    n = strlen(v);
    if (n == 0) return ia_error(IA_ERR_INVALID_ARG, "registry: %s is empty", what);
    if (n > max) return ia_error(IA_ERR_INVALID_ARG, "registry: %s is %zu bytes (at most %zu)", what, n, max);
    for (const char *c = v; *c; c++)
        if ((unsigned char)*c < 0x20 && *c != '\n' && *c != '\t')
            return ia_error(IA_ERR_INVALID_ARG, "registry: %s holds a control character", what);
    if (max <= MAX_ID && (strchr(v, '\n') || strchr(v, '\t')))
        return ia_error(IA_ERR_INVALID_ARG, "registry: %s holds a line break or tab", what);
    return IA_OK;
}

/* What registering writes, gathered and checked before the transaction. */
typedef struct entry_row {
    char model_id[MAX_ID + 1];
    const char *family, *precision, *licence, *source, *description;
    int64_t parameters, bytes; /* 0 = unknown (NULL) */
    char fingerprint[IA_MODEL_FINGERPRINT_LEN + 1];
    char family_buf[64], precision_buf[64], source_buf[4096];
    char cid_buf[IA_CID_TEXT_MAX]; /* the model's CID, computed from its files */
    const char *cid;               /* cid_buf, the declared CID, or NULL */
    int inspected;
    char *metadata;   /* JSON text or NULL; owned */
    cJSON *declared;  /* normalised hardware object or NULL; owned */
} entry_row;

/* The CID of the model's files (a directory as `ipfs add -r`, a file as
 * `ipfs add`), the one `declared` names when given, else kubo's default.
 * A declared CIDv1 may have been made with `--cid-version 1` or the
 * unixfs-v1-2025 profile: both are tried. A declared CID that none of them
 * gives does not name these files, and is refused. */
static ia_status model_cid(const char *path, const char *declared, char *out, size_t cap) {
    static const struct { const char *profile; int cid_version; } WAYS[] = {
        {NULL, -1}, {NULL, 1}, {"unixfs-v1-2025", -1}};
    ia_cid want;
    ia_status st;
    int v1 = 0;
    if (declared) {
        if ((st = ia_reg_check_cid(declared)) != IA_OK) return ia_error_prefix(st, "registry");
        ia_cid_parse(declared, &want);
        v1 = want.version == 1;
    }
    for (size_t i = v1 ? 1 : 0; i < (v1 ? 3 : 1); i++) {
        ia_unixfs_options o;
        ia_cid got;
        IA_UNIXFS_OPTIONS_INIT(&o);
        o.profile = WAYS[i].profile;
        o.cid_version = WAYS[i].cid_version;
        if ((st = ia_unixfs_add_path(path, &o, out, cap)) != IA_OK)
            return ia_error_prefix(st, "registry: computing the CID of %s", path);
        if (!declared || (ia_cid_parse(out, &got) == IA_OK && ia_cid_equal(&got, &want))) return IA_OK;
    }
    return ia_error(IA_ERR_INVALID_ARG, "registry: the CID given, %.80s, does not name the files of %s (they are %s "
                    "as ipfs add%s computes it)", declared, path, out, v1 ? " --cid-version 1" : "");
}

/* Opens the model and reads what it says of itself. */
static ia_status inspect(const ia_registry_entry *e, entry_row *row) {
    ia_model_options o;
    ia_model *m = NULL;
    char dir[4096];
    ia_status st;
    IA_MODEL_OPTIONS_INIT(&o);
    o.device = "cpu"; /* reading the model needs no accelerator, and must not choose one */
    o.threads = 1;
    if ((st = ia_model_resolve(e->model_path, dir, sizeof dir)) != IA_OK) return st;
    if ((st = ia_model_open(e->model_path, &o, &m)) != IA_OK)
        return ia_error_prefix(st, "registry: reading the model %s", e->model_path);
    snprintf(row->family_buf, sizeof row->family_buf, "%s", ia_model_family(m));
    snprintf(row->precision_buf, sizeof row->precision_buf, "%s", ia_model_precision(m));
    row->parameters = ia_model_parameter_count(m);
    row->bytes = ia_model_weight_bytes(m);
    if (!e->model_id) snprintf(row->model_id, sizeof row->model_id, "%s", ia_model_name(m));
    ia_model_free(m);
    if ((st = ia_model_fingerprint(dir, row->fingerprint)) != IA_OK) return st;
    if (e->family && strcasecmp(e->family, row->family_buf) != 0)
        return ia_error(IA_ERR_INVALID_ARG, "registry: the family given is '%s' but %s is run by the '%s' family "
                        "(leave the family out: it is read from the model)", e->family, e->model_path, row->family_buf);
    if (e->parameters || e->precision)
        return ia_error(IA_ERR_INVALID_ARG, "registry: parameters and precision are read from the model; give them "
                        "only for an entry without a model");
    row->family = row->family_buf;
    row->precision = row->precision_buf;
    snprintf(row->source_buf, sizeof row->source_buf, "%s", dir);
    row->source = e->source ? e->source : row->source_buf;
    if ((st = model_cid(dir, e->cid, row->cid_buf, sizeof row->cid_buf)) != IA_OK) return st;
    row->cid = e->cid ? e->cid : row->cid_buf;
    row->inspected = 1;
    return IA_OK;
}

/* *s <- a copy of *s (NULL stays NULL); 0 when out of memory. */
static int dup_into(const char **s) {
    char *c;
    if (!*s) return 1;
    c = strdup(*s);
    *s = c;
    return c != NULL;
}

/* Fills row from e: the model's own figures, then the declared fields. */
static ia_status gather(const ia_registry_entry *e, entry_row *row) {
    ia_status st;
    cJSON *meta = NULL, *hw = NULL;
    const cJSON *v;
    int ok;
    if (e->model_id && (st = check_text("model_id", e->model_id, MAX_ID)) != IA_OK) return st;
    if (e->model_id) snprintf(row->model_id, sizeof row->model_id, "%s", e->model_id);
    if ((st = check_text("task", e->task, MAX_ID)) != IA_OK || (st = check_text("family", e->family, 63)) != IA_OK ||
        (st = check_text("licence", e->licence, MAX_ID)) != IA_OK ||
        (st = check_text("source", e->source, 4095)) != IA_OK ||
        (st = check_text("description", e->description, MAX_TEXT)) != IA_OK ||
        (st = check_text("precision", e->precision, 63)) != IA_OK)
        return st;
    if (e->cid && (st = ia_reg_check_cid(e->cid)) != IA_OK) return ia_error_prefix(st, "registry");
    if (e->parameters < 0) return ia_error(IA_ERR_INVALID_ARG, "registry: parameters is negative");
    if (e->model_path) {
        if ((st = inspect(e, row)) != IA_OK) return st;
    } else {
        ia_precision p = IA_PRECISION_FP32;
        if (!e->model_id)
            return ia_error(IA_ERR_INVALID_ARG, "registry: an entry without a model needs a model_id");
        if (e->precision && ia_precision_parse(e->precision, &p) != IA_OK) return ia_error_prefix(IA_ERR_INVALID_ARG, "registry");
        row->family = e->family;
        row->precision = e->precision ? ia_precision_name(p) : NULL;
        row->parameters = e->parameters;
        row->source = e->source;
        row->cid = e->cid;
    }
    row->licence = e->licence;
    row->description = e->description;
    if (e->metadata_json) {
        if (strlen(e->metadata_json) > MAX_TEXT)
            return ia_error(IA_ERR_INVALID_ARG, "registry: metadata is over %d bytes", MAX_TEXT);
        if (!(meta = cJSON_Parse(e->metadata_json)) || !cJSON_IsObject(meta)) {
            cJSON_Delete(meta);
            return ia_error(IA_ERR_INVALID_ARG, "registry: metadata is not a JSON object");
        }
        /* the seed's example puts description and licence in metadata */
        if (!row->description && cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(meta, "description")))
            row->description = v->valuestring;
        if (!row->licence && (cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(meta, "license")) ||
                              cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(meta, "licence"))))
            row->licence = v->valuestring;
        row->metadata = cJSON_PrintUnformatted(meta);
    }
    /* row owns its copies (the metadata's strings die with meta) */
    ok = dup_into(&row->description);
    ok &= dup_into(&row->licence);
    cJSON_Delete(meta);
    if (!ok || (e->metadata_json && !row->metadata)) return ia_error(IA_ERR_NOMEM, "registry");
    if ((st = check_text("description", row->description, MAX_TEXT)) != IA_OK ||
        (st = check_text("licence", row->licence, MAX_ID)) != IA_OK)
        return st;
    if (e->hardware_json) {
        if (!(hw = cJSON_Parse(e->hardware_json))) return ia_error(IA_ERR_INVALID_ARG, "registry: hardware compatibility is not JSON");
        st = ia_reg_check_declared(hw, &row->declared);
        cJSON_Delete(hw);
        if (st != IA_OK) return ia_error_prefix(st, "registry");
    }
    return IA_OK;
}

static void row_free(entry_row *row) {
    free(row->metadata);
    free((void *)row->description);
    free((void *)row->licence);
    cJSON_Delete(row->declared);
}

static int bind_i64_or_null(duckdb_prepared_statement p, idx_t i, int64_t v) {
    return (v > 0 ? duckdb_bind_int64(p, i, v) : duckdb_bind_null(p, i)) == DuckDBSuccess;
}

static ia_status insert_entry(ia_registry *reg, const ia_registry_entry *e, const entry_row *row) {
    duckdb_prepared_statement p = NULL;
    duckdb_result res;
    struct timespec now;
    duckdb_timestamp ts;
    int ok = 1, exists;
    ia_status st;
    const cJSON *h;

    if ((st = ia_reg_prepare(reg, "SELECT count(*) FROM models WHERE model_id = ?", &p)) != IA_OK) return st;
    if (!ia_reg_bind_str(p, 1, row->model_id)) goto bind_fail;
    if ((st = ia_reg_execute(reg, p, "looking the model up", &res)) != IA_OK) goto done;
    exists = duckdb_value_int64(&res, 0, 0) > 0;
    duckdb_destroy_result(&res);
    duckdb_destroy_prepare(&p);
    if (exists && !e->replace)
        return ia_error(IA_ERR_INVALID_ARG, "registry: '%s' is already registered (replace it, or remove it first)",
                        row->model_id);
    if (exists) {
        static const char *const del[] = {"DELETE FROM model_hardware_declared WHERE model_id = ?",
                                          "DELETE FROM models WHERE model_id = ?"};
        for (int i = 0; i < 2; i++) {
            if ((st = ia_reg_prepare(reg, del[i], &p)) != IA_OK) return st;
            if (!ia_reg_bind_str(p, 1, row->model_id)) goto bind_fail;
            if ((st = ia_reg_execute(reg, p, "replacing the entry", NULL)) != IA_OK) goto done;
            duckdb_destroy_prepare(&p);
        }
    }

    clock_gettime(CLOCK_REALTIME, &now);
    ts.micros = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
    st = ia_reg_prepare(reg, "INSERT INTO models (model_id, cid, family, task, parameters, precision, licence, source,"
                             " description, registered_at, bytes, metadata, model_fingerprint, inspected)"
                             " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &p);
    if (st != IA_OK) return st;
    ok &= ia_reg_bind_str(p, 1, row->model_id);
    ok &= ia_reg_bind_str(p, 2, row->cid);
    ok &= ia_reg_bind_str(p, 3, row->family);
    ok &= ia_reg_bind_str(p, 4, e->task);
    ok &= bind_i64_or_null(p, 5, row->parameters);
    ok &= ia_reg_bind_str(p, 6, row->precision);
    ok &= ia_reg_bind_str(p, 7, row->licence);
    ok &= ia_reg_bind_str(p, 8, row->source);
    ok &= ia_reg_bind_str(p, 9, row->description);
    ok &= duckdb_bind_timestamp(p, 10, ts) == DuckDBSuccess;
    ok &= bind_i64_or_null(p, 11, row->bytes);
    ok &= ia_reg_bind_str(p, 12, row->metadata);
    ok &= ia_reg_bind_str(p, 13, row->inspected ? row->fingerprint : NULL);
    ok &= duckdb_bind_boolean(p, 14, row->inspected) == DuckDBSuccess;
    if (!ok) goto bind_fail;
    if ((st = ia_reg_execute(reg, p, "inserting the model", NULL)) != IA_OK) goto done;
    duckdb_destroy_prepare(&p);

    cJSON_ArrayForEach(h, row->declared) {
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(h, "supported"),
                    *sc = cJSON_GetObjectItemCaseSensitive(h, "performance_score"),
                    *b = cJSON_GetObjectItemCaseSensitive(h, "recommended_batch_size"),
                    *pr = cJSON_GetObjectItemCaseSensitive(h, "recommended_precision");
        st = ia_reg_prepare(reg, "INSERT INTO model_hardware_declared (model_id, hardware, supported, performance_score,"
                                 " recommended_batch_size, recommended_precision) VALUES (?, ?, ?, ?, ?, ?)", &p);
        if (st != IA_OK) return st;
        ok &= ia_reg_bind_str(p, 1, row->model_id);
        ok &= ia_reg_bind_str(p, 2, h->string);
        ok &= (s ? duckdb_bind_boolean(p, 3, cJSON_IsTrue(s)) : duckdb_bind_null(p, 3)) == DuckDBSuccess;
        ok &= (sc ? duckdb_bind_double(p, 4, sc->valuedouble) : duckdb_bind_null(p, 4)) == DuckDBSuccess;
        ok &= (b ? duckdb_bind_int32(p, 5, (int32_t)b->valuedouble) : duckdb_bind_null(p, 5)) == DuckDBSuccess;
        ok &= ia_reg_bind_str(p, 6, pr ? pr->valuestring : NULL);
        if (!ok) goto bind_fail;
        if ((st = ia_reg_execute(reg, p, "inserting declared hardware", NULL)) != IA_OK) goto done;
        duckdb_destroy_prepare(&p);
    }
    return IA_OK;

bind_fail:
    st = ia_error(IA_ERR_INTERNAL, "%s: registry: binding failed", reg->store->path);
done:
    if (p) duckdb_destroy_prepare(&p);
    return st;
}

ia_status ia_registry_register(ia_registry *reg, const ia_registry_entry *ein, char **json) {
    ia_registry_entry e;
    entry_row row;
    ia_status st;
    if (json) *json = NULL;
    if (!reg || !ein) return ia_error(IA_ERR_INVALID_ARG, "ia_registry_register: NULL argument");
    ia_registry_entry_init(&e, sizeof e);
    if ((st = ia_struct_import(&e, sizeof e, ein, "IA_REGISTRY_ENTRY_INIT")) != IA_OK) return st;
    if (!e.model_path && !e.model_id)
        return ia_error(IA_ERR_INVALID_ARG, "ia_registry_register: give a model path or a model_id");
    memset(&row, 0, sizeof row);
    if ((st = gather(&e, &row)) != IA_OK) goto done;
    if ((st = ia_reg_begin(reg)) != IA_OK) goto done;
    if ((st = insert_entry(reg, &e, &row)) != IA_OK) {
        ia_reg_rollback(reg);
        goto done;
    }
    if ((st = ia_reg_commit(reg)) != IA_OK) {
        ia_reg_rollback(reg);
        goto done;
    }
    if (json) st = ia_registry_info(reg, row.model_id, json);
done:
    row_free(&row);
    return st;
}

ia_status ia_registry_remove(ia_registry *reg, const char *model_id) {
    static const char *const del[] = {"DELETE FROM model_hardware_declared WHERE model_id = ?",
                                      "DELETE FROM models WHERE model_id = ? RETURNING model_id"};
    duckdb_prepared_statement p = NULL;
    duckdb_result res;
    idx_t removed = 0;
    ia_status st;
    if (!reg || !model_id) return ia_error(IA_ERR_INVALID_ARG, "ia_registry_remove: NULL argument");
    if ((st = ia_reg_begin(reg)) != IA_OK) return st;
    for (int i = 0; i < 2; i++) {
        if ((st = ia_reg_prepare(reg, del[i], &p)) != IA_OK) goto fail;
        if (!ia_reg_bind_str(p, 1, model_id)) {
            st = ia_error(IA_ERR_INTERNAL, "%s: registry: binding failed", reg->store->path);
            goto fail;
        }
        if ((st = ia_reg_execute(reg, p, "removing the model", &res)) != IA_OK) goto fail;
        if (i == 1) removed = duckdb_row_count(&res);
        duckdb_destroy_result(&res);
        duckdb_destroy_prepare(&p);
    }
    if (removed == 0) {
        char shown[128];
        st = ia_error(IA_ERR_NOT_FOUND, "no model '%s' in the registry at %s", ia_shown_name(model_id, shown, sizeof shown),
                      reg->store->path);
        goto fail;
    }
    return ia_reg_commit(reg);
fail:
    if (p) duckdb_destroy_prepare(&p);
    ia_reg_rollback(reg);
    return st;
}
