/*
 * test_generate.c — ia_session_generate on SmolLM2 (Q4_1 GGUF):
 * greedy generation equals the argmax loop over ia_session_decode, the
 * same seed gives the same text, a cached prefix changes nothing but the
 * work, streaming gives exactly the result, stop strings, max_tokens,
 * cancelling, and refusals of bad input. The heavy test checks the
 * generated text of the dequantised model against transformers'
 * (test/fixtures/smollm2_reference.json).
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ipfs_accelerate.h"
#include "models/model.h"
#include "models/sampler.h"
#include "tokenize/tokenizer.h"

static ia_status gen(ia_session *s, const char *prompt, int max_tokens, float temp, uint64_t seed,
                     ia_generate_result *r, ia_generate_options *base) {
    ia_sampling_options so;
    ia_generate_options o;
    IA_SAMPLING_OPTIONS_INIT(&so);
    so.temperature = temp;
    so.seed = seed;
    if (base) o = *base;
    else IA_GENERATE_OPTIONS_INIT(&o);
    o.max_tokens = max_tokens;
    o.sampling = &so;
    IA_GENERATE_RESULT_INIT(r);
    return ia_session_generate(s, prompt, &o, r);
}

IA_TEST(generate_greedy_equals_argmax_decoding) {
    const char *prompt = "The three primary colors are";
    ia_model *m = ia_test_open_llm(ia_failed_);
    ia_session *s = NULL, *s2 = NULL;
    ia_generate_result r;
    int32_t ids[64];
    size_t n = 0;
    float *lg = malloc(49152 * sizeof *lg);
    char text[4096] = "", piece[64];
    size_t len = 0, pl;
    ia_detok d;
    REQUIRE(m && lg);
    CHECK_STATUS(ia_session_create(m, NULL, &s), IA_OK);
    CHECK_STATUS(ia_session_create(m, NULL, &s2), IA_OK);
    REQUIRE(s && s2);
    CHECK_STATUS(gen(s, prompt, 24, 0.0f, 1, &r, NULL), IA_OK);
    CHECK(r.generated_tokens == 24 && strcmp(r.finish_reason, "length") == 0);
    CHECK(r.prompt_tokens > 0 && r.cached_tokens == 0 && r.first_token_ms > 0.0);
    /* the same by hand: tokenize, decode, argmax, detokenize */
    CHECK_STATUS(ia_tokenizer_tokenize(m->tok, prompt, strlen(prompt), 1, 1, ids, 64, &n), IA_OK);
    CHECK((int)n == r.prompt_tokens);
    CHECK_STATUS(ia_session_decode(s2, ids, n, lg), IA_OK);
    ia_detok_init(&d, m->tok, 0);
    for (int k = 0; k < 24; k++) {
        int32_t best = 0;
        for (int v = 1; v < 49152; v++)
            if (lg[v] > lg[best]) best = v;
        CHECK_STATUS(ia_detok_push(&d, best, piece, sizeof piece, &pl), IA_OK);
        memcpy(text + len, piece, pl);
        len += pl;
        if (k < 23) CHECK_STATUS(ia_session_decode(s2, &best, 1, lg), IA_OK);
    }
    len += ia_detok_flush(&d, text + len, sizeof text - len);
    text[len] = '\0';
    CHECK_MSG(strcmp(r.text, text) == 0, "generate %s\nby hand  %s", r.text, text);
    ia_free(r.text);
    ia_session_free(s);
    ia_session_free(s2);
    ia_model_free(m);
    free(lg);
}

