/*
 * test_registry.c — the model registry (src/registry/): what registering
 * reads from the model, what it refuses, how benchmark rows are joined
 * (by content fingerprint; by name only for rows or entries without one;
 * another model's rows under the same name never), search filters,
 * measured vs heuristic recommendations, removal, and a v5 benchmark file
 * migrated with its rows kept. Benchmark rows are written with the
 * store's own API, with made-up figures chosen so that a wrongly joined
 * row would win.
 */
#include <cjson/cJSON.h>
#include <duckdb.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench/store_internal.h"
#include "formats/model_id.h"
#include "bench/db_count.h"
#include "harness.h"
#include "hw/hw.h"

#define MODEL "all-MiniLM-L6-v2"
/* transformers' num_parameters() of all-MiniLM-L6-v2 (pooler included,
 * the position_ids buffer not) */
#define MINILM_PARAMS 22713216

typedef struct env {
    char root[64], db[128], fp[IA_MODEL_FINGERPRINT_LEN + 1], machine[IA_MACHINE_ID_LEN + 1];
} env;

static int env_begin(env *e) {
    const char *dir = ia_test_model_dir();
    memset(e, 0, sizeof *e);
    strcpy(e->root, "/tmp/ia_registry_XXXXXX");
    if (!dir || !mkdtemp(e->root)) return 0;
    snprintf(e->db, sizeof e->db, "%s/r.duckdb", e->root);
    return ia_model_fingerprint(dir, e->fp) == IA_OK && ia_hw_machine_id(e->machine, NULL, 0) == IA_OK;
}

static void env_end(env *e) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", e->root);
    if (system(cmd) != 0) fprintf(stderr, "  could not remove %s\n", e->root);
}

typedef struct row {
    const char *model, *backend;
    int batch;
    double items_per_s, p50;
    const char *fp, *machine, *skipped;
} row;

/* Appends rows as one run (the registry must be closed: one writer). */
static int add_rows(const char *path, const row *rows, int n) {
    static const ia_bench_run_info info = {"{}", "0.1.0", "", 1, "{}"};
    ia_bench_store *s = NULL;
    int64_t run = 0;
    int ok = ia_bench_store_open(path, &s) == IA_OK && ia_bench_store_begin_run(s, &info, &run) == IA_OK;
    for (int i = 0; ok && i < n; i++) {
        ia_bench_result r;
        memset(&r, 0, sizeof r);
        r.model = rows[i].model;
        r.backend = rows[i].backend;
        r.precision = "fp32";
        r.batch = rows[i].batch;
        r.seq_len = 128;
        r.iterations = 1;
        r.latency_ms_mean = r.latency_ms_stddev = r.latency_ms_p90 = r.latency_ms_p99 = rows[i].p50;
        r.latency_ms_p50 = rows[i].p50;
        r.items_per_s = rows[i].skipped ? NAN : rows[i].items_per_s;
        r.tokens_per_s = r.rss_delta_bytes = r.model_bytes = r.energy_j = r.power_w = NAN;
        r.model_fingerprint = rows[i].fp;
        r.machine_id = rows[i].machine;
        r.skipped_reason = rows[i].skipped;
        ok = ia_bench_store_add_result(s, run, &r, NULL, 0, NULL) == IA_OK;
    }
    ok = ok && ia_bench_store_finish_run(s, run, "complete") == IA_OK;
    ia_bench_store_close(s);
    return ok;
}

static cJSON *parse_free(char *json) {
    cJSON *j = json ? cJSON_Parse(json) : NULL;
    ia_free(json);
    return j;
}

