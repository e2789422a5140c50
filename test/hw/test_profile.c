/*
 * test_profile.c — hardware profiles are enforced (absent backend, precision,
 * memory limit, device index), sizes and precisions parse (the device
 * heuristic: test_select.c).
 */
#include <math.h>
#include <string.h>

#include "harness.h"
#include "ipfs_accelerate.h"

IA_TEST(profile_memory_sizes_parse) {
    int64_t b = 0;
    CHECK_STATUS(ia_parse_memory_size("4GB", &b), IA_OK);
    CHECK(b == 4000000000LL);
    CHECK_STATUS(ia_parse_memory_size("512MiB", &b), IA_OK);
    CHECK(b == 512LL << 20);
    CHECK_STATUS(ia_parse_memory_size("1.5G", &b), IA_OK);
    CHECK(b == 3LL << 29);
    CHECK_STATUS(ia_parse_memory_size("1000000", &b), IA_OK);
    CHECK(b == 1000000);
    CHECK_STATUS(ia_parse_memory_size("4 gb", &b), IA_OK);
    CHECK(b == 4000000000LL);
    CHECK_STATUS(ia_parse_memory_size("0.5", &b), IA_OK); /* not 0, which is "no limit" */
    CHECK(b == 1);
    CHECK_STATUS(ia_parse_memory_size("4XB", &b), IA_ERR_INVALID_ARG);
    CHECK_STATUS(ia_parse_memory_size("-1GB", &b), IA_ERR_INVALID_ARG);
    CHECK_STATUS(ia_parse_memory_size("GB", &b), IA_ERR_INVALID_ARG);
    CHECK_STATUS(ia_parse_memory_size("1e30TB", &b), IA_ERR_INVALID_ARG);
}

IA_TEST(profile_precisions_parse) {
    ia_precision p;
    CHECK_STATUS(ia_precision_parse("int4", &p), IA_OK);
    CHECK(p == IA_PRECISION_INT4 && strcmp(ia_precision_name(p), "int4") == 0);
    CHECK_STATUS(ia_precision_parse("FP32", &p), IA_OK);
    CHECK(p == IA_PRECISION_FP32);
    CHECK_STATUS(ia_precision_parse("int3", &p), IA_ERR_INVALID_ARG);
}

IA_TEST(profile_is_enforced_when_opening) {
    ia_hardware_profile p;
    IA_HARDWARE_PROFILE_INIT(&p);
    ia_model *m = NULL;
    const char *dir = ia_test_model_dir();
    REQUIRE(dir);
    /* auto: the heuristic picks cpu here and says so */
    CHECK_STATUS(ia_model_open_profile(dir, &p, &m), IA_OK);
    REQUIRE(m);
    CHECK(strcmp(ia_model_device(m), "cpu") == 0);
    CHECK(strncmp(ia_model_device_reason(m), "heuristic", 9) == 0);
    CHECK(ia_model_weight_bytes(m) > 80000000 && ia_model_weight_bytes(m) < 100000000);
    ia_model_free(m);
    m = NULL;
    /* a limit below the weights is refused before loading */
    p.memory_limit_bytes = 50000000;
    CHECK_STATUS(ia_model_open_profile(dir, &p, &m), IA_ERR_INVALID_ARG);
    CHECK(m == NULL && strstr(ia_last_error(), "memory limit") != NULL);
    p.memory_limit_bytes = 200000000;
    CHECK_STATUS(ia_model_open_profile(dir, &p, &m), IA_OK);
    ia_model_free(m);
    m = NULL;
    /* a precision the backend cannot run */
    IA_HARDWARE_PROFILE_INIT(&p);
    p.backend = "cpu";
    p.precision = IA_PRECISION_FP16;
    CHECK_STATUS(ia_model_open_profile(dir, &p, &m), IA_ERR_UNSUPPORTED);
    CHECK(strstr(ia_last_error(), "fp16") != NULL && strstr(ia_last_error(), "int8") != NULL);
    /* absent backend: the hardware reason, not a generic one */
    IA_HARDWARE_PROFILE_INIT(&p);
    p.backend = "cuda";
    CHECK_STATUS(ia_model_open_profile(dir, &p, &m), IA_ERR_UNAVAILABLE);
    CHECK(strstr(ia_last_error(), "cuda") != NULL);
    p.backend = "cpu";
    p.device_index = 1;
    CHECK_STATUS(ia_model_open_profile(dir, &p, &m), IA_ERR_UNAVAILABLE);
    p.device_index = 0;
    p.optimization_level = 9;
    CHECK_STATUS(ia_model_open_profile(dir, &p, &m), IA_ERR_INVALID_ARG);
    CHECK(m == NULL);
}

/* optimization_level picks the kernel family and the results stay within
 * float rounding of the best kernels. */
IA_TEST(profile_optimization_level_selects_kernels) {
    static const char *const t[] = {"Portable kernels must agree with the fast ones."};
    ia_hardware_profile p;
    IA_HARDWARE_PROFILE_INIT(&p);
    ia_model *m0 = NULL, *m2 = NULL;
    float a[384], b[384];
    double worst = 0;
    p.backend = "cpu";
    p.threads = 1;
    p.optimization_level = 0;
    CHECK_STATUS(ia_model_open_profile("all-MiniLM-L6-v2", &p, &m0), IA_OK);
    p.optimization_level = 2;
    CHECK_STATUS(ia_model_open_profile("all-MiniLM-L6-v2", &p, &m2), IA_OK);
    REQUIRE(m0 && m2);
    CHECK(strcmp(ia_model_kernel(m0), "generic") == 0);
    CHECK_STATUS(ia_model_embed(m0, t, 1, a), IA_OK);
    CHECK_STATUS(ia_model_embed(m2, t, 1, b), IA_OK);
    for (int i = 0; i < 384; i++) worst = fabs(a[i] - b[i]) > worst ? fabs(a[i] - b[i]) : worst;
    CHECK_MSG(worst < 1e-5, "level 0 vs 2: max abs %.3g", worst);
    ia_model_free(m0);
    ia_model_free(m2);
}
