/*
 * db_count.h — the first value of one SQL query against a closed DuckDB
 * file, opened raw (not through the store), for tests that check what the
 * store or the registry wrote. -1 when the file or the query fails.
 */
#ifndef IA_TEST_DB_COUNT_H
#define IA_TEST_DB_COUNT_H

#include <duckdb.h>
#include <stdint.h>

static inline int64_t ia_test_db_count(const char *path, const char *sql) {
    duckdb_database db;
    duckdb_connection con;
    duckdb_result res;
    int64_t n = -1;
    if (duckdb_open(path, &db) != DuckDBSuccess) return -1;
    if (duckdb_connect(db, &con) == DuckDBSuccess) {
        if (duckdb_query(con, sql, &res) == DuckDBSuccess) n = duckdb_value_int64(&res, 0, 0);
        duckdb_destroy_result(&res);
        duckdb_disconnect(&con);
    }
    duckdb_close(&db);
    return n;
}

#endif