static const char *sget(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double nget(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static int has_str(const cJSON *arr, const char *s) {
    const cJSON *v;
    cJSON_ArrayForEach(v, arr) if (cJSON_IsString(v) && strcmp(v->valuestring, s) == 0) return 1;
    return 0;
}

static ia_status reg_model(ia_registry *reg, const char *path, const char *id, char **json) {
    ia_registry_entry e;
    IA_REGISTRY_ENTRY_INIT(&e);
    e.model_path = path;
    e.model_id = id;
    e.task = "feature-extraction";
    return ia_registry_register(reg, &e, json);
}

IA_TEST(registry_register_reads_the_model) {
    env e;
    ia_registry *reg = NULL;
    char *json = NULL;
    cJSON *j;
    struct stat sb;
    char weights[4200];
    REQUIRE(env_begin(&e));
    CHECK_STATUS(ia_registry_open(e.db, IA_REGISTRY_OPEN_EXISTING, &reg), IA_ERR_NOT_FOUND);
    CHECK(reg == NULL && strstr(ia_last_error(), e.db));
    REQUIRE(ia_registry_open(e.db, 0, &reg) == IA_OK);
    CHECK_STATUS(reg_model(reg, MODEL, NULL, &json), IA_OK);
    j = parse_free(json);
    REQUIRE(j);
    snprintf(weights, sizeof weights, "%s/model.safetensors", ia_test_model_dir());
    REQUIRE(stat(weights, &sb) == 0);
    CHECK(sget(j, "model_id") && strcmp(sget(j, "model_id"), MODEL) == 0);
    CHECK(sget(j, "family") && strcmp(sget(j, "family"), "bert") == 0);
    CHECK_MSG(nget(j, "parameters") == MINILM_PARAMS, "parameters %.0f", nget(j, "parameters"));
    CHECK(sget(j, "precision") && strcmp(sget(j, "precision"), "fp32") == 0);
    CHECK(nget(j, "bytes") == (double)sb.st_size);
    CHECK(sget(j, "model_fingerprint") && strcmp(sget(j, "model_fingerprint"), e.fp) == 0);
    CHECK(sget(j, "source") && strcmp(sget(j, "source"), ia_test_model_dir()) == 0);
    CHECK(sget(j, "task") && strcmp(sget(j, "task"), "feature-extraction") == 0);
    CHECK(has_str(cJSON_GetObjectItem(j, "read_from_model"), "parameters") &&
          !has_str(cJSON_GetObjectItem(j, "read_from_model"), "task"));
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(j, "declared_hardware")) == 0);
    CHECK(nget(cJSON_GetObjectItem(j, "measured"), "rows") == 0);
    cJSON_Delete(j);

    /* the same id again: refused unless replacing */
    CHECK_STATUS(reg_model(reg, MODEL, NULL, NULL), IA_ERR_INVALID_ARG);
    CHECK(strstr(ia_last_error(), "already registered"));
    {
        ia_registry_entry en;
        IA_REGISTRY_ENTRY_INIT(&en);
        en.model_path = MODEL;
        en.replace = 1;
        en.licence = "apache-2.0";
        CHECK_STATUS(ia_registry_register(reg, &en, NULL), IA_OK);
        /* a family that is not the model's */
        en.family = "llama";
        CHECK_STATUS(ia_registry_register(reg, &en, NULL), IA_ERR_INVALID_ARG);
        CHECK_MSG(strstr(ia_last_error(), "'bert' family"), "%s", ia_last_error());
        /* parameters are read, not given, with a model */
        en.family = NULL;
        en.parameters = 5;
        CHECK_STATUS(ia_registry_register(reg, &en, NULL), IA_ERR_INVALID_ARG);
        /* a model that is not there */
        en.parameters = 0;
        en.model_path = "/nonexistent/model-dir";
        en.model_id = "ghost";
        CHECK(ia_registry_register(reg, &en, NULL) != IA_OK);
    }
    CHECK_STATUS(ia_registry_info(reg, MODEL, &json), IA_OK);
    j = parse_free(json);
    CHECK(j && sget(j, "licence") && strcmp(sget(j, "licence"), "apache-2.0") == 0 && !sget(j, "task"));
    cJSON_Delete(j);
    CHECK_STATUS(ia_registry_info(reg, "ghost", &json), IA_ERR_NOT_FOUND);
    CHECK(json == NULL && strstr(ia_last_error(), "no model 'ghost'"));
    ia_registry_close(reg);
    CHECK(ia_test_db_count(e.db, "SELECT max(version) FROM ia_schema") == IA_BENCH_SCHEMA_VERSION);
    CHECK(ia_test_db_count(e.db, "SELECT count(*) FROM models") == 1);
    env_end(&e);
}