IA_TEST(generate_seed_and_prefix_cache) {
    const char *prompt = "Once upon a time, in a small village,";
    ia_model *m = ia_test_open_llm(ia_failed_);
    ia_session *s = NULL, *fresh = NULL;
    ia_generate_result a, b, c, e;
    char longer[256];
    REQUIRE(m);
    CHECK_STATUS(ia_session_create(m, NULL, &s), IA_OK);
    CHECK_STATUS(ia_session_create(m, NULL, &fresh), IA_OK);
    REQUIRE(s && fresh);
    CHECK_STATUS(gen(s, prompt, 16, 0.9f, 42, &a, NULL), IA_OK);
    CHECK_STATUS(gen(fresh, prompt, 16, 0.9f, 42, &b, NULL), IA_OK);
    CHECK_MSG(a.text && b.text && strcmp(a.text, b.text) == 0, "seed 42 twice: '%s' vs '%s'", a.text, b.text);
    CHECK(a.cached_tokens == 0);
    /* seeds 1..4 give at least two different texts */
    {
        int differ = 0;
        for (uint64_t seed = 1; seed <= 4; seed++) {
            CHECK_STATUS(gen(fresh, prompt, 16, 0.9f, seed, &c, NULL), IA_OK);
            differ += c.text && strcmp(c.text, a.text) != 0;
            ia_free(c.text);
        }
        CHECK_MSG(differ >= 2, "only %d of 4 other seeds changed the text", differ);
    }
    /* the same prompt again on s: all but the last token are cached, and
     * the greedy reply equals a fresh session's */
    snprintf(longer, sizeof longer, "%s there lived", prompt);
    CHECK_STATUS(gen(s, longer, 12, 0.0f, 7, &c, NULL), IA_OK);
    CHECK_MSG(c.cached_tokens > 0 && c.cached_tokens < c.prompt_tokens, "cached %d of %d", c.cached_tokens,
              c.prompt_tokens);
    ia_session_reset(fresh);
    CHECK_STATUS(gen(fresh, longer, 12, 0.0f, 7, &e, NULL), IA_OK);
    CHECK(e.cached_tokens == 0);
    CHECK_MSG(c.text && e.text && strcmp(c.text, e.text) == 0, "cached '%s' vs fresh '%s'", c.text, e.text);
    ia_free(a.text);
    ia_free(b.text);
    ia_free(c.text);
    ia_free(e.text);
    ia_session_free(s);
    ia_session_free(fresh);
    ia_model_free(m);
}

typedef struct collected {
    char buf[4096];
    size_t len;
    int calls, cancel_after;
} collected;

static int collect(const char *piece, size_t len, int32_t token, void *ud) {
    collected *c = ud;
    (void)token;
    if (c->len + len < sizeof c->buf) memcpy(c->buf + c->len, piece, len), c->len += len;
    c->buf[c->len] = '\0';
    return ++c->calls == c->cancel_after;
}

IA_TEST(generate_streams_stops_and_cancels) {
    const char *prompt = "List of prime numbers: 2, 3, 5, 7,";
    ia_model *m = ia_test_open_llm(ia_failed_);
    ia_session *s = NULL;
    ia_generate_options o;
    ia_generate_result full, r;
    collected col;
    const char *stop[1];
    char *cut;
    REQUIRE(m);
    CHECK_STATUS(ia_session_create(m, NULL, &s), IA_OK);
    REQUIRE(s);
    /* the reference: greedy 40 tokens, no stop */
    CHECK_STATUS(gen(s, prompt, 40, 0.0f, 1, &full, NULL), IA_OK);
    REQUIRE(full.text && strlen(full.text) > 8);
    /* streaming: the pieces are the result */
    IA_GENERATE_OPTIONS_INIT(&o);
    memset(&col, 0, sizeof col);
    o.on_token = collect;
    o.user_data = &col;
    CHECK_STATUS(gen(s, prompt, 40, 0.0f, 1, &r, &o), IA_OK);
    CHECK_MSG(strcmp(col.buf, r.text) == 0 && strcmp(r.text, full.text) == 0, "streamed '%s' result '%s'", col.buf,
              r.text);
    CHECK(col.calls >= 2);
    ia_free(r.text);
    /* a stop string taken from the middle of the text: the result ends
     * right before it, and the stream never showed any of it */
    cut = strstr(full.text + 4, ",");
    REQUIRE(cut);
    {
        char stop_str[8];
        snprintf(stop_str, sizeof stop_str, "%.3s", cut);
        stop[0] = stop_str;
        memset(&col, 0, sizeof col);
        o.stop = stop;
        o.n_stop = 1;
        CHECK_STATUS(gen(s, prompt, 40, 0.0f, 1, &r, &o), IA_OK);
        CHECK(strcmp(r.finish_reason, "stop") == 0);
        CHECK_MSG(r.text && strstr(full.text, r.text) == full.text && strstr(r.text, stop_str) == NULL,
                  "stop '%s': '%s'", stop_str, r.text);
        CHECK_MSG(strcmp(col.buf, r.text) == 0, "streamed '%s' vs '%s'", col.buf, r.text);
        ia_free(r.text);
    }
    /* cancelling after 3 pieces */
    memset(&col, 0, sizeof col);
    col.cancel_after = 3;
    o.stop = NULL;
    o.n_stop = 0;
    CHECK_STATUS(gen(s, prompt, 40, 0.0f, 1, &r, &o), IA_OK);
    CHECK(strcmp(r.finish_reason, "cancelled") == 0 && col.calls == 3);
    CHECK(r.text && strcmp(r.text, col.buf) == 0 && r.generated_tokens < 40);
    ia_free(r.text);
    ia_free(full.text);
    ia_session_free(s);
    ia_model_free(m);
}

