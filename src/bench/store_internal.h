/*
 * store_internal.h — what the benchmark store's files share: the handle's
 * layout and the small DuckDB helpers (run a statement, report its error).
 * Private to src/bench/store*.c and src/registry/ (whose tables share the
 * file, its connection and its schema); users see only store.h.
 */
#ifndef IA_BENCH_STORE_INTERNAL_H
#define IA_BENCH_STORE_INTERNAL_H

#include <duckdb.h>

#include "bench/store.h"

struct ia_bench_store {
    duckdb_database db;
    duckdb_connection con;
    char *path; /* for error messages */
};

/* Runs sql (no parameters, result discarded). A DuckDB failure is
 * IA_ERR_IO with "path: what: DuckDB's error". */
ia_status ia_store_exec(ia_bench_store *s, const char *what, const char *sql);

/* Brings the schema of a freshly connected database to
 * IA_BENCH_SCHEMA_VERSION: creates it in an empty database, migrates an older
 * one step by step in one transaction, refuses a newer or foreign one with
 * IA_ERR_FORMAT. store_schema.c. */
ia_status ia_store_migrate(ia_bench_store *s);

/* Migrates only up to schema version `target` (tests of the migrations). */
ia_status ia_store_migrate_to(ia_bench_store *s, int target);

/* Creates path (or migrates it) up to schema version `version` only, so
 * tests can make the files an older build wrote. */
ia_status ia_bench_store_create_version(const char *path, int version);

#endif