IA_TEST(registry_declared_entries_are_checked) {
    env e;
    ia_registry *reg = NULL;
    ia_registry_entry en;
    char *json = NULL;
    cJSON *j, *cuda;
    static const struct { const char *hw, *why; } bad[] = {
        {"[1]", "keyed by hardware"},
        {"{\"cuda\": {\"supported\": \"yes\"}}", "supported must be true or false"},
        {"{\"cuda\": {\"performance_score\": 1.5}}", "[0, 1]"},
        {"{\"cuda\": {\"recommended_batch_size\": 0}}", "integer >= 1"},
        {"{\"cuda\": {\"recommended_precision\": \"fp8\"}}", "fp32, fp16"},
        {"{\"cuda\": {\"speed\": 3}}", "unknown field 'speed'"},
        {"{\"cuda:1\": {}}", "not a hardware name"},
        {"{\"gpu\": {}, \"cuda\": {}}", "given twice"},
        {"{\"cuda\": ", "not JSON"},
    };
    REQUIRE(env_begin(&e));
    REQUIRE(ia_registry_open(e.db, 0, &reg) == IA_OK);
    IA_REGISTRY_ENTRY_INIT(&en);
    en.model_id = "my-org/declared-bert";
    en.family = "bert";
    en.task = "text-classification";
    en.parameters = 110000000;
    en.precision = "FP16";
    en.source = "hf:my-org/declared-bert";
    en.cid = "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG";
    en.metadata_json = "{\"description\": \"a test\", \"license\": \"MIT\", \"optimization_techniques\": [\"q\"]}";
    en.hardware_json = "{\"CUDA\": {\"supported\": true, \"performance_score\": 0.95, \"recommended_batch_size\": 32,"
                       " \"recommended_precision\": \"fp16\"}, \"cpu\": {\"supported\": true, \"performance_score\": 0.7,"
                       " \"recommended_batch_size\": 4, \"recommended_precision\": \"int8\"}, \"qnn\": {\"supported\": false}}";
    CHECK_STATUS(ia_registry_register(reg, &en, &json), IA_OK);
    j = parse_free(json);
    REQUIRE(j);
    CHECK(sget(j, "precision") && strcmp(sget(j, "precision"), "fp16") == 0);
    CHECK(nget(j, "parameters") == 110000000 && cJSON_IsNull(cJSON_GetObjectItem(j, "model_fingerprint")));
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(j, "read_from_model")) == 0);
    CHECK(sget(j, "description") && strcmp(sget(j, "description"), "a test") == 0);
    CHECK(sget(j, "licence") && strcmp(sget(j, "licence"), "MIT") == 0);
    CHECK(cJSON_IsArray(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "metadata"), "optimization_techniques")));
    cuda = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "declared_hardware"), "cuda");
    CHECK(cuda && nget(cuda, "performance_score") == 0.95 && nget(cuda, "recommended_batch_size") == 32 &&
          cJSON_IsTrue(cJSON_GetObjectItem(cuda, "supported")));
    CHECK(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "declared_hardware"), "qualcomm"),
                                            "supported")));
    cJSON_Delete(j);

    /* malformed declarations: refused with the reason, nothing written */
    en.replace = 1;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        en.hardware_json = bad[i].hw;
        CHECK_STATUS(ia_registry_register(reg, &en, NULL), IA_ERR_INVALID_ARG);
        CHECK_MSG(strstr(ia_last_error(), bad[i].why), "%s: %s", bad[i].hw, ia_last_error());
    }
    en.hardware_json = NULL;
    {
        static const char *const bad_cids[] = {"QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbd",   /* 45 */
                                               "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbd0",  /* 0 */
                                               "bafyBEIG", "zdj7W", ""};
        for (size_t i = 0; i < sizeof bad_cids / sizeof bad_cids[0]; i++) {
            en.cid = bad_cids[i];
            CHECK_MSG(ia_registry_register(reg, &en, NULL) == IA_ERR_INVALID_ARG, "%s", bad_cids[i]);
        }
        en.cid = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi";
        CHECK_STATUS(ia_registry_register(reg, &en, NULL), IA_OK);
    }
    en.metadata_json = "[\"not an object\"]";
    CHECK_STATUS(ia_registry_register(reg, &en, NULL), IA_ERR_INVALID_ARG);
    en.metadata_json = NULL;
    en.precision = "fp12";
    CHECK_STATUS(ia_registry_register(reg, &en, NULL), IA_ERR_INVALID_ARG);
    en.precision = NULL;
    en.model_id = "bad\nid";
    CHECK_STATUS(ia_registry_register(reg, &en, NULL), IA_ERR_INVALID_ARG);
    ia_registry_close(reg);
    /* the declared hardware of the first registration is intact: the
     * refused replacements rolled back, the accepted one (no hardware)
     * replaced it */
    CHECK(ia_test_db_count(e.db, "SELECT count(*) FROM models") == 1);
    CHECK(ia_test_db_count(e.db, "SELECT count(*) FROM model_hardware_declared") == 0);
    CHECK(ia_test_db_count(e.db, "SELECT count(*) FROM models WHERE cid LIKE 'bafy%' AND precision = 'fp16'") == 1);
    env_end(&e);
}

