/*
 * generate.c — text generation on a decoder session: tokenize the prompt,
 * reuse the cached prefix, prefill the rest, then sample, stream and stop.
 *
 * Streaming: a token's bytes go through the detokenizer (whole UTF-8
 * characters only) into the reply; the part of the reply that could still
 * become a stop string (a suffix that is a prefix of one) is held back
 * until the next token decides, so the callback never sees a piece of a
 * stop string and the text it saw is always a prefix of the result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/model.h"
#include "models/sampler.h"
#include "tokenize/tokenizer.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/struct_size.h"

/* Prompt tokens per prefill graph: bounds the activations of one run. */
#define PREFILL_CHUNK 512

static double now_ms(void) { return ia_now_sec() * 1000.0; }

void ia_generate_options_init(ia_generate_options *o, size_t struct_size) {
    ia_generate_options d;
    memset(&d, 0, sizeof d);
    d.struct_size = sizeof d;
    d.max_tokens = 256;
    d.add_special = 1;
    d.parse_special = 1;
    ia_struct_export(o, struct_size, &d, sizeof d);
}

void ia_generate_result_init(ia_generate_result *r, size_t struct_size) {
    ia_generate_result d;
    memset(&d, 0, sizeof d);
    d.struct_size = sizeof d;
    ia_struct_export(r, struct_size, &d, sizeof d);
}

typedef struct reply {
    char *text;
    size_t len, cap;
    size_t emitted; /* bytes already given to the callback */
} reply;

static ia_status reply_append(reply *r, const char *s, size_t n) {
    if (r->len + n + 1 > r->cap) {
        size_t cap = (r->len + n + 1) * 2;
        char *t = realloc(r->text, cap);
        if (!t) return ia_error(IA_ERR_NOMEM, "generated text");
        r->text = t;
        r->cap = cap;
    }
    memcpy(r->text + r->len, s, n);
    r->len += n;
    r->text[r->len] = '\0';
    return IA_OK;
}

/* The first stop string found in the reply at or after `from` (bytes not
 * yet searched may hold its start), as its offset; -1 when none. */
static long find_stop(const reply *r, const ia_generate_options *o, size_t from) {
    long best = -1;
    for (size_t i = 0; i < o->n_stop; i++) {
        size_t sl = strlen(o->stop[i]);
        size_t start = from > sl ? from - sl : 0;
        for (size_t p = start; sl && p + sl <= r->len; p++)
            if (memcmp(r->text + p, o->stop[i], sl) == 0) {
                if (best < 0 || (long)p < best) best = (long)p;
                break;
            }
    }
    return best;
}

/* Bytes at the end of the reply that are a proper prefix of a stop string
 * (held back from the stream). */
static size_t stop_hold(const reply *r, const ia_generate_options *o) {
    size_t hold = 0;
    for (size_t i = 0; i < o->n_stop; i++) {
        size_t sl = strlen(o->stop[i]);
        for (size_t k = sl > 1 ? sl - 1 : 0; k > hold; k--)
            if (k <= r->len && memcmp(r->text + r->len - k, o->stop[i], k) == 0) {
                hold = k;
                break;
            }
    }
    return hold;
}

/* Gives the callback what is certain; nonzero when it cancels. */
static int stream(reply *r, const ia_generate_options *o, size_t upto, int32_t token) {
    int cancel = 0;
    if (upto > r->emitted && o->on_token)
        cancel = o->on_token(r->text + r->emitted, upto - r->emitted, token, o->user_data);
    if (upto > r->emitted) r->emitted = upto;
    return cancel;
}

static ia_status check_options(const ia_generate_options *o) {
    if (o->max_tokens < 0) return ia_error(IA_ERR_INVALID_ARG, "generate: max_tokens must be >= 0");
    if (o->n_stop && !o->stop) return ia_error(IA_ERR_INVALID_ARG, "generate: stop is NULL with n_stop = %zu", o->n_stop);
    for (size_t i = 0; i < o->n_stop; i++)
        if (!o->stop[i] || !o->stop[i][0])
            return ia_error(IA_ERR_INVALID_ARG, "generate: stop string %zu is NULL or empty", i);
    return IA_OK;
}

static ia_status tokenize_prompt(ia_session *s, const char *prompt, const ia_generate_options *o, int32_t **ids,
                                 size_t *n) {
    size_t len = strlen(prompt), cap = len + 8, need = 0;
    ia_status st;
    for (int tries = 0; tries < 2; tries++) {
        if (!(*ids = malloc(cap * sizeof **ids))) return ia_error(IA_ERR_NOMEM, "prompt tokens");
        st = ia_tokenizer_tokenize(s->m->tok, prompt, len, o->add_special, o->parse_special, *ids, cap, &need);
        if (st != IA_OK || need <= cap) break;
        free(*ids);
        *ids = NULL;
        cap = need;
    }
    if (st != IA_OK) {
        free(*ids);
        *ids = NULL;
        return st;
    }
    *n = need;
    return IA_OK;
}

/* Prefills ids[from..n) in chunks; the logits after the last into lg. */
static ia_status prefill(ia_session *s, const int32_t *ids, size_t from, size_t n, float *lg) {
    while (from < n) {
        size_t k = n - from > PREFILL_CHUNK ? PREFILL_CHUNK : n - from;
        ia_status st = ia_session_decode(s, ids + from, k, lg);
        if (st != IA_OK) return st;
        from += k;
    }
    return IA_OK;
}

