/*
 * test_generation_step.c — ia_generation_start/step/end on SmolLM2 (Q4_1
 * GGUF): generations stepped together (one batched decode per step) give
 * each the text it gives alone, streamed pieces add up to the result,
 * each keeps its own limits, ending one early cancels it, and lists that
 * cannot be stepped together are refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ipfs_accelerate.h"

#define NGEN 3

typedef struct streamed {
    char text[4096];
    size_t len;
} streamed;

static int collect(const char *piece, size_t len, int32_t token, void *ud) {
    streamed *s = ud;
    (void)token;
    if (s->len + len < sizeof s->text) memcpy(s->text + s->len, piece, len), s->len += len;
    s->text[s->len] = '\0';
    return 0;
}

static const char *const prompts[NGEN] = {"The three primary colors are", "Once upon a time",
                                          "def fibonacci(n):"};
static const int limits[NGEN] = {20, 9, 14};

IA_TEST(generation_steps_together_equal_alone) {
    ia_model *m = ia_test_open_llm(ia_failed_);
    ia_session *s[NGEN] = {0};
    ia_generation *g[NGEN] = {0};
    ia_generate_options o[NGEN];
    ia_sampling_options greedy;
    streamed st[NGEN];
    char *alone[NGEN] = {0};
    int steps = 0;
    REQUIRE(m);
    IA_SAMPLING_OPTIONS_INIT(&greedy);
    greedy.temperature = 0.0f;
    for (int i = 0; i < NGEN; i++) {
        ia_generate_result r;
        CHECK_STATUS(ia_session_create(m, NULL, &s[i]), IA_OK);
        REQUIRE(s[i]);
        IA_GENERATE_OPTIONS_INIT(&o[i]);
        o[i].max_tokens = limits[i];
        o[i].sampling = &greedy;
        IA_GENERATE_RESULT_INIT(&r);
        CHECK_STATUS(ia_session_generate(s[i], prompts[i], &o[i], &r), IA_OK);
        alone[i] = r.text;
        ia_session_reset(s[i]);
        memset(&st[i], 0, sizeof st[i]);
        o[i].on_token = collect;
        o[i].user_data = &st[i];
        CHECK_STATUS(ia_generation_start(s[i], prompts[i], &o[i], &g[i]), IA_OK);
        REQUIRE(g[i]);
    }
    while (!ia_generation_finished(g[0]) || !ia_generation_finished(g[1]) || !ia_generation_finished(g[2])) {
        CHECK_STATUS(ia_generation_step(g, NGEN), IA_OK);
        REQUIRE(++steps <= 64);
    }
    for (int i = 0; i < NGEN; i++) {
        ia_generate_result r;
        IA_GENERATE_RESULT_INIT(&r);
        CHECK_STATUS(ia_generation_end(g[i], &r), IA_OK);
        CHECK(r.generated_tokens == limits[i] && strcmp(r.finish_reason, "length") == 0);
        if (alone[i] && r.text && strcmp(alone[i], r.text) != 0)
            fprintf(stderr, "  batched %d: '%s' != alone '%s'\n", i, r.text, alone[i]);
        CHECK(alone[i] && r.text && strcmp(alone[i], r.text) == 0);
        CHECK(r.text && strcmp(st[i].text, r.text) == 0);
        ia_free(r.text);
        ia_free(alone[i]);
        ia_session_free(s[i]);
    }
    ia_model_free(m);
}

IA_TEST(generation_end_early_cancels_and_bad_lists_are_refused) {
    ia_model *m = ia_test_open_llm(ia_failed_);
    ia_session *s = NULL;
    ia_generation *g = NULL, *g2 = NULL, *pair[2];
    ia_generate_result r;
    size_t len = 99;
    REQUIRE(m);
    CHECK_STATUS(ia_session_create(m, NULL, &s), IA_OK);
    REQUIRE(s);
    CHECK_STATUS(ia_generation_start(s, "Hello", NULL, &g), IA_OK);
    REQUIRE(g);
    CHECK(!ia_generation_finished(g));
    CHECK(strcmp(ia_generation_text(g, &len), "") == 0 && len == 0);
    CHECK_STATUS(ia_generation_step(&g, 1), IA_OK);
    /* the same generation twice, and two on one session, cannot share a step */
    pair[0] = pair[1] = g;
    CHECK_STATUS(ia_generation_step(pair, 2), IA_ERR_INVALID_ARG);
    CHECK_STATUS(ia_generation_start(s, "Hi", NULL, &g2), IA_OK);
    pair[1] = g2;
    CHECK_STATUS(ia_generation_step(pair, 2), IA_ERR_INVALID_ARG);
    CHECK_STATUS(ia_generation_end(g2, NULL), IA_OK);
    CHECK_STATUS(ia_generation_start(s, NULL, NULL, &g2), IA_ERR_INVALID_ARG);
    CHECK(g2 == NULL);
    IA_GENERATE_RESULT_INIT(&r);
    CHECK_STATUS(ia_generation_end(g, &r), IA_OK);
    CHECK(strcmp(r.finish_reason, "cancelled") == 0 && r.generated_tokens == 1);
    ia_free(r.text);
    CHECK(ia_generation_finished(NULL));
    CHECK_STATUS(ia_generation_end(NULL, NULL), IA_ERR_INVALID_ARG);
    ia_session_free(s);
    ia_model_free(m);
}
