/*
 * registry_internal.h — what the model registry's files share: the handle
 * (a benchmark store connection: the registry's tables live in the same
 * DuckDB file, schema v6 of src/bench/store_schema.c), the SQL helpers,
 * and the small rules about names (hardware kinds, CID text).
 * Private to src/registry/; users see ia_registry_* in ipfs_accelerate.h.
 */
#ifndef IA_REGISTRY_INTERNAL_H
#define IA_REGISTRY_INTERNAL_H

#include <cjson/cJSON.h>
#include <duckdb.h>

#include "bench/store_internal.h"
#include "hw/hw.h"
#include "ipfs_accelerate.h"

struct ia_registry {
    ia_bench_store *store;                 /* connection, path, schema */
    char machine[IA_MACHINE_ID_LEN + 1];   /* this machine's id; "" until asked */
};

/* ---- SQL (sql.c) ---- */

/* Prepares sql on reg's connection; a failure is IA_ERR_INTERNAL with
 * DuckDB's message. */
ia_status ia_reg_prepare(ia_registry *reg, const char *sql, duckdb_prepared_statement *p);

/* Binds a string (NULL binds SQL NULL). */
int ia_reg_bind_str(duckdb_prepared_statement p, idx_t i, const char *v);

/* Runs a bound statement; res (may be NULL: discarded) receives the rows,
 * which the caller then destroys. */
ia_status ia_reg_execute(ia_registry *reg, duckdb_prepared_statement p, const char *what, duckdb_result *res);

/* BEGIN / COMMIT / best-effort ROLLBACK. */
ia_status ia_reg_begin(ia_registry *reg);
ia_status ia_reg_commit(ia_registry *reg);
void ia_reg_rollback(ia_registry *reg);

/* The rows of res as a JSON array of objects keyed by column name:
 * integers and doubles as numbers, BOOLEAN as true/false, NULL as null,
 * the rest (text, timestamps) as strings. NULL on allocation failure. */
cJSON *ia_reg_rows_json(duckdb_result *res);

/* ---- names (names.c) ---- */

/* The device kind a device or hardware name stands for, lower-cased and
 * with the probes' aliases resolved: "CUDA:1" -> "cuda", "gpu" -> "cuda",
 * "qnn" -> "qualcomm", "mps" -> "apple"; a remote endpoint URL -> "remote".
 * Writes at most cap bytes; 0 when the name is empty or too long. */
int ia_reg_kind(const char *name, char *out, size_t cap);

/* 1 when device "kind" or "kind:N" runs models here now: a usable kind
 * (registered, its probe says it runs, not the ref oracle) with at least
 * N + 1 devices. */
int ia_reg_device_runs_here(const char *device);

/* Loose check of an IPFS CID's text form, until src/formats/ parses CIDs:
 * CIDv0 is "Qm" + 44 base58btc characters; CIDv1 in base32 is "b" + at
 * least 8 characters of [a-z2-7]. IA_ERR_INVALID_ARG saying which rule
 * failed. Swap for a real parser when there is one. */
ia_status ia_reg_check_cid(const char *cid);

/* Checks and normalises a declared hardware compatibility object (see
 * ia_registry_entry.hardware_json): keys are hardware names (normalised
 * with ia_reg_kind), each value an object of supported (bool),
 * performance_score (number in [0, 1]), recommended_batch_size (integer
 * >= 1) and recommended_precision (ia_precision_parse). Unknown fields are
 * IA_ERR_INVALID_ARG, so a typo is not stored as nothing. *out: a new
 * object keyed by kind (caller deletes). */
ia_status ia_reg_check_declared(const cJSON *hw, cJSON **out);

/* This machine's id (cached on the handle). */
const char *ia_reg_machine(ia_registry *reg);

/* ---- reading (query.c) ---- */

/* The registered row of model_id as a JSON object (fields as
 * ia_registry_info), with "declared_hardware"; IA_ERR_NOT_FOUND when it
 * is not registered. */
ia_status ia_reg_load_entry(ia_registry *reg, const char *model_id, cJSON **out);

/* The measured part of an entry (see ia_registry_info): "measured" is
 * added to entry. */
ia_status ia_reg_add_measured(ia_registry *reg, cJSON *entry);

#endif