ia_status ia_session_generate(ia_session *s, const char *prompt, const ia_generate_options *opts,
                              ia_generate_result *result) {
    ia_generate_options o;
    ia_generate_result res;
    ia_sampler *sampler = NULL;
    ia_detok detok;
    reply r = {0};
    int32_t *ids = NULL, *hist = NULL;
    float *lg = NULL;
    size_t n_ids = 0, cached = 0, n_hist, hist_cap;
    int vocab, limit, stop_hit = 0;
    double t0 = now_ms(), t_first = 0.0;
    char piece[256];
    ia_status st;
    if (!s || !prompt || !result) return ia_error(IA_ERR_INVALID_ARG, "generate: NULL argument");
    IA_GENERATE_OPTIONS_INIT(&o);
    if (opts && (st = ia_struct_import(&o, sizeof o, opts, "IA_GENERATE_OPTIONS_INIT")) != IA_OK) return st;
    IA_GENERATE_RESULT_INIT(&res);
    if ((st = ia_struct_import(&res, sizeof res, result, "IA_GENERATE_RESULT_INIT")) != IA_OK) return st;
    res.text = NULL;
    if ((st = check_options(&o)) != IA_OK) return st;
    if (!s->kv) return ia_error(IA_ERR_UNSUPPORTED, "%s: the %s family does not generate text", s->m->name, s->m->family->name);
    if (!s->m->tok) return ia_error(IA_ERR_UNSUPPORTED, "%s has no tokenizer to generate text with", s->m->name);
    vocab = s->m->cfg.vocab_size;
    if ((st = tokenize_prompt(s, prompt, &o, &ids, &n_ids)) != IA_OK) goto done;
    if (n_ids == 0) {
        st = ia_error(IA_ERR_INVALID_ARG, "generate: the prompt is empty (no tokens, no BOS)");
        goto done;
    }
    if (n_ids >= (size_t)s->n_ctx) {
        st = ia_error(IA_ERR_INVALID_ARG, "generate: the prompt has %zu tokens; the context holds %d", n_ids, s->n_ctx);
        goto done;
    }
    if ((st = ia_sampler_create(o.sampling, vocab, &sampler)) != IA_OK) goto done;
    hist_cap = (size_t)s->n_ctx;
    if (!(lg = malloc((size_t)vocab * sizeof *lg)) || !(hist = malloc(hist_cap * sizeof *hist))) {
        st = ia_error(IA_ERR_NOMEM, "generate");
        goto done;
    }
    /* The cached prefix: what the session holds of this prompt, minus one
     * token so the last one is decoded again for its logits. */
    cached = ia_session_common_prefix(s, ids, n_ids);
    if (cached == n_ids) cached--;
    ia_session_truncate(s, (int)cached);
    {
        double tp = now_ms();
        if ((st = prefill(s, ids, cached, n_ids, lg)) != IA_OK) goto done;
        res.prompt_ms = now_ms() - tp;
    }
    memcpy(hist, ids, n_ids * sizeof *hist);
    n_hist = n_ids;
    ia_detok_init(&detok, s->m->tok, 0);
    limit = o.max_tokens;
    snprintf(res.finish_reason, sizeof res.finish_reason, "length");
    for (;;) {
        int32_t tok;
        size_t plen = 0, before = r.len, hold;
        long at;
        if (limit && res.generated_tokens >= limit) break;
        if (n_hist >= (size_t)s->n_ctx) break; /* the context is full */
        tok = ia_sampler_sample(sampler, lg, hist, n_hist);
        if (res.generated_tokens == 0) t_first = now_ms();
        res.generated_tokens++;
        hist[n_hist++] = tok;
        if (!o.ignore_eos && ia_tokenizer_is_eog(s->m->tok, tok)) {
            snprintf(res.finish_reason, sizeof res.finish_reason, "stop");
            break;
        }
        if ((st = ia_detok_push(&detok, tok, piece, sizeof piece, &plen)) != IA_OK) goto done;
        if ((st = reply_append(&r, piece, plen)) != IA_OK) goto done;
        if ((at = find_stop(&r, &o, before)) >= 0) {
            r.len = (size_t)at;
            r.text[r.len] = '\0';
            snprintf(res.finish_reason, sizeof res.finish_reason, "stop");
            stop_hit = 1;
            /* the stop token itself is not decoded into the cache */
            break;
        }
        hold = stop_hold(&r, &o);
        if (stream(&r, &o, r.len - hold, tok)) {
            snprintf(res.finish_reason, sizeof res.finish_reason, "cancelled");
            break;
        }
        if (limit && res.generated_tokens >= limit) break;
        if (n_hist >= (size_t)s->n_ctx) break;
        if ((st = ia_session_decode(s, &tok, 1, lg)) != IA_OK) goto done;
    }
    /* bytes the detokenizer still holds (an incomplete character at the
     * end) are the reply's, unless a stop string cut it */
    if (!stop_hit) {
        size_t plen = ia_detok_flush(&detok, piece, sizeof piece);
        if (plen && (st = reply_append(&r, piece, plen)) != IA_OK) goto done;
    }
    if (strcmp(res.finish_reason, "cancelled") != 0) stream(&r, &o, r.len, hist[n_hist - 1]);
    if (!r.text && (st = reply_append(&r, "", 0)) != IA_OK) goto done;
    res.prompt_tokens = (int)n_ids;
    res.cached_tokens = (int)cached;
    res.first_token_ms = res.generated_tokens ? t_first - t0 : 0.0;
    res.generate_ms = res.generated_tokens ? now_ms() - t_first : 0.0;
    res.text = r.text;
    r.text = NULL;
    ia_struct_export(result, result->struct_size, &res, sizeof res);
    st = IA_OK;
done:
    free(r.text);
    free(ids);
    free(hist);
    free(lg);
    ia_sampler_free(sampler);
    return st;
}
