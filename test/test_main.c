/*
 * test_main.c — runs every registered test (or those whose name contains
 * any of the arguments) and prints "N passed, N failed" last.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ipfs_accelerate.h"

#define MAX_TESTS 512

static struct {
    const char *name;
    ia_test_fn fn;
} tests[MAX_TESTS];
static int n_tests;

void ia_test_register(const char *name, ia_test_fn fn) {
    if (n_tests < MAX_TESTS) {
        tests[n_tests].name = name;
        tests[n_tests].fn = fn;
        n_tests++;
    }
}

const char *ia_test_source_path(const char *rel) {
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s", IA_SOURCE_DIR, rel);
    return buf;
}

const char *ia_test_model_dir(void) {
    static char buf[4096];
    if (ia_model_resolve("all-MiniLM-L6-v2", buf, sizeof buf) != IA_OK) return NULL;
    return buf;
}

int main(int argc, char **argv) {
    int passed = 0, failed = 0;
    for (int i = 0; i < n_tests; i++) {
        int f = 0;
        int wanted = argc == 1;
        for (int a = 1; a < argc && !wanted; a++) wanted = strstr(tests[i].name, argv[a]) != NULL;
        if (!wanted) continue;
        tests[i].fn(&f);
        printf("%s %s\n", f ? "FAIL" : "ok  ", tests[i].name);
        fflush(stdout);
        if (f) failed++; else passed++;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
