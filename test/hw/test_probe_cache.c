/*
 * test_probe_cache.c — hardware is probed once per process: the probes
 * behind the report, the absence reasons and the machine id run once per
 * kind (also when threads ask at once), and opening a model on "cpu"
 * probes no accelerator at all; "auto" opens probe at most once.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "hw/hw.h"
#include "util/sha256.h"

IA_TEST(probe_cache_probes_each_kind_once) {
    char reason[512], *json = NULL;
    long r0;
    ia_hw_probe_cache_clear();
    r0 = ia_hw_probe_runs();
    for (int i = 0; i < 3; i++) ia_hw_absence_reason("cuda", reason, sizeof reason);
    CHECK_MSG(ia_hw_probe_runs() - r0 == 1, "3 reasons for cuda ran %ld probes", ia_hw_probe_runs() - r0);
    CHECK(strlen(reason) > 0);
    ia_hw_absence_reason("gpu", reason, sizeof reason); /* an alias of cuda: the same cached answer */
    CHECK(ia_hw_probe_runs() - r0 == 1);
    for (int i = 0; i < 2; i++) {
        CHECK_STATUS(ia_hw_report_json(IA_HW_NO_BENCH, 0, &json), IA_OK);
        ia_free(json);
    }
    /* cuda, rocm, openvino, qualcomm, opencl, apple: once each */
    CHECK_MSG(ia_hw_probe_runs() - r0 == 6, "two reports ran %ld probes", ia_hw_probe_runs() - r0);
    ia_hw_probe_cache_clear();
    CHECK_STATUS(ia_hw_report_json(IA_HW_NO_BENCH, 0, &json), IA_OK);
    ia_free(json);
    CHECK_MSG(ia_hw_probe_runs() - r0 == 12, "a cleared cache probes again: %ld", ia_hw_probe_runs() - r0);
}

static pthread_barrier_t start_line;

static void *ask_rocm(void *arg) {
    char reason[512];
    pthread_barrier_wait(&start_line); /* all ask at once: the first probe is raced for */
    for (int i = 0; i < 5; i++) ia_hw_absence_reason("rocm", reason, sizeof reason);
    return arg;
}

/* 8 threads ask for an empty cache at the same moment, 50 times over:
 * each time exactly one probe runs. */
IA_TEST(probe_cache_is_thread_safe) {
    enum { THREADS = 8, ROUNDS = 50 };
    pthread_t t[THREADS];
    long r0 = ia_hw_probe_runs(), extra = 0;
    for (int round = 0; round < ROUNDS; round++) {
        long before;
        ia_hw_probe_cache_clear();
        before = ia_hw_probe_runs();
        REQUIRE(pthread_barrier_init(&start_line, NULL, THREADS) == 0);
        for (int i = 0; i < THREADS; i++) REQUIRE(pthread_create(&t[i], NULL, ask_rocm, NULL) == 0);
        for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
        pthread_barrier_destroy(&start_line);
        extra += ia_hw_probe_runs() - before - 1;
    }
    CHECK_MSG(extra == 0 && ia_hw_probe_runs() - r0 == ROUNDS, "%ld rounds of %d threads ran %ld probes",
              (long)ROUNDS, THREADS, ia_hw_probe_runs() - r0);
}

IA_TEST(model_open_on_cpu_probes_no_accelerator) {
    ia_model_options o;
    ia_model *m = NULL;
    long r0;
    REQUIRE(ia_test_model_dir());
    ia_hw_probe_cache_clear(); /* so that any probe would really run */
    r0 = ia_hw_probe_runs();
    IA_MODEL_OPTIONS_INIT(&o);
    o.device = "cpu";
    CHECK_STATUS(ia_model_open("all-MiniLM-L6-v2", &o, &m), IA_OK);
    ia_model_free(m);
    CHECK_MSG(ia_hw_probe_runs() == r0, "a cpu open ran %ld probes", ia_hw_probe_runs() - r0);
    /* "auto" (and NULL): the heuristic asks the registered kinds only */
    o.device = "auto";
    for (int i = 0; i < 3; i++) {
        m = NULL;
        CHECK_STATUS(ia_model_open("all-MiniLM-L6-v2", i ? &o : NULL, &m), IA_OK);
        if (m && i) CHECK_MSG(strstr(ia_model_device_reason(m), "heuristic (rule: ") &&
                                  strstr(ia_model_device_reason(m), "MB of weights"),
                              "%s", ia_model_device_reason(m));
        ia_model_free(m);
    }
    CHECK_MSG(ia_hw_probe_runs() - r0 <= 1, "three auto opens ran %ld probes", ia_hw_probe_runs() - r0);
}

IA_TEST(absence_reason_names_the_kinds_that_run) {
    char reason[512];
    ia_hw_absence_reason("tpu", reason, sizeof reason);
    CHECK_MSG(strstr(reason, "no backend named 'tpu'") && strstr(reason, "cpu") && !strstr(reason, "ref"), "%s",
              reason);
}

IA_TEST(machine_id_is_stable_and_hashes_its_basis) {
    char id[IA_MACHINE_ID_LEN + 1], id2[IA_MACHINE_ID_LEN + 1], basis[1024], hex[65];
    ia_sha256 h;
    uint8_t d[32];
    CHECK_STATUS(ia_hw_machine_id(id, basis, sizeof basis), IA_OK);
    CHECK_STATUS(ia_hw_machine_id(id2, NULL, 0), IA_OK);
    CHECK(strlen(id) == IA_MACHINE_ID_LEN && strcmp(id, id2) == 0);
    CHECK_MSG(strstr(basis, "GiB") && strstr(basis, "cores "), "%s", basis);
    ia_sha256_init(&h);
    ia_sha256_update(&h, basis, strlen(basis));
    ia_sha256_final(&h, d);
    ia_sha256_hex(d, 8, hex);
    CHECK_MSG(strcmp(hex, id) == 0, "id %s, sha256(basis) %s", id, hex);
    printf("  machine %s: %s\n", id, basis);
}