/* MiniLM registered, then rows: its own on this machine (cpu batch 1 and
 * 8, a skipped cuda row, a qualcomm row nothing here runs), another
 * machine's (faster), another model's under its name (fastest), a
 * pre-v4 row without identity under its name. */
static int populate(env *e) {
    ia_registry *reg = NULL;
    int ok = ia_registry_open(e->db, 0, &reg) == IA_OK && reg_model(reg, MODEL, NULL, NULL) == IA_OK;
    ia_registry_close(reg);
    row rows[] = {
        {MODEL, "cpu", 1, 100.0, 10.0, e->fp, e->machine, NULL},
        {MODEL, "cpu", 8, 400.0, 20.0, e->fp, e->machine, NULL},
        {MODEL, "cpu", 8, 300.0, 26.0, e->fp, e->machine, NULL},           /* a slower repeat */
        {MODEL, "cuda", 8, 0, 0, e->fp, e->machine, "cuda: no device"},  /* skipped */
        {MODEL, "qualcomm", 8, 9000.0, 0.5, e->fp, e->machine, NULL},     /* not runnable here */
        {MODEL, "cpu", 8, 5000.0, 1.0, e->fp, "ffffffffffffffff", NULL},  /* another machine */
        {MODEL, "cpu", 8, 7000.0, 0.8, "0000", e->machine, NULL},         /* another model */
        {MODEL, "cpu", 32, 50.0, 600.0, NULL, NULL, NULL},                /* before v4 */
        {"other-model", "cpu", 8, 8000.0, 0.1, "1111", e->machine, NULL},
    };
    return ok && add_rows(e->db, rows, (int)(sizeof rows / sizeof rows[0]));
}

static const cJSON *find_perf(const cJSON *info, const char *device, double batch, const char *machine) {
    const cJSON *g;
    cJSON_ArrayForEach(g, cJSON_GetObjectItem(cJSON_GetObjectItem(info, "measured"), "performance"))
        if (sget(g, "device") && strcmp(sget(g, "device"), device) == 0 && nget(g, "batch") == batch &&
            ((!machine && !sget(g, "machine_id")) || (machine && sget(g, "machine_id") && strcmp(sget(g, "machine_id"), machine) == 0)))
            return g;
    return NULL;
}

