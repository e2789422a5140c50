/*
 * import_rows.h — reading an exported results file back into rows: the
 * CSV that ia_benchmark_export / `ipfs-accelerate results --format csv`
 * writes, or JSON (the array of row objects `results --format json` prints,
 * or one object per line as ia_benchmark_export's "json" writes).
 *
 * Every cell is checked against its column's type here, before anything
 * touches a database, so a malformed file is refused naming the line and
 * the field. Private to src/bench/.
 */
#ifndef IA_BENCH_IMPORT_ROWS_H
#define IA_BENCH_IMPORT_ROWS_H

#include <stddef.h>

#include "ipfs_accelerate.h"

typedef enum ia_col_type {
    IA_COL_BIGINT,    /* 64-bit integer */
    IA_COL_INTEGER,   /* 32-bit integer */
    IA_COL_DOUBLE,
    IA_COL_VARCHAR,
    IA_COL_TIMESTAMP, /* DuckDB's text form: YYYY-MM-DD HH:MM:SS[.ffffff] */
} ia_col_type;

typedef struct ia_export_col {
    const char *name; /* as the export's header / JSON keys name it */
    ia_col_type type; /* the DuckDB column's type (store_schema.c) */
    int of_run;       /* 1: the run's column (runs table), repeated on each of its rows */
} ia_export_col;

/* The columns of an export, in its order (store_query.c's ALL_COLUMNS:
 * a result row joined with its run; run_status is runs.status). */
extern const ia_export_col ia_export_columns[];
extern const size_t ia_n_export_columns;

/* Index of a column by name, or -1. */
int ia_export_column_index(const char *name);

typedef struct ia_import_rows {
    size_t n_rows;
    char **cells;   /* n_rows x ia_n_export_columns; NULL = SQL NULL (or a column the file lacks) */
    size_t *line;   /* the line of the file each row starts on (1-based) */
    int *present;   /* per column: 1 if the file has it */
    size_t *run_of; /* per row: the first row of its run (ia_import_rows_check) */
} ia_import_rows;

/* Reads path (".csv" or ".json", by its name) into *out, every cell checked
 * against its column's type: integers in range, numbers that parse whole,
 * timestamps that are dates. Columns may be missing (their cells are NULL)
 * but model, backend and precision are required, and a name that is not a
 * column of the export is refused. Then ia_import_rows_check. Errors are
 * IA_ERR_FORMAT naming the file, the line and the field; *out is then
 * empty. Free with ia_import_rows_free (NULL-safe, also after a failure). */
ia_status ia_import_rows_read(const char *path, ia_import_rows *out);

/* The rules a row must keep to be stored, checked before any database is
 * opened: model, backend and precision present, kind embed, generate or serve,
 * run_status one of running/complete/failed/unknown, started_at present
 * where the column is, and the rows of one run (same run_id) agreeing on
 * the run's columns. Fills r->run_of. IA_ERR_FORMAT naming path's line and
 * field. */
ia_status ia_import_rows_check(ia_import_rows *r, const char *path);
void ia_import_rows_free(ia_import_rows *r);

/* The cell of row i, column c (NULL = SQL NULL). */
static inline const char *ia_import_cell(const ia_import_rows *r, size_t i, int c) {
    return r->cells[i * ia_n_export_columns + (size_t)c];
}

/* 1 for a result kind the store keeps: "embed", "generate" (text
 * generation rows) or "serve" (a server under load). Here, not in the
 * store, because the wasm32 build has the import checks but no store. */
int ia_bench_kind_known(const char *kind);

#endif
