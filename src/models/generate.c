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

/* ------------------------------------------------------------ generations */

struct ia_generation {
    ia_session *s;
    ia_generate_options o;
    ia_generate_result res;
    ia_sampler *sampler;
    ia_detok detok;
    reply r;
    int32_t *ids, *hist;
    float *lg;           /* logits after the last token decoded */
    size_t n_ids, cached, n_hist;
    int vocab, stop_hit, finished;
    int32_t pending;     /* token chosen this step, to decode */
    double t0, t_first;
    ia_status st;        /* the error that finished it, if any */
};

static void ia_generation_free(ia_generation *g) {
    if (!g) return;
    free(g->r.text);
    free(g->ids);
    free(g->hist);
    free(g->lg);
    ia_sampler_free(g->sampler);
    free(g);
}

ia_status ia_generation_start(ia_session *s, const char *prompt, const ia_generate_options *opts,
                              ia_generation **out) {
    ia_generation *g;
    ia_status st;
    if (!out) return ia_error(IA_ERR_INVALID_ARG, "generate: out is NULL");
    *out = NULL;
    if (!s || !prompt) return ia_error(IA_ERR_INVALID_ARG, "generate: NULL argument");
    if (!(g = calloc(1, sizeof *g))) return ia_error(IA_ERR_NOMEM, "generation");
    g->s = s;
    g->t0 = now_ms();
    IA_GENERATE_OPTIONS_INIT(&g->o);
    IA_GENERATE_RESULT_INIT(&g->res);
    if (opts && (st = ia_struct_import(&g->o, sizeof g->o, opts, "IA_GENERATE_OPTIONS_INIT")) != IA_OK) goto fail;
    if ((st = check_options(&g->o)) != IA_OK) goto fail;
    if (!s->kv) {
        st = ia_error(IA_ERR_UNSUPPORTED, "%s: the %s family does not generate text", s->m->name, s->m->family->name);
        goto fail;
    }
    if (!s->m->tok) {
        st = ia_error(IA_ERR_UNSUPPORTED, "%s has no tokenizer to generate text with", s->m->name);
        goto fail;
    }
    g->vocab = s->m->cfg.vocab_size;
    if ((st = tokenize_prompt(s, prompt, &g->o, &g->ids, &g->n_ids)) != IA_OK) goto fail;
    if (g->n_ids == 0) {
        st = ia_error(IA_ERR_INVALID_ARG, "generate: the prompt is empty (no tokens, no BOS)");
        goto fail;
    }
    if (g->n_ids >= (size_t)s->n_ctx) {
        st = ia_error(IA_ERR_INVALID_ARG, "generate: the prompt has %zu tokens; the context holds %d", g->n_ids,
                      s->n_ctx);
        goto fail;
    }
    if ((st = ia_sampler_create(g->o.sampling, g->vocab, &g->sampler)) != IA_OK) goto fail;
    if (!(g->lg = malloc((size_t)g->vocab * sizeof *g->lg)) || !(g->hist = malloc((size_t)s->n_ctx * sizeof *g->hist))) {
        st = ia_error(IA_ERR_NOMEM, "generate");
        goto fail;
    }
    /* The cached prefix: what the session holds of this prompt, minus one
     * token so the last one is decoded again for its logits. */
    g->cached = ia_session_common_prefix(s, g->ids, g->n_ids);
    if (g->cached == g->n_ids) g->cached--;
    ia_session_truncate(s, (int)g->cached);
    {
        double tp = now_ms();
        if ((st = prefill(s, g->ids, g->cached, g->n_ids, g->lg)) != IA_OK) goto fail;
        g->res.prompt_ms = now_ms() - tp;
    }
    memcpy(g->hist, g->ids, g->n_ids * sizeof *g->hist);
    g->n_hist = g->n_ids;
    ia_detok_init(&g->detok, s->m->tok, 0);
    snprintf(g->res.finish_reason, sizeof g->res.finish_reason, "length");
    *out = g;
    return IA_OK;
fail:
    ia_generation_free(g);
    return st;
}

static void finish(ia_generation *g, const char *reason) {
    if (reason) snprintf(g->res.finish_reason, sizeof g->res.finish_reason, "%s", reason);
    g->finished = 1;
}

/* The end of a generation that did not fail: bytes the detokenizer still
 * holds (an incomplete character at the end) are the reply's unless a stop
 * string cut it, and the callback gets what it has not seen. */
static void conclude(ia_generation *g) {
    char piece[256];
    if (!g->stop_hit) {
        size_t plen = ia_detok_flush(&g->detok, piece, sizeof piece);
        if (plen && (g->st = reply_append(&g->r, piece, plen)) != IA_OK) return;
    }
    if (strcmp(g->res.finish_reason, "cancelled") != 0) stream(&g->r, &g->o, g->r.len, g->hist[g->n_hist - 1]);
}

/* Chooses g's next token and streams it; 1 when the token is to be decoded
 * (the generation goes on), 0 when g finished. */