IA_TEST(registry_info_joins_measured_rows_by_content) {
    env e;
    ia_registry *reg = NULL;
    char *json = NULL;
    cJSON *j, *meas;
    const cJSON *g;
    REQUIRE(env_begin(&e));
    REQUIRE(populate(&e));
    REQUIRE(ia_registry_open(e.db, IA_REGISTRY_OPEN_EXISTING, &reg) == IA_OK);
    CHECK_STATUS(ia_registry_info(reg, MODEL, &json), IA_OK);
    j = parse_free(json);
    REQUIRE(j);
    meas = cJSON_GetObjectItem(j, "measured");
    CHECK(sget(meas, "machine_id") && strcmp(sget(meas, "machine_id"), e.machine) == 0);
    /* 2 + 1 (cpu:8 twice) + qualcomm + other machine + pre-v4; not the
     * skipped row, not the other content, not the other model */
    CHECK_MSG(nget(meas, "rows") == 6, "rows %.0f", nget(meas, "rows"));
    CHECK(nget(meas, "rows_other_content") == 1);
    CHECK(has_str(cJSON_GetObjectItem(meas, "hardware"), "cpu") && has_str(cJSON_GetObjectItem(meas, "hardware"), "qualcomm") &&
          !has_str(cJSON_GetObjectItem(meas, "hardware"), "cuda"));
    CHECK(has_str(cJSON_GetObjectItem(meas, "measured_here"), "cpu") &&
          !has_str(cJSON_GetObjectItem(meas, "measured_here"), "qualcomm"));
    g = find_perf(j, "cpu", 8, e.machine);
    CHECK(g && nget(g, "rows") == 2 && nget(g, "best_items_per_s") == 400.0 && nget(g, "latency_ms_p50") == 20.0 &&
          cJSON_IsTrue(cJSON_GetObjectItem(g, "usable_here")) && strcmp(sget(g, "matched_by"), "fingerprint") == 0);
    g = find_perf(j, "cpu", 8, "ffffffffffffffff");
    CHECK(g && !cJSON_IsTrue(cJSON_GetObjectItem(g, "this_machine")) && !cJSON_IsTrue(cJSON_GetObjectItem(g, "usable_here")));
    g = find_perf(j, "qualcomm", 8, e.machine);
    CHECK(g && cJSON_IsTrue(cJSON_GetObjectItem(g, "this_machine")) && !cJSON_IsTrue(cJSON_GetObjectItem(g, "usable_here")));
    g = find_perf(j, "cpu", 32, NULL);
    CHECK(g && strcmp(sget(g, "matched_by"), "name") == 0);
    cJSON_Delete(j);
    ia_registry_close(reg);
    env_end(&e);
}

IA_TEST(registry_search_filters) {
    env e;
    ia_registry *reg = NULL;
    ia_registry_query q;
    ia_registry_entry en;
    char *json = NULL;
    cJSON *j;
    const char *cpu[] = {"cpu"}, *cuda[] = {"GPU"}, *fams[] = {"roberta", "BERT"}, *llama[] = {"llama"};
    REQUIRE(env_begin(&e));
    REQUIRE(populate(&e));
    REQUIRE(ia_registry_open(e.db, 0, &reg) == IA_OK);
    IA_REGISTRY_ENTRY_INIT(&en);
    en.model_id = "big-declared";
    en.family = "bert";
    en.task = "text-classification";
    en.parameters = 340000000;
    en.hardware_json = "{\"cuda\": {\"supported\": true, \"performance_score\": 0.9}}";
    REQUIRE(ia_registry_register(reg, &en, NULL) == IA_OK);

    CHECK_STATUS(ia_registry_search(reg, NULL, &json), IA_OK);
    j = parse_free(json);
    CHECK(cJSON_GetArraySize(j) == 2);
    cJSON_Delete(j);

    IA_REGISTRY_QUERY_INIT(&q);
    q.families = fams, q.n_families = 2;
    q.max_parameters = 100000000;
    CHECK_STATUS(ia_registry_search(reg, &q, &json), IA_OK);
    j = parse_free(json);
    CHECK(cJSON_GetArraySize(j) == 1 && strcmp(sget(cJSON_GetArrayItem(j, 0), "model_id"), MODEL) == 0);
    cJSON_Delete(j);

    IA_REGISTRY_QUERY_INIT(&q);
    q.task = "TEXT-CLASSIFICATION";
    CHECK_STATUS(ia_registry_search(reg, &q, &json), IA_OK);
    j = parse_free(json);
    CHECK(cJSON_GetArraySize(j) == 1 && strcmp(sget(cJSON_GetArrayItem(j, 0), "model_id"), "big-declared") == 0);
    cJSON_Delete(j);

    /* hardware: measured rows only, unless declared entries are asked for */
    IA_REGISTRY_QUERY_INIT(&q);
    q.hardware = cpu, q.n_hardware = 1;
    CHECK_STATUS(ia_registry_search(reg, &q, &json), IA_OK);
    j = parse_free(json);
    CHECK(cJSON_GetArraySize(j) == 1 &&
          strcmp(sget(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(j, 0), "matched"), "hardware"), "cpu"),
                 "measured") == 0);
    cJSON_Delete(j);
    q.hardware = cuda;
    CHECK_STATUS(ia_registry_search(reg, &q, &json), IA_OK);
    j = parse_free(json);
    CHECK(cJSON_GetArraySize(j) == 0); /* MiniLM's cuda row was skipped: nothing ran there */
    cJSON_Delete(j);
    q.include_declared = 1;
    q.min_performance_score = 0.8;
    CHECK_STATUS(ia_registry_search(reg, &q, &json), IA_OK);
    j = parse_free(json);
    CHECK(cJSON_GetArraySize(j) == 1 &&
          strcmp(sget(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(j, 0), "matched"), "hardware"), "cuda"),
                 "declared") == 0);
    cJSON_Delete(j);
    q.min_performance_score = 0.95;
    CHECK_STATUS(ia_registry_search(reg, &q, &json), IA_OK);
    j = parse_free(json);
    CHECK(cJSON_GetArraySize(j) == 0);
    cJSON_Delete(j);

    IA_REGISTRY_QUERY_INIT(&q);
    q.families = llama, q.n_families = 1;
    CHECK_STATUS(ia_registry_search(reg, &q, &json), IA_OK);
    j = parse_free(json);
    CHECK(cJSON_GetArraySize(j) == 0);
    cJSON_Delete(j);
    q.n_families = 0;
    q.min_parameters = 5, q.max_parameters = 4;
    CHECK_STATUS(ia_registry_search(reg, &q, &json), IA_ERR_INVALID_ARG);
    ia_registry_close(reg);
    env_end(&e);
}

