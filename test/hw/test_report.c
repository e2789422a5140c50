/*
 * test_report.c — the hardware report: every backend name the seed spec
 * lists is present; absent ones have a reason; only what runs here is
 * available; the quick measurement stays under 2 s and gives real figures.
 */
#include <cjson/cJSON.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "ipfs_accelerate.h"

static const cJSON *find_backend(const cJSON *report, const char *name) {
    const cJSON *b;
    cJSON_ArrayForEach(b, cJSON_GetObjectItem(report, "backends")) {
        const cJSON *n = cJSON_GetObjectItem(b, "name");
        if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0) return b;
    }
    return NULL;
}

IA_TEST(hw_report_lists_every_seed_backend_with_reasons) {
    static const char *const seed_names[] = {"llama_cpp", "qualcomm", "apple", "cpu", "gpu",
                                             "cuda", "openvino", "optimum", "webnn"};
    char *json = NULL;
    cJSON *r;
    const cJSON *b;
    CHECK_STATUS(ia_hw_report_json(IA_HW_NO_BENCH, 0, &json), IA_OK);
    REQUIRE(json);
    r = cJSON_Parse(json);
    ia_free(json);
    REQUIRE(r);
    CHECK(cJSON_IsObject(cJSON_GetObjectItem(r, "cpu")));
    CHECK(cJSON_IsArray(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "cpu"), "flags")));
    CHECK(cJSON_IsObject(cJSON_GetObjectItem(r, "memory")));
    for (size_t i = 0; i < sizeof seed_names / sizeof *seed_names; i++)
        CHECK_MSG(find_backend(r, seed_names[i]) != NULL, "backend %s missing", seed_names[i]);
    cJSON_ArrayForEach(b, cJSON_GetObjectItem(r, "backends")) {
        const cJSON *reason = cJSON_GetObjectItem(b, "reason");
        const char *name = cJSON_GetObjectItem(b, "name")->valuestring;
        int avail = cJSON_IsTrue(cJSON_GetObjectItem(b, "available"));
        CHECK(cJSON_IsArray(cJSON_GetObjectItem(b, "devices")));
        CHECK(cJSON_IsNull(cJSON_GetObjectItem(b, "gflops"))); /* not measured */
        if (!avail) CHECK_MSG(cJSON_IsString(reason) && reason->valuestring[0], "%s: absent without a reason", name);
        /* only the cpu backend runs graphs in this build */
        CHECK_MSG(avail == (strcmp(name, "cpu") == 0), "%s: available=%d", name, avail);
    }
    cJSON_Delete(r);
}

IA_TEST(hw_report_quick_measurement_is_real_and_fast) {
    char *json = NULL;
    cJSON *r;
    const cJSON *cpu;
    struct timespec t0, t1;
    double dt;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_STATUS(ia_hw_report_json(IA_HW_QUICK_BENCH, 0, &json), IA_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    dt = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    REQUIRE(json);
    r = cJSON_Parse(json);
    ia_free(json);
    REQUIRE(r);
    cpu = find_backend(r, "cpu");
    REQUIRE(cpu);
    /* 1 GFLOP/s and 0.5 GB/s: far below any machine that could run a model,
     * far above a broken timer or a skipped loop. */
    CHECK_MSG(cJSON_GetObjectItem(cpu, "gflops")->valuedouble > 1.0, "gflops %g",
              cJSON_GetObjectItem(cpu, "gflops")->valuedouble);
    CHECK_MSG(cJSON_GetObjectItem(cpu, "gbps")->valuedouble > 0.5, "gbps %g",
              cJSON_GetObjectItem(cpu, "gbps")->valuedouble);
    /* The promise is < 2 s; ASan builds run the same loops slower,
     * so the bound here leaves room for them. */
    CHECK_MSG(dt < 4.0, "quick report took %.2f s", dt);
    printf("  quick report in %.2f s: %.1f GFLOP/s, %.1f GB/s\n", dt,
           cJSON_GetObjectItem(cpu, "gflops")->valuedouble, cJSON_GetObjectItem(cpu, "gbps")->valuedouble);
    cJSON_Delete(r);
}

IA_TEST(hw_report_rejects_bad_arguments) {
    char *json = (char *)1;
    CHECK_STATUS(ia_hw_report_json(7, 0, &json), IA_ERR_INVALID_ARG);
    CHECK_STATUS(ia_hw_report_json(IA_HW_NO_BENCH, -1, &json), IA_ERR_INVALID_ARG);
    CHECK_STATUS(ia_hw_report_json(IA_HW_NO_BENCH, 0, NULL), IA_ERR_INVALID_ARG);
}
