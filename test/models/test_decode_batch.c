/*
 * test_decode_batch.c — ia_session_decode_batch on SmolLM2 (Q4_1 GGUF):
 * several sequences decoded in one step give each sequence what decoding
 * it alone gives (logits within kernel rounding, the same greedy tokens),
 * their caches stay separate, and bad batches are refused without
 * changing any session.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "ipfs_accelerate.h"

#define NSEQ 3
#define STEPS 12

static int argmax(const float *x, int n) {
    int best = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[best]) best = i;
    return best;
}

/* Prompts of different lengths, so the sequences sit at different positions. */
static const int32_t prompt0[] = {504, 3458, 282, 4649, 314};          /* "The capital of France is" */
static const int32_t prompt1[] = {9556, 2036, 253, 655};
static const int32_t prompt2[] = {1, 9690, 198, 4093, 314, 216, 34, 30, 34, 47, 2, 198};
static const int32_t *const prompts[NSEQ] = {prompt0, prompt1, prompt2};
static const size_t prompt_len[NSEQ] = {5, 4, 12};

IA_TEST(decode_batch_equals_one_by_one) {
    ia_model *m = ia_test_open_llm(ia_failed_);
    ia_session *alone[NSEQ] = {0}, *batch[NSEQ] = {0};
    int vocab, bad_tokens = 0;
    float *lg_alone, *lg_batch, worst = 0;
    int32_t next_alone[NSEQ], next_batch[NSEQ];
    REQUIRE(m);
    vocab = ia_model_vocab_size(m);
    lg_alone = malloc(sizeof *lg_alone * (size_t)vocab);
    lg_batch = malloc(sizeof *lg_batch * (size_t)vocab * NSEQ);
    REQUIRE(lg_alone && lg_batch);
    for (int i = 0; i < NSEQ; i++) {
        CHECK_STATUS(ia_session_create(m, NULL, &alone[i]), IA_OK);
        CHECK_STATUS(ia_session_create(m, NULL, &batch[i]), IA_OK);
        CHECK_STATUS(ia_session_decode(alone[i], prompts[i], prompt_len[i], lg_alone), IA_OK);
        next_alone[i] = argmax(lg_alone, vocab);
        CHECK_STATUS(ia_session_decode(batch[i], prompts[i], prompt_len[i], lg_alone), IA_OK);
        next_batch[i] = argmax(lg_alone, vocab);
    }
    for (int step = 0; step < STEPS; step++) {
        CHECK_STATUS(ia_session_decode_batch(batch, next_batch, NSEQ, lg_batch), IA_OK);
        for (int i = 0; i < NSEQ; i++) {
            const float *row = lg_batch + (size_t)i * (size_t)vocab;
            CHECK_STATUS(ia_session_decode(alone[i], &next_alone[i], 1, lg_alone), IA_OK);
            for (int v = 0; v < vocab; v++) {
                float d = fabsf(row[v] - lg_alone[v]);
                worst = d > worst || d != d ? d : worst;
            }
            next_alone[i] = argmax(lg_alone, vocab);
            next_batch[i] = argmax(row, vocab);
            bad_tokens += next_alone[i] != next_batch[i];
            CHECK((ia_session_position(batch[i])) == (ia_session_position(alone[i])));
        }
    }
    /* The batch runs the linears as a GEMM over 3 rows, alone as a GEMV:
     * the same int8 products, summed in another order. */
    printf("  %d sequences x %d steps: worst |logit difference| %.2e\n", NSEQ, STEPS, (double)worst);
    CHECK_MSG(worst < 2e-2f, "batched logits differ by %g", (double)worst);
    CHECK((bad_tokens) == (0));
    for (int i = 0; i < NSEQ; i++) {
        ia_session_free(alone[i]);
        ia_session_free(batch[i]);
    }
    free(lg_alone);
    free(lg_batch);
    ia_model_free(m);
}

IA_TEST(decode_batch_refuses_bad_batches) {
    ia_model *m = ia_test_open_llm(ia_failed_), *other = NULL;
    ia_session *s[2] = {0}, *dup[2], *mixed[2], *with_null[2], *o = NULL;
    ia_session_options so;
    int32_t tok[2] = {504, 3458}, bad[2] = {504, -1};
    float *lg;
    REQUIRE(m);
    lg = malloc(sizeof *lg * 2 * (size_t)ia_model_vocab_size(m));
    REQUIRE(lg);
    CHECK_STATUS(ia_session_create(m, NULL, &s[0]), IA_OK);
    CHECK_STATUS(ia_session_create(m, NULL, &s[1]), IA_OK);
    other = ia_test_open_llm(ia_failed_);
    REQUIRE(other);
    CHECK_STATUS(ia_session_create(other, NULL, &o), IA_OK);
    dup[0] = dup[1] = s[0];
    mixed[0] = s[0], mixed[1] = o;
    with_null[0] = s[0], with_null[1] = NULL;
    CHECK_STATUS(ia_session_decode_batch(dup, tok, 2, lg), IA_ERR_INVALID_ARG);
    CHECK_STATUS(ia_session_decode_batch(mixed, tok, 2, lg), IA_ERR_INVALID_ARG);
    CHECK_STATUS(ia_session_decode_batch(with_null, tok, 2, lg), IA_ERR_INVALID_ARG);
    CHECK_STATUS(ia_session_decode_batch(s, bad, 2, lg), IA_ERR_INVALID_ARG);
    CHECK_STATUS(ia_session_decode_batch(s, tok, 0, lg), IA_ERR_INVALID_ARG);
    CHECK_STATUS(ia_session_decode_batch(s, tok, 2, NULL), IA_ERR_INVALID_ARG);
    CHECK((ia_session_position(s[0])) == (0)); /* nothing moved */
    CHECK((ia_session_position(s[1])) == (0));
    /* A full context refuses the whole batch. */
    ia_session_free(s[1]);
    s[1] = NULL;
    ia_session_options_init(&so, sizeof so);
    so.n_ctx = 2;
    CHECK_STATUS(ia_session_create(m, &so, &s[1]), IA_OK);
    CHECK_STATUS(ia_session_decode(s[1], tok, 2, lg), IA_OK);
    CHECK_STATUS(ia_session_decode_batch(s, tok, 2, lg), IA_ERR_INVALID_ARG);
    CHECK((ia_session_position(s[0])) == (0));
    CHECK((ia_session_position(s[1])) == (2));
    ia_session_free(s[0]);
    ia_session_free(s[1]);
    ia_session_free(o);
    ia_model_free(other);
    ia_model_free(m);
    free(lg);
}