IA_TEST(registry_recommend_measured_or_labelled_heuristic) {
    env e;
    ia_registry *reg = NULL;
    ia_registry_target t;
    ia_registry_entry en;
    char *json = NULL;
    cJSON *j;
    const char *absent[] = {"qualcomm", "openvino"};
    REQUIRE(env_begin(&e));
    REQUIRE(populate(&e));
    REQUIRE(ia_registry_open(e.db, 0, &reg) == IA_OK);

    /* the best measured row of this model on this machine on a device that
     * runs here: cpu batch 8 (400/s), not the other machine's, the other
     * content's or qualcomm's */
    CHECK_STATUS(ia_registry_recommend(reg, MODEL, NULL, &json), IA_OK);
    j = parse_free(json);
    REQUIRE(j);
    CHECK_MSG(sget(j, "basis") && strcmp(sget(j, "basis"), "measured") == 0, "%s", sget(j, "why"));
    CHECK(sget(j, "device") && strcmp(sget(j, "device"), "cpu") == 0 && nget(j, "batch") == 8);
    CHECK(nget(j, "expected_items_per_s") == 400.0 && nget(j, "expected_latency_ms_p50") == 20.0);
    CHECK(sget(j, "why") && strncmp(sget(j, "why"), "measured:", 9) == 0);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(j, "options")) == 2);
    cJSON_Delete(j);

    /* a latency target: batch 1 meets 15 ms; nothing meets 5 ms */
    IA_REGISTRY_TARGET_INIT(&t);
    t.max_latency_ms = 15;
    CHECK_STATUS(ia_registry_recommend(reg, MODEL, &t, &json), IA_OK);
    j = parse_free(json);
    CHECK(j && nget(j, "batch") == 1 && cJSON_IsTrue(cJSON_GetObjectItem(j, "meets_latency_target")));
    cJSON_Delete(j);
    t.max_latency_ms = 5;
    CHECK_STATUS(ia_registry_recommend(reg, MODEL, &t, &json), IA_OK);
    j = parse_free(json);
    CHECK(j && nget(j, "batch") == 1 && cJSON_IsFalse(cJSON_GetObjectItem(j, "meets_latency_target")) &&
          strstr(sget(j, "why"), "no measured configuration meets"));
    cJSON_Delete(j);
    /* a batch range that excludes every measured row: a heuristic */
    IA_REGISTRY_TARGET_INIT(&t);
    t.min_batch = 16, t.max_batch = 64;
    CHECK_STATUS(ia_registry_recommend(reg, MODEL, &t, &json), IA_OK);
    j = parse_free(json);
    CHECK_MSG(j && strcmp(sget(j, "basis"), "heuristic") == 0 && nget(j, "batch") == 16 &&
              cJSON_IsNull(cJSON_GetObjectItem(j, "expected_items_per_s")) && strstr(sget(j, "why"), "a guess"),
              "%s", j ? sget(j, "why") : "");
    cJSON_Delete(j);

    /* hardware that does not run here: never recommended, the reason given */
    IA_REGISTRY_TARGET_INIT(&t);
    t.hardware = absent, t.n_hardware = 2;
    CHECK_STATUS(ia_registry_recommend(reg, MODEL, &t, &json), IA_OK);
    j = parse_free(json);
    REQUIRE(j);
    CHECK(strcmp(sget(j, "basis"), "none") == 0 && cJSON_IsNull(cJSON_GetObjectItem(j, "device")));
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(j, "unusable")) == 2 &&
          sget(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "unusable"), 0), "reason"));
    cJSON_Delete(j);

    /* nothing measured: a heuristic that takes what was declared for the
     * device it picks, and says so */
    IA_REGISTRY_ENTRY_INIT(&en);
    en.model_path = MODEL;
    en.model_id = "minilm-copy";
    en.hardware_json = "{\"cpu\": {\"recommended_batch_size\": 4, \"recommended_precision\": \"int8\"}}";
    REQUIRE(ia_registry_register(reg, &en, NULL) == IA_OK);
    IA_REGISTRY_TARGET_INIT(&t);
    CHECK_STATUS(ia_registry_recommend(reg, "minilm-copy", &t, &json), IA_OK);
    j = parse_free(json);
    REQUIRE(j);
    /* same content as MiniLM: its rows are this model's rows too */
    CHECK_MSG(strcmp(sget(j, "basis"), "measured") == 0, "%s", sget(j, "why"));
    cJSON_Delete(j);
    en.model_path = NULL;
    en.model_id = "declared-only";
    en.family = "bert";
    CHECK(ia_registry_register(reg, &en, NULL) == IA_OK);
    CHECK_STATUS(ia_registry_recommend(reg, "declared-only", &t, &json), IA_OK);
    j = parse_free(json);
    REQUIRE(j);
    CHECK(strcmp(sget(j, "basis"), "heuristic") == 0 && strcmp(sget(j, "device"), "cpu") == 0);
    CHECK(strcmp(sget(j, "precision"), "int8") == 0 && strcmp(sget(j, "precision_basis"), "declared") == 0);
    CHECK(nget(j, "batch") == 4 && strcmp(sget(j, "batch_basis"), "declared") == 0);
    CHECK(strncmp(sget(j, "why"), "heuristic", 9) == 0);
    cJSON_Delete(j);
    CHECK_STATUS(ia_registry_recommend(reg, "nobody", &t, &json), IA_ERR_NOT_FOUND);
    ia_registry_close(reg);
    env_end(&e);
}