IA_TEST(generate_refuses_bad_input) {
    ia_model *m = ia_test_open_llm(ia_failed_), *bert = NULL;
    ia_session *s = NULL, *tiny = NULL, *enc = NULL;
    ia_session_options so;
    ia_generate_options o;
    ia_generate_result r;
    ia_sampling_options sp;
    const char *stop[1] = {""};
    char *big;
    REQUIRE(m);
    CHECK_STATUS(ia_session_create(m, NULL, &s), IA_OK);
    REQUIRE(s);
    IA_GENERATE_RESULT_INIT(&r);
    CHECK_STATUS(ia_session_generate(s, NULL, NULL, &r), IA_ERR_INVALID_ARG);
    CHECK_STATUS(ia_session_generate(s, "", NULL, &r), IA_ERR_INVALID_ARG); /* no BOS: no tokens */
    IA_GENERATE_OPTIONS_INIT(&o);
    o.max_tokens = -1;
    CHECK_STATUS(ia_session_generate(s, "hi", &o, &r), IA_ERR_INVALID_ARG);
    IA_GENERATE_OPTIONS_INIT(&o);
    o.stop = stop;
    o.n_stop = 1;
    CHECK_STATUS(ia_session_generate(s, "hi", &o, &r), IA_ERR_INVALID_ARG);
    IA_GENERATE_OPTIONS_INIT(&o);
    IA_SAMPLING_OPTIONS_INIT(&sp);
    sp.top_p = 0.0f;
    o.sampling = &sp;
    CHECK_STATUS(ia_session_generate(s, "hi", &o, &r), IA_ERR_INVALID_ARG);
    CHECK(strstr(ia_last_error(), "top_p") != NULL);
    /* a prompt longer than the context */
    IA_SESSION_OPTIONS_INIT(&so);
    so.n_ctx = 16;
    CHECK_STATUS(ia_session_create(m, &so, &tiny), IA_OK);
    big = malloc(4000);
    REQUIRE(big);
    for (int i = 0; i < 3999; i++) big[i] = "ab "[i % 3];
    big[3999] = '\0';
    CHECK_STATUS(ia_session_generate(tiny, big, NULL, &r), IA_ERR_INVALID_ARG);
    CHECK(strstr(ia_last_error(), "context") != NULL);
    /* a context that fills: generation ends with "length" at n_ctx */
    CHECK_STATUS(gen(tiny, "Hello", 0, 0.0f, 1, &r, NULL), IA_OK);
    CHECK(strcmp(r.finish_reason, "length") == 0 && r.prompt_tokens + r.generated_tokens <= 16);
    ia_free(r.text);
    /* an encoder does not generate */
    CHECK_STATUS(ia_model_open("all-MiniLM-L6-v2", NULL, &bert), IA_OK);
    if (bert) {
        CHECK_STATUS(ia_session_create(bert, NULL, &enc), IA_OK);
        CHECK_STATUS(ia_session_generate(enc, "hi", NULL, &r), IA_ERR_UNSUPPORTED);
        CHECK(ia_session_cache_bytes(enc) == 0);
    }
    CHECK(ia_session_cache_bytes(s) == (size_t)30 * 4096 * (192 + 192) * 4);
    CHECK(ia_session_context(tiny) == 16);
    free(big);
    ia_session_free(enc);
    ia_model_free(bert);
    ia_session_free(tiny);
    ia_session_free(s);
    ia_model_free(m);
}

IA_TEST(chat_template_renders_smollm2) {
    ia_model *m = ia_test_open_llm(ia_failed_);
    ia_chat_message msgs[2] = {{"user", "What is 2+2?"}, {"assistant", "4"}};
    char *out = NULL;
    REQUIRE(m);
    CHECK_STATUS(ia_model_apply_chat_template(m, msgs, 1, 1, &out), IA_OK);
    /* SmolLM2's template adds its default system message when none is given */
    CHECK_MSG(out && strcmp(out, "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging "
                                 "Face<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n") == 0,
              "rendered '%s'", out);
    ia_free(out);
    CHECK_STATUS(ia_model_apply_chat_template(m, msgs, 2, 0, &out), IA_OK);
    CHECK(out && strstr(out, "<|im_start|>assistant\n4<|im_end|>\n") != NULL);
    ia_free(out);
    msgs[0].content = NULL;
    CHECK_STATUS(ia_model_apply_chat_template(m, msgs, 1, 1, &out), IA_ERR_INVALID_ARG);
    ia_model_free(m);
}

/* The sampler alone: top-k 1 is greedy; a penalty moves the choice; min-p
 * and top-p keep only the likely tokens; the draw follows the
 * probabilities. */
