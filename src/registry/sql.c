/*
 * sql.c — the registry's DuckDB helpers: prepared statements (values are
 * bound, never spliced into SQL), transactions, and rows to JSON with their
 * types kept (a BOOLEAN stays a boolean, a NULL stays null).
 */
#include <stdlib.h>
#include <string.h>

#include "registry/registry_internal.h"
#include "util/error.h"

ia_status ia_reg_prepare(ia_registry *reg, const char *sql, duckdb_prepared_statement *p) {
    if (duckdb_prepare(reg->store->con, sql, p) != DuckDBSuccess) {
        ia_status st = ia_error(IA_ERR_INTERNAL, "%s: preparing a registry statement: %s", reg->store->path,
                                duckdb_prepare_error(*p));
        duckdb_destroy_prepare(p);
        *p = NULL;
        return st;
    }
    return IA_OK;
}

int ia_reg_bind_str(duckdb_prepared_statement p, idx_t i, const char *v) {
    return (v ? duckdb_bind_varchar(p, i, v) : duckdb_bind_null(p, i)) == DuckDBSuccess;
}

ia_status ia_reg_execute(ia_registry *reg, duckdb_prepared_statement p, const char *what, duckdb_result *res) {
    duckdb_result local;
    duckdb_result *r = res ? res : &local;
    ia_status st = IA_OK;
    if (duckdb_execute_prepared(p, r) != DuckDBSuccess) {
        st = ia_error(IA_ERR_IO, "%s: %s: %s", reg->store->path, what, duckdb_result_error(r));
        duckdb_destroy_result(r);
        if (res) memset(res, 0, sizeof *res);
        return st;
    }
    if (!res) duckdb_destroy_result(&local);
    return IA_OK;
}

ia_status ia_reg_begin(ia_registry *reg) { return ia_store_exec(reg->store, "registry", "BEGIN TRANSACTION"); }
ia_status ia_reg_commit(ia_registry *reg) { return ia_store_exec(reg->store, "registry", "COMMIT"); }

void ia_reg_rollback(ia_registry *reg) {
    duckdb_result res;
    duckdb_query(reg->store->con, "ROLLBACK", &res); /* best effort: the first error is the one reported */
    duckdb_destroy_result(&res);
}

static cJSON *cell(duckdb_result *res, idx_t c, idx_t r) {
    if (duckdb_value_is_null(res, c, r)) return cJSON_CreateNull();
    switch (duckdb_column_type(res, c)) {
    case DUCKDB_TYPE_BOOLEAN:
        return cJSON_CreateBool(duckdb_value_boolean(res, c, r));
    case DUCKDB_TYPE_TINYINT: case DUCKDB_TYPE_SMALLINT: case DUCKDB_TYPE_INTEGER: case DUCKDB_TYPE_BIGINT:
    case DUCKDB_TYPE_UTINYINT: case DUCKDB_TYPE_USMALLINT: case DUCKDB_TYPE_UINTEGER: case DUCKDB_TYPE_UBIGINT:
    case DUCKDB_TYPE_HUGEINT:
        /* a double holds every count and id we store exactly (< 2^53) */
        return cJSON_CreateNumber((double)duckdb_value_int64(res, c, r));
    case DUCKDB_TYPE_FLOAT: case DUCKDB_TYPE_DOUBLE: case DUCKDB_TYPE_DECIMAL:
        return cJSON_CreateNumber(duckdb_value_double(res, c, r));
    default: {
        char *v = duckdb_value_varchar(res, c, r);
        cJSON *s = v ? cJSON_CreateString(v) : NULL;
        duckdb_free(v);
        return s;
    }
    }
}

cJSON *ia_reg_rows_json(duckdb_result *res) {
    cJSON *arr = cJSON_CreateArray();
    idx_t ncol = duckdb_column_count(res), nrow = duckdb_row_count(res);
    if (!arr) return NULL;
    for (idx_t r = 0; r < nrow; r++) {
        cJSON *obj = cJSON_CreateObject();
        if (!obj || !cJSON_AddItemToArray(arr, obj)) {
            cJSON_Delete(obj);
            goto oom;
        }
        for (idx_t c = 0; c < ncol; c++) {
            const char *name = duckdb_column_name(res, c);
            cJSON *item = cell(res, c, r);
            if (!item || !name || !cJSON_AddItemToObject(obj, name, item)) {
                cJSON_Delete(item);
                goto oom;
            }
        }
    }
    return arr;
oom:
    cJSON_Delete(arr);
    return NULL;
}