IA_TEST(registry_remove_keeps_benchmark_rows) {
    env e;
    ia_registry *reg = NULL;
    REQUIRE(env_begin(&e));
    REQUIRE(populate(&e));
    REQUIRE(ia_registry_open(e.db, 0, &reg) == IA_OK);
    CHECK_STATUS(ia_registry_remove(reg, MODEL), IA_OK);
    CHECK_STATUS(ia_registry_remove(reg, MODEL), IA_ERR_NOT_FOUND);
    CHECK(strstr(ia_last_error(), "no model"));
    ia_registry_close(reg);
    CHECK(ia_test_db_count(e.db, "SELECT count(*) FROM models") == 0);
    CHECK(ia_test_db_count(e.db, "SELECT count(*) FROM results") == 9);
    env_end(&e);
}

/* A database a v5 build wrote: the registry migrates it, rows kept. */
IA_TEST(registry_migrates_a_v5_database) {
    env e;
    ia_registry *reg = NULL;
    char *json = NULL;
    cJSON *j;
    REQUIRE(env_begin(&e));
    REQUIRE(ia_bench_store_create_version(e.db, 5) == IA_OK);
    {
        /* add_rows would migrate: the v5 rows are written by hand */
        duckdb_database db;
        duckdb_connection con;
        duckdb_result res;
        char sql[1024];
        REQUIRE(duckdb_open(e.db, &db) == DuckDBSuccess && duckdb_connect(db, &con) == DuckDBSuccess);
        snprintf(sql, sizeof sql,
                 "INSERT INTO runs (id, started_at, status) VALUES (nextval('ia_runs_seq'), now()::TIMESTAMP, 'complete');"
                 "INSERT INTO results (id, run_id, model, backend, precision, batch, seq_len, items_per_s, latency_ms_p50,"
                 " model_fingerprint, machine_id) VALUES (nextval('ia_results_seq'), 1, '%s', 'cpu', 'fp32', 4, 128, 123,"
                 " 30, '%s', '%s')", MODEL, e.fp, e.machine);
        CHECK(duckdb_query(con, sql, &res) == DuckDBSuccess);
        duckdb_destroy_result(&res);
        duckdb_disconnect(&con);
        duckdb_close(&db);
    }
    CHECK(ia_test_db_count(e.db, "SELECT max(version) FROM ia_schema") == 5);
    REQUIRE(ia_registry_open(e.db, IA_REGISTRY_OPEN_EXISTING, &reg) == IA_OK);
    CHECK_STATUS(reg_model(reg, MODEL, NULL, &json), IA_OK);
    j = parse_free(json);
    CHECK(j && nget(cJSON_GetObjectItem(j, "measured"), "rows") == 1);
    cJSON_Delete(j);
    ia_registry_close(reg);
    CHECK(ia_test_db_count(e.db, "SELECT max(version) FROM ia_schema") == 6);
    env_end(&e);
}