IA_TEST(sampler_chain) {
    ia_sampling_options o;
    ia_sampler *s = NULL;
    float lg[8];
    int32_t hist[2] = {3, 3};
    int counts[8] = {0};
    IA_SAMPLING_OPTIONS_INIT(&o);
    o.top_k = 1;
    o.seed = 5;
    CHECK_STATUS(ia_sampler_create(&o, 8, &s), IA_OK);
    for (int i = 0; i < 8; i++) lg[i] = (float)i * 0.1f;
    lg[3] = 5.0f;
    CHECK(ia_sampler_sample(s, lg, NULL, 0) == 3);
    ia_sampler_free(s);
    /* greedy with a repetition penalty on token 3 (seen twice, counted once) */
    IA_SAMPLING_OPTIONS_INIT(&o);
    o.temperature = 0.0f;
    o.repeat_penalty = 10.0f;
    CHECK_STATUS(ia_sampler_create(&o, 8, &s), IA_OK);
    for (int i = 0; i < 8; i++) lg[i] = (float)i * 0.1f;
    lg[3] = 5.0f;
    CHECK(ia_sampler_sample(s, lg, hist, 2) == 7); /* 5.0 / 10 = 0.5 < 0.7 */
    CHECK(lg[3] == 0.5f);
    ia_sampler_free(s);
    /* min-p 0.5: only tokens within ln 2 of the best survive */
    IA_SAMPLING_OPTIONS_INIT(&o);
    o.top_k = 0;
    o.top_p = 1.0f;
    o.min_p = 0.5f;
    o.temperature = 1.0f;
    o.seed = 11;
    CHECK_STATUS(ia_sampler_create(&o, 8, &s), IA_OK);
    for (int t = 0; t < 2000; t++) {
        for (int i = 0; i < 8; i++) lg[i] = 0.0f;
        lg[2] = 3.0f;
        lg[6] = 3.0f - 0.5f; /* p ratio e^-0.5 = 0.61 > 0.5: kept */
        lg[1] = 3.0f - 1.0f; /* e^-1 = 0.37 < 0.5: dropped */
        counts[ia_sampler_sample(s, lg, NULL, 0)]++;
    }
    CHECK_MSG(counts[1] == 0 && counts[0] == 0 && counts[2] + counts[6] == 2000, "counts %d %d %d %d", counts[0],
              counts[1], counts[2], counts[6]);
    /* p(2) = 1 / (1 + e^-0.5) = 0.622: 2000 draws within 5 sigma */
    CHECK_MSG(counts[2] > 1244 - 108 && counts[2] < 1244 + 108, "token 2 drawn %d of 2000", counts[2]);
    ia_sampler_free(s);
    /* bad options */
    IA_SAMPLING_OPTIONS_INIT(&o);
    o.temperature = -1.0f;
    CHECK_STATUS(ia_sampler_create(&o, 8, &s), IA_ERR_INVALID_ARG);
    IA_SAMPLING_OPTIONS_INIT(&o);
    o.min_p = 2.0f;
    CHECK_STATUS(ia_sampler_create(&o, 8, &s), IA_ERR_INVALID_ARG);
}

static int load_cases(cJSON **root) {
    char *text = ia_test_read_file(ia_test_source_path("test/fixtures/smollm2_reference.json"), NULL);
    *root = text ? cJSON_Parse(text) : NULL;
    free(text);
    return *root != NULL;
}

IA_TEST_HEAVY(generate_dequantised_text_matches_transformers) {
    cJSON *root = NULL, *c;
    ia_model *m;
    ia_session *s = NULL;
    ia_generate_options o;
    int same = 0, n = 0;
    REQUIRE(load_cases(&root));
    REQUIRE((m = ia_test_open_llm(ia_failed_)) != NULL);
    CHECK_STATUS(ia_model_dequantize_linears(m), IA_OK);
    CHECK_STATUS(ia_session_create(m, NULL, &s), IA_OK);
    IA_GENERATE_OPTIONS_INIT(&o);
    o.ignore_eos = 1;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(root, "cases")) {
        ia_generate_result r;
        const char *text = cJSON_GetStringValue(cJSON_GetObjectItem(c, "text"));
        const char *want = cJSON_GetStringValue(cJSON_GetObjectItem(c, "greedy_text"));
        n++;
        if (!s || !text || !want || gen(s, text, 64, 0.0f, 1, &r, &o) != IA_OK) {
            CHECK_MSG(0, "case %d: %s", n, ia_last_error());
            continue;
        }
        if (strcmp(r.text, want) == 0) same++;
        else fprintf(stderr, "  case %d:\n   ours '%s'\n   want '%s'\n", n, r.text, want);
        ia_free(r.text);
    }
    CHECK_MSG(n == 10 && same == n, "generated text equals transformers' on %d of %d prompts", same, n);
    ia_session_free(s);
    ia_model_free(m);
    cJSON_Delete(root);
}
