/*
 * harness.h — the C test harness: register tests with IA_TEST(), check with
 * CHECK*(); the runner prints each failure and "N passed, N failed" last.
 *
 * Tests register themselves through constructors, so a new test file needs
 * no edit anywhere else (CMake globs every .c file under test/).
 */
#ifndef IA_TEST_HARNESS_H
#define IA_TEST_HARNESS_H

#include <math.h>
#include <stddef.h>
#include <stdio.h>

typedef void (*ia_test_fn)(int *failed);
void ia_test_register(const char *name, ia_test_fn fn, int heavy);

#define IA_TEST(name)                                                     \
    static void name(int *ia_failed_);                                    \
    __attribute__((constructor)) static void name##_register(void) {      \
        ia_test_register(#name, name, 0);                                 \
    }                                                                     \
    static void name(int *ia_failed_)

/* A whole-model end-to-end test (a full STS-B pass, a model quantised
 * end to end): run in the Release pass, skipped — and counted as skipped,
 * not passed — when IA_TEST_SKIP_HEAVY is set (the sanitizer passes, where
 * they cost minutes and exercise no code the smaller tests do not). */
#define IA_TEST_HEAVY(name)                                               \
    static void name(int *ia_failed_);                                    \
    __attribute__((constructor)) static void name##_register(void) {      \
        ia_test_register(#name, name, 1);                                 \
    }                                                                     \
    static void name(int *ia_failed_)

#define CHECK(cond)                                                       \
    do {                                                                  \
        if (!(cond)) {                                                    \
            fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__,      \
                    __LINE__, #cond);                                     \
            *ia_failed_ = 1;                                              \
        }                                                                 \
    } while (0)

#define CHECK_MSG(cond, ...)                                              \
    do {                                                                  \
        if (!(cond)) {                                                    \
            fprintf(stderr, "  %s:%d: CHECK(%s) failed: ", __FILE__,      \
                    __LINE__, #cond);                                     \
            fprintf(stderr, __VA_ARGS__);                                 \
            fputc('\n', stderr);                                          \
            *ia_failed_ = 1;                                              \
        }                                                                 \
    } while (0)

/* Ends the current test as skipped (counted as skipped, not passed) with
 * the reason printed: only for an input that may legitimately be absent
 * on a machine (a large model file nobody commits). */
#define SKIP(...)                                                         \
    do {                                                                  \
        fprintf(stderr, "  skipped: ");                                   \
        fprintf(stderr, __VA_ARGS__);                                     \
        fputc('\n', stderr);                                              \
        if (!*ia_failed_) *ia_failed_ = -1; /* a failure stays a failure */ \
        return;                                                           \
    } while (0)

/* Stops the current test (after a failed precondition). */
#define REQUIRE(cond)                                                     \
    do {                                                                  \
        if (!(cond)) {                                                    \
            fprintf(stderr, "  %s:%d: REQUIRE(%s) failed\n", __FILE__,    \
                    __LINE__, #cond);                                     \
            *ia_failed_ = 1;                                              \
            return;                                                       \
        }                                                                 \
    } while (0)

#define CHECK_STATUS(expr, want)                                          \
    do {                                                                  \
        ia_status st_ = (expr);                                           \
        if (st_ != (want)) {                                              \
            fprintf(stderr, "  %s:%d: %s returned %d (%s), want %d: %s\n",\
                    __FILE__, __LINE__, #expr, (int)st_,                  \
                    ia_status_str(st_), (int)(want), ia_last_error());    \
            *ia_failed_ = 1;                                              \
        }                                                                 \
    } while (0)

/* Path of a file in the source tree (test fixtures). Static buffer. */
const char *ia_test_source_path(const char *rel);

/* Directory of the default model, or NULL if it is not in the cache
 * (tests that need it then fail: setup must have placed it). */
const char *ia_test_model_dir(void);

/* SmolLM2 (the model cache's smollm2, Q4_1 GGUF) on the CPU, or NULL with
 * *failed set and the reason printed (setup places it:
 * scripts/fetch_model.sh smollm2). Free with ia_model_free. */
struct ia_model *ia_test_open_llm(int *failed);

/* The whole file, NUL-terminated (caller frees); NULL if unreadable. */
char *ia_test_read_file(const char *path, size_t *len);

/* Base64 text → bytes (*n of them; caller frees); NULL when s is NULL or
 * memory is short. Fixtures store float32 arrays this way. */
unsigned char *ia_test_base64(const char *s, size_t *n);

/* Runs `.venv/bin/python <script> <args...>` of this checkout (the
 * generators under scripts/ that make model directories at test time:
 * weights are never committed), stdout discarded. Returns its exit
 * status; args are passed as separate words, NULL-terminated. */
int ia_test_run_python(const char *script, ...);

#endif
