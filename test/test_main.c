/*
 * test_main.c — runs every registered test (or those whose name contains
 * any of the arguments) and prints "N passed, N failed" last.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "ipfs_accelerate.h"

#define MAX_TESTS 512

static struct {
    const char *name;
    ia_test_fn fn;
    int heavy;
} tests[MAX_TESTS];
static int n_tests;

void ia_test_register(const char *name, ia_test_fn fn, int heavy) {
    if (n_tests < MAX_TESTS) {
        tests[n_tests].name = name;
        tests[n_tests].fn = fn;
        tests[n_tests].heavy = heavy;
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

ia_model *ia_test_open_llm(int *failed) {
    ia_model *m = NULL;
    ia_hardware_profile p;
    IA_HARDWARE_PROFILE_INIT(&p);
    p.backend = "cpu";
    if (ia_model_open_profile("smollm2", &p, &m) != IA_OK) {
        fprintf(stderr, "  smollm2: %s (run scripts/fetch_model.sh smollm2)\n", ia_last_error());
        *failed = 1;
    }
    return m;
}

char *ia_test_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) != NULL) {
        if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
            free(buf);
            buf = NULL;
        } else {
            buf[n] = '\0';
            if (len) *len = (size_t)n;
        }
    }
    fclose(f);
    return buf;
}

#if defined(__wasi__)
/* No processes under WASI (the wasm32 test module of
 * scripts/check_wasm32.sh): a test that needs Python fails saying so. */
int ia_test_run_python(const char *script, ...) {
    fprintf(stderr, "  %s: no Python under WASI\n", script);
    return -1;
}
#else
/* Appends s to buf as one single-quoted shell word. */
static void sh_quote(char *buf, size_t cap, const char *s) {
    size_t n = strlen(buf);
    if (n + 2 < cap) buf[n++] = ' ', buf[n++] = '\'';
    for (; *s && n + 5 < cap; s++) {
        if (*s == '\'') {
            memcpy(buf + n, "'\\''", 4);
            n += 4;
        } else {
            buf[n++] = *s;
        }
    }
    if (n + 1 < cap) buf[n++] = '\'';
    buf[n] = '\0';
}

int ia_test_run_python(const char *script, ...) {
    char cmd[16384] = "";
    const char *arg;
    va_list ap;
    int rc;
    sh_quote(cmd, sizeof cmd, ia_test_source_path(".venv/bin/python"));
    sh_quote(cmd, sizeof cmd, ia_test_source_path(script));
    va_start(ap, script);
    while ((arg = va_arg(ap, const char *)) != NULL) sh_quote(cmd, sizeof cmd, arg);
    va_end(ap);
    strncat(cmd, " >/dev/null", sizeof cmd - strlen(cmd) - 1);
    fflush(stdout);
    fflush(stderr);
    rc = system(cmd);
    if (rc != 0) fprintf(stderr, "  exit %d:%s\n", rc, cmd);
    return rc;
}
#endif

int main(int argc, char **argv) {
    int passed = 0, failed = 0, skipped = 0, skip_heavy = getenv("IA_TEST_SKIP_HEAVY") != NULL;
    for (int i = 0; i < n_tests; i++) {
        int f = 0;
        int wanted = argc == 1;
        for (int a = 1; a < argc && !wanted; a++) wanted = strstr(tests[i].name, argv[a]) != NULL;
        if (!wanted) continue;
        if (tests[i].heavy && skip_heavy) {
            printf("skip %s (whole-model test: run in the Release pass)\n", tests[i].name);
            skipped++;
            continue;
        }
        {
            struct timespec t0, t1;
            clock_gettime(CLOCK_MONOTONIC, &t0);
            tests[i].fn(&f);
            clock_gettime(CLOCK_MONOTONIC, &t1);
            if (getenv("IA_TEST_TIMES"))
                printf("%8.3f s %s\n", (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec),
                       tests[i].name);
        }
        printf("%s %s\n", f < 0 ? "skip" : f ? "FAIL" : "ok  ", tests[i].name);
        fflush(stdout);
        if (f < 0) skipped++;
        else if (f) failed++;
        else passed++;
    }
    if (skipped) printf("%d skipped\n", skipped);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

static int b64val(int c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

unsigned char *ia_test_base64(const char *s, size_t *n) {
    size_t cap = s ? strlen(s) / 4 * 3 + 3 : 0, k = 0;
    unsigned char *out;
    unsigned acc = 0;
    int bits = 0;
    if (!s || !(out = malloc(cap ? cap : 1))) return NULL;
    for (; *s; s++) {
        int v = b64val((unsigned char)*s);
        if (v < 0) continue; /* '=' padding, line breaks */
        acc = acc << 6 | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[k++] = (unsigned char)(acc >> bits);
        }
    }
    *n = k;
    return out;
}
