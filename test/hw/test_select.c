/*
 * test_select.c — the heuristic device choice: the rule over given
 * candidates (made-up accelerators, since this machine has none), and the
 * choice on this machine: cheap, never the ref oracle, sized by the model.
 */
#include <string.h>
#include <time.h>

#include "harness.h"
#include "hw/hw.h"

static ia_hw_candidate cand(const char *kind, int device, int host, long long mem) {
    ia_hw_candidate c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    c.device = device;
    c.host_memory = host;
    c.memory_bytes = mem;
    strcpy(c.name, kind);
    return c;
}

IA_TEST(device_heuristic_rules) {
    char why[512];
    const long long MB = 1000000LL, GB = 1000000000LL;
    ia_hw_candidate c[3] = {cand("cpu", 0, 1, 16 * GB), cand("gpu", 0, 0, 80 * GB), cand("gpu", 1, 0, 110 * MB)};
    /* enough work: the accelerator with the most memory */
    CHECK(ia_hw_pick(c, 3, 32, 100 * MB, why, sizeof why) == 1);
    CHECK_MSG(strstr(why, "rule: enough work for an accelerator") && strstr(why, "gpu (gpu)"), "%s", why);
    /* small work stays on the host */
    CHECK(ia_hw_pick(c, 3, 1, 100 * MB, why, sizeof why) == 0);
    CHECK_MSG(strstr(why, "rule: small work stays on the host") && strstr(why, "100.0 MB"), "%s", why);
    /* big weights are enough work even at batch 1 */
    CHECK(ia_hw_pick(c, 3, 1, 1 * GB, why, sizeof why) == 1);
    /* weights no accelerator holds with 20 % to spare: the host */
    CHECK(ia_hw_pick(c, 3, 32, 70 * GB, why, sizeof why) == 0);
    CHECK_MSG(strstr(why, "rule: weights must fit device memory"), "%s", why);
    /* the second GPU holds 100 MB with room only if it has 120 MB */
    c[1].memory_bytes = 8 * GB;
    c[2].memory_bytes = 16 * GB;
    CHECK(ia_hw_pick(c, 3, 8, 100 * MB, why, sizeof why) == 2);
    CHECK_MSG(strstr(why, "gpu:1"), "%s", why);
    c[2].memory_bytes = 110 * MB;
    CHECK(ia_hw_pick(c, 3, 8, 100 * MB, why, sizeof why) == 1);
    /* only a host device */
    CHECK(ia_hw_pick(c, 1, 64, 70 * GB, why, sizeof why) == 0);
    CHECK_MSG(strstr(why, "rule: no accelerator"), "%s", why);
    /* only accelerators, none large enough */
    CHECK(ia_hw_pick(c + 1, 2, 1, 100 * GB, why, sizeof why) == -1);
    CHECK(ia_hw_pick(c + 1, 2, 1, 1 * GB, why, sizeof why) == 0);
    CHECK(ia_hw_pick(c, 0, 1, 1, why, sizeof why) == -1);
    CHECK(strncmp(why, "heuristic", 9) == 0);
}

IA_TEST(device_heuristic_here_is_cheap_sized_and_never_ref) {
    ia_hw_candidate c[32];
    char device[32], why[512];
    struct timespec t0, t1;
    long runs;
    double ms;
    int n = ia_hw_candidates(c, 32), cpu = 0;
    REQUIRE(n >= 1);
    for (int i = 0; i < n; i++) {
        CHECK_MSG(strcmp(c[i].kind, "ref") != 0, "the ref oracle is a candidate");
        if (strcmp(c[i].kind, "cpu") == 0) cpu = c[i].host_memory && c[i].memory_bytes > 0;
    }
    CHECK_MSG(cpu, "cpu is no host candidate with its available memory");
    /* An empty cache: any hardware probe would really run. */
    ia_hw_probe_cache_clear();
    runs = ia_hw_probe_runs();
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < 100; i++)
        CHECK_STATUS(ia_hw_select_heuristic("m", "embedding", 4, 90000000, device, sizeof device, why, sizeof why),
                     IA_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ms = 1e3 * (double)(t1.tv_sec - t0.tv_sec) + 1e-6 * (double)(t1.tv_nsec - t0.tv_nsec);
    CHECK_MSG(ia_hw_probe_runs() == runs, "the heuristic probed hardware (%ld probes)", ia_hw_probe_runs() - runs);
    CHECK_MSG(ms < 100, "100 heuristic choices took %.1f ms", ms);
    CHECK(strcmp(device, "cpu") == 0);
    CHECK_MSG(strncmp(why, "heuristic (rule: ", 17) == 0 && strstr(why, "90.0 MB") && strstr(why, "batch 4"), "%s",
              why);
    CHECK_STATUS(ia_hw_select_heuristic("m", NULL, 1, -1, device, sizeof device, why, sizeof why), IA_ERR_INVALID_ARG);
}