static int choose(ia_generation *g) {
    const ia_generate_options *o = &g->o;
    char piece[256];
    size_t plen = 0, before = g->r.len;
    int limit = o->max_tokens, ctx = g->s->n_ctx;
    long at;
    int32_t tok;
    if ((limit && g->res.generated_tokens >= limit) || g->n_hist >= (size_t)ctx) return finish(g, NULL), 0;
    tok = ia_sampler_sample(g->sampler, g->lg, g->hist, g->n_hist);
    if (g->res.generated_tokens == 0) g->t_first = now_ms();
    g->res.generated_tokens++;
    g->hist[g->n_hist++] = tok;
    if (!o->ignore_eos && ia_tokenizer_is_eog(g->s->m->tok, tok)) return finish(g, "stop"), 0;
    if ((g->st = ia_detok_push(&g->detok, tok, piece, sizeof piece, &plen)) != IA_OK ||
        (g->st = reply_append(&g->r, piece, plen)) != IA_OK)
        return finish(g, NULL), 0;
    if ((at = find_stop(&g->r, o, before)) >= 0) {
        g->r.len = (size_t)at;
        g->r.text[g->r.len] = '\0';
        g->stop_hit = 1;
        /* the stop token itself is not decoded into the cache */
        return finish(g, "stop"), 0;
    }
    if (stream(&g->r, o, g->r.len - stop_hold(&g->r, o), tok)) return finish(g, "cancelled"), 0;
    if ((limit && g->res.generated_tokens >= limit) || g->n_hist >= (size_t)ctx) return finish(g, NULL), 0;
    g->pending = tok;
    return 1;
}

/* Decodes the chosen tokens of the k generations in go: one sequence alone
 * takes the single-sequence path (the same arithmetic as a lone
 * generate), several share one batched step. */
static ia_status decode_chosen(ia_generation **go, size_t k) {
    ia_session **ss;
    int32_t *toks;
    float *lg;
    ia_status st;
    int vocab = go[0]->vocab;
    if (k == 1) return ia_session_decode(go[0]->s, &go[0]->pending, 1, go[0]->lg);
    ss = malloc(k * sizeof *ss);
    toks = malloc(k * sizeof *toks);
    lg = malloc(k * (size_t)vocab * sizeof *lg);
    if (!ss || !toks || !lg) {
        st = ia_error(IA_ERR_NOMEM, "generation step of %zu sequences", k);
        goto done;
    }
    for (size_t i = 0; i < k; i++) ss[i] = go[i]->s, toks[i] = go[i]->pending;
    if ((st = ia_session_decode_batch(ss, toks, k, lg)) != IA_OK) goto done;
    for (size_t i = 0; i < k; i++) memcpy(go[i]->lg, lg + i * (size_t)vocab, (size_t)vocab * sizeof *lg);
done:
    free(ss);
    free(toks);
    free(lg);
    return st;
}

ia_status ia_generation_step(ia_generation *const *gens, size_t n) {
    ia_generation **go;
    size_t k = 0;
    ia_status st = IA_OK;
    if (!gens && n) return ia_error(IA_ERR_INVALID_ARG, "generation step: NULL list");
    for (size_t i = 0; i < n; i++) {
        if (!gens[i]) return ia_error(IA_ERR_INVALID_ARG, "generation step: generation %zu is NULL", i);
        for (size_t j = 0; j < i; j++)
            if (gens[j] == gens[i]) return ia_error(IA_ERR_INVALID_ARG, "generation step: %zu appears twice", i);
        for (size_t j = 0; j < i; j++)
            if (!gens[j]->finished && !gens[i]->finished && gens[j]->s == gens[i]->s)
                return ia_error(IA_ERR_INVALID_ARG, "generation step: %zu and %zu share a session", j, i);
    }
    if (!(go = malloc((n ? n : 1) * sizeof *go))) return ia_error(IA_ERR_NOMEM, "generation step");
    for (size_t i = 0; i < n; i++) {
        ia_generation *g = gens[i];
        if (g->finished) continue;
        if (choose(g)) go[k++] = g;
        else if (g->st == IA_OK) conclude(g);
    }
    if (k && (st = decode_chosen(go, k)) != IA_OK)
        for (size_t i = 0; i < k; i++) go[i]->st = st, finish(go[i], NULL);
    free(go);
    return st;
}

int ia_generation_finished(const ia_generation *g) { return !g || g->finished; }

const char *ia_generation_text(const ia_generation *g, size_t *len) {
    if (len) *len = g ? g->r.len : 0;
    return g && g->r.text ? g->r.text : "";
}

ia_status ia_generation_end(ia_generation *g, ia_generate_result *result) {
    ia_generate_result res;
    ia_status st;
    if (!g) return ia_error(IA_ERR_INVALID_ARG, "generation end: NULL generation");
    if (!g->finished) {
        finish(g, "cancelled");
        if (!g->stop_hit) {
            char piece[256];
            size_t plen = ia_detok_flush(&g->detok, piece, sizeof piece);
            if (plen) g->st = reply_append(&g->r, piece, plen);
        }
    }
    if ((st = g->st) != IA_OK) goto done;
    if (!result) goto done;
    IA_GENERATE_RESULT_INIT(&res);
    if ((st = ia_struct_import(&res, sizeof res, result, "IA_GENERATE_RESULT_INIT")) != IA_OK) goto done;
    if (!g->r.text && (st = reply_append(&g->r, "", 0)) != IA_OK) goto done;
    g->res.struct_size = res.struct_size;
    g->res.prompt_tokens = (int)g->n_ids;
    g->res.cached_tokens = (int)g->cached;
    g->res.first_token_ms = g->res.generated_tokens ? g->t_first - g->t0 : 0.0;
    g->res.generate_ms = g->res.generated_tokens ? now_ms() - g->t_first : 0.0;
    g->res.text = g->r.text;
    g->r.text = NULL;
    ia_struct_export(result, result->struct_size, &g->res, sizeof g->res);
done:
    ia_generation_free(g);
    return st;
}

ia_status ia_session_generate(ia_session *s, const char *prompt, const ia_generate_options *opts,
                              ia_generate_result *result) {
    ia_generation *g;
    ia_status st;
    if (!s || !prompt || !result) return ia_error(IA_ERR_INVALID_ARG, "generate: NULL argument");
    if ((st = ia_generation_start(s, prompt, opts, &g)) != IA_OK) return st;
    while (!g->finished)
        if ((st = ia_generation_step(&g, 1)) != IA_OK) break;
    return ia_generation_end(g, result);
}
