/*
 * test_worker.c — the Worker and the ModelManager: the hwtest map, endpoint
 * handlers, all-or-nothing init, switching to an absent backend, and shared
 * weights (measured in resident memory).
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ipfs_accelerate.h"

static const char *const texts[] = {
    "Workers hand each model to an endpoint per device.",
    "The weights are mapped once and shared.",
    "A third sentence, to make a batch of three.",
};

/* Resident set size of this process in bytes (/proc/self/status VmRSS). */
static long long rss_bytes(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long long kb = -1;
    if (!f) return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %lld kB", &kb) == 1) break;
    fclose(f);
    return kb * 1024;
}

static int same_vectors(const float *a, const float *b, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (a[i] - b[i] > 1e-6f || b[i] - a[i] > 1e-6f) return 0;
    return 1;
}

IA_TEST(worker_hwtest_and_endpoints) {
    ia_worker *w = NULL;
    char *hw = NULL, device[32], why[512];
    cJSON *map;
    float a[3 * 384], b[3 * 384];
    ia_model *direct = NULL;
    static const char *const models[] = {"all-MiniLM-L6-v2"};
    static const char *const cuda[] = {"cuda:0"};
    static const char *const bad[] = {"cpu:x"};
    ia_model_options o;
    IA_MODEL_OPTIONS_INIT(&o);
    CHECK_STATUS(ia_worker_create(&w), IA_OK);
    REQUIRE(w);
    CHECK_STATUS(ia_worker_init_hardware(w, &hw), IA_OK);
    map = hw ? cJSON_Parse(hw) : NULL;
    ia_free(hw);
    CHECK(map && cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(map, "cpu"), "available")));
    CHECK(map && cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetObjectItem(map, "cuda"), "available")));
    CHECK(map && cJSON_GetObjectItem(cJSON_GetObjectItem(map, "cuda"), "reason")->valuestring[0] != '\0');
    cJSON_Delete(map);

    /* absent device: error, and nothing created */
    CHECK_STATUS(ia_worker_init(w, models, 1, cuda, 1), IA_ERR_UNAVAILABLE);
    CHECK(strstr(ia_last_error(), "cuda") != NULL);
    CHECK(ia_worker_endpoint(w, "all-MiniLM-L6-v2", "cuda:0") == NULL);
    CHECK_STATUS(ia_worker_init(w, models, 1, bad, 1), IA_ERR_INVALID_ARG);

    /* default devices: every available one (cpu) */
    CHECK_STATUS(ia_worker_init(w, models, 1, NULL, 0), IA_OK);
    REQUIRE(ia_worker_endpoint(w, "all-MiniLM-L6-v2", "cpu") != NULL);
    CHECK_STATUS(ia_endpoint_embed(ia_worker_endpoint(w, "all-MiniLM-L6-v2", "cpu"), texts, 3, a), IA_OK);
    o.threads = 1;
    CHECK_STATUS(ia_model_open("all-MiniLM-L6-v2", &o, &direct), IA_OK);
    CHECK_STATUS(ia_model_embed(direct, texts, 3, b), IA_OK);
    CHECK(same_vectors(a, b, 3 * 384));
    ia_model_free(direct);

    CHECK_STATUS(ia_worker_optimal_hardware(w, "all-MiniLM-L6-v2", "embedding", 32, device, sizeof device, why,
                                            sizeof why), IA_OK);
    CHECK(strcmp(device, "cpu") == 0 && strncmp(why, "heuristic", 9) == 0);
    ia_worker_free(w);
    ia_worker_free(NULL);
}

IA_TEST(model_manager_switch_to_absent_backend_keeps_the_model) {
    ia_model_manager *mm = NULL;
    float a[3 * 384], b[3 * 384];
    CHECK_STATUS(ia_model_manager_create(NULL, &mm), IA_OK);
    REQUIRE(mm);
    CHECK_STATUS(ia_model_manager_embed(mm, "all-MiniLM-L6-v2", texts, 3, a), IA_OK);
    CHECK_STATUS(ia_model_manager_switch(mm, "all-MiniLM-L6-v2", "cuda"), IA_ERR_UNAVAILABLE);
    CHECK(strstr(ia_last_error(), "cuda") != NULL);
    CHECK_STATUS(ia_model_manager_embed(mm, "all-MiniLM-L6-v2", texts, 3, b), IA_OK);
    CHECK(same_vectors(a, b, 3 * 384));
    CHECK_STATUS(ia_model_manager_switch(mm, "all-MiniLM-L6-v2", "cpu"), IA_OK);
    CHECK_STATUS(ia_model_manager_embed(mm, "all-MiniLM-L6-v2", texts, 3, b), IA_OK);
    CHECK(same_vectors(a, b, 3 * 384));
    CHECK_STATUS(ia_model_manager_switch(mm, "not-loaded", "cpu"), IA_ERR_NOT_FOUND);
    ia_model_manager_free(mm);
}