IA_TEST(model_parameter_count_of_a_gguf_decoder) {
    ia_model *m = ia_test_open_llm(ia_failed_);
    REQUIRE(m);
    /* SmolLM2-135M: 134 515 008 parameters (embeddings tied: counted once) */
    CHECK_MSG(ia_model_parameter_count(m) == 134515008, "%lld", (long long)ia_model_parameter_count(m));
    CHECK(ia_model_parameter_count(NULL) == 0);
    ia_model_free(m);
}

/* An entry registered from a model gets the CID of its files as `ipfs add
 * -r` computes it (the unixfs suite checks those against kubo); a declared
 * CID is kept when it names the same files in another profile, refused
 * (naming the real one) when it names other bytes. */
IA_TEST(registry_knows_a_model_by_its_cid) {
    env e;
    ia_registry *reg = NULL;
    ia_registry_entry en;
    ia_unixfs_options o;
    char v0[IA_CID_TEXT_MAX], v1[IA_CID_TEXT_MAX], *json = NULL;
    cJSON *j;
    REQUIRE(env_begin(&e));
    IA_UNIXFS_OPTIONS_INIT(&o);
    REQUIRE(ia_unixfs_add_path(ia_test_model_dir(), &o, v0, sizeof v0) == IA_OK);
    o.profile = "unixfs-v1-2025";
    REQUIRE(ia_unixfs_add_path(ia_test_model_dir(), &o, v1, sizeof v1) == IA_OK);
    CHECK(strncmp(v0, "Qm", 2) == 0 && strncmp(v1, "bafy", 4) == 0);
    REQUIRE(ia_registry_open(e.db, 0, &reg) == IA_OK);
    CHECK_STATUS(reg_model(reg, MODEL, NULL, &json), IA_OK);
    j = parse_free(json);
    CHECK_MSG(j && sget(j, "cid") && strcmp(sget(j, "cid"), v0) == 0, "%s", j && sget(j, "cid") ? sget(j, "cid") : "");
    cJSON_Delete(j);
    IA_REGISTRY_ENTRY_INIT(&en);
    en.model_path = MODEL;
    en.model_id = "minilm-v1";
    en.cid = v1;
    CHECK_STATUS(ia_registry_register(reg, &en, &json), IA_OK);
    j = parse_free(json);
    CHECK(j && sget(j, "cid") && strcmp(sget(j, "cid"), v1) == 0);
    cJSON_Delete(j);
    en.model_id = "minilm-wrong";
    en.cid = "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD"; /* "hello world" */
    CHECK_STATUS(ia_registry_register(reg, &en, NULL), IA_ERR_INVALID_ARG);
    CHECK_MSG(strstr(ia_last_error(), "does not name the files") && strstr(ia_last_error(), v0), "%s", ia_last_error());
    en.cid = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e";
    CHECK_STATUS(ia_registry_register(reg, &en, NULL), IA_ERR_INVALID_ARG);
    ia_registry_close(reg);
    CHECK(ia_test_db_count(e.db, "SELECT count(*) FROM models") == 2);
    env_end(&e);
}