/* Two loads of one model (by name and by path) map the weights once: the
 * second adds far less resident memory than a separately mapped copy. */
IA_TEST(model_manager_loads_share_weights) {
    ia_model_manager *mm = NULL;
    ia_model *sep = NULL;
    float v[3 * 384];
    long long r0, r1, r2;
    ia_hardware_profile p;
    IA_HARDWARE_PROFILE_INIT(&p);
    const char *dir = ia_test_model_dir();
    REQUIRE(dir);
    p.threads = 1; /* no pool threads: their stacks would blur the numbers */
    CHECK_STATUS(ia_model_manager_create(&p, &mm), IA_OK);
    REQUIRE(mm);
    CHECK_STATUS(ia_model_manager_embed(mm, "all-MiniLM-L6-v2", texts, 3, v), IA_OK);
    /* heap pages freed by earlier tests go back to the system, so new
     * weights copies must take fresh, counted pages */
    malloc_trim(0);
    r0 = rss_bytes();
    CHECK_STATUS(ia_model_manager_embed(mm, dir, texts, 3, v), IA_OK); /* same dir, other name */
    malloc_trim(0);
    r1 = rss_bytes();
    CHECK_STATUS(ia_model_open_profile(dir, &p, &sep), IA_OK);
    CHECK_STATUS(ia_model_embed(sep, texts, 3, v), IA_OK);
    r2 = rss_bytes();
    printf("  second load, shared mapping: +%.1f MiB; separate mapping: +%.1f MiB\n", (r1 - r0) / 1048576.0,
           (r2 - r1) / 1048576.0);
    /* a separate mapping gets its own prepared weights (~85 MB of GEMM
     * panels); the shared load adds only its activations */
    CHECK_MSG(r2 - r1 > 30LL << 20, "separate mapping added only %lld bytes", r2 - r1);
    CHECK_MSG(r1 - r0 < (r2 - r1) / 3, "shared load added %lld bytes (separate: %lld)", r1 - r0, r2 - r1);
    ia_model_free(sep);
    ia_model_manager_free(mm);
}

/* Endpoint pointers stay valid while later inits grow the worker, and
 * "cpu:0" is the same endpoint as "cpu". */
IA_TEST(worker_endpoints_stay_valid_as_the_worker_grows) {
    ia_worker *w = NULL;
    ia_endpoint *first;
    char names[5][4200];
    const char *one[1], *dir = ia_test_model_dir();
    static const char *const cpu0[] = {"cpu:0"};
    float v[3 * 384];
    REQUIRE(dir);
    /* five spellings of one model directory: five endpoints, one mapping */
    snprintf(names[0], sizeof names[0], "all-MiniLM-L6-v2");
    snprintf(names[1], sizeof names[1], "%s", dir);
    snprintf(names[2], sizeof names[2], "%s/", dir);
    snprintf(names[3], sizeof names[3], "%s/.", dir);
    snprintf(names[4], sizeof names[4], "%s//", dir);
    CHECK_STATUS(ia_worker_create(&w), IA_OK);
    REQUIRE(w);
    one[0] = names[0];
    CHECK_STATUS(ia_worker_init(w, one, 1, cpu0, 1), IA_OK);
    first = ia_worker_endpoint(w, names[0], "cpu");
    REQUIRE(first != NULL);
    CHECK(ia_worker_endpoint(w, names[0], "cpu:0") == first);
    for (int i = 1; i < 5; i++) {
        one[0] = names[i];
        CHECK_STATUS(ia_worker_init(w, one, 1, NULL, 0), IA_OK);
    }
    CHECK(ia_worker_endpoint(w, names[4], "cpu") != NULL);
    CHECK(ia_worker_endpoint(w, names[0], "cpu") == first);
    CHECK_STATUS(ia_endpoint_embed(first, texts, 3, v), IA_OK); /* ASan: no use after free */
    ia_worker_free(w);
}
