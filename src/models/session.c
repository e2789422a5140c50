/*
 * session.c — one request's state on a shared model: executors (the
 * model's device, then the fallback for ops it lacks), the scheduler, the
 * graph rebuilt per call, batches, the KV cache; and the entries that use
 * them: embed (encoders), decode (decoders), run (named graphs).
 *
 * Embedding packs the texts into one token matrix with sequence offsets
 * (no padding), cuts it into chunks of whole sequences of at most
 * chunk_tokens tokens (the activations of a chunk stay in the L2 caches
 * between ops), builds the family's graph per chunk and lets the scheduler
 * run it.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/model.h"
#include "tokenize/tokenizer.h"
#include "util/error.h"
#include "util/struct_size.h"

/* Decoder context when the model allows more and the caller says nothing:
 * a KV cache of 4096 tokens is what a chat needs, not the 128k a config
 * may allow. */
#define DEFAULT_MAX_CTX 4096

void ia_session_options_init(ia_session_options *o, size_t struct_size) {
    ia_session_options d;
    memset(&d, 0, sizeof d);
    d.struct_size = sizeof d;
    ia_struct_export(o, struct_size, &d, sizeof d);
}

void ia_session_free(ia_session *s) {
    if (!s) return;
    ia_kv_cache_free(s->kv);
    ia_sched_free(s->sched);
    ia_graph_free(s->graph);
    for (int i = 0; i < s->n_exec; i++) ia_backend_free(s->exec[i]);
    free(s->ids);
    free(s->offs);
    free(s->chunk_offs);
    free(s->pos);
    free(s->zeros);
    free(s->hist);
    free(s);
}

int32_t *ia_session_zeros(ia_session *s, size_t n) {
    if (n > s->zeros_cap) {
        free(s->zeros);
        s->zeros_cap = 0;
        if (!(s->zeros = calloc(n, sizeof *s->zeros))) {
            ia_error(IA_ERR_NOMEM, "%zu token types", n);
            return NULL;
        }
        s->zeros_cap = n;
    }
    return s->zeros;
}

ia_status ia_session_create(ia_model *m, const ia_session_options *opts, ia_session **out) {
    ia_session_options o;
    ia_session *s;
    ia_backend_config cfg;
    const ia_backend_ops *fallback;
    ia_status st;
    if (!out) return ia_error(IA_ERR_INVALID_ARG, "ia_session_create: out is NULL");
    *out = NULL;
    if (!m) return ia_error(IA_ERR_INVALID_ARG, "ia_session_create: NULL model");
    IA_SESSION_OPTIONS_INIT(&o);
    if (opts && (st = ia_struct_import(&o, sizeof o, opts, "IA_SESSION_OPTIONS_INIT")) != IA_OK) return st;
    if (o.n_ctx < 0 || o.threads < 0 || o.threads > 1024)
        return ia_error(IA_ERR_INVALID_ARG, "session options: n_ctx and threads must be >= 0");
    fallback = ia_backend_find(o.fallback ? o.fallback : "ref");
    if (!fallback) return ia_error(IA_ERR_INVALID_ARG, "session options: no executor named '%s'", o.fallback);
    if (!(s = calloc(1, sizeof *s))) return ia_error(IA_ERR_NOMEM, "session");
    s->m = m;
    cfg = m->exec_cfg;
    if (o.threads) cfg.threads = o.threads;
    s->threads = cfg.threads;
    if ((st = m->device->init(&cfg, &s->exec[s->n_exec])) != IA_OK) goto fail;
    s->n_exec++;
    if (fallback != m->device) {
        ia_backend_config fc;
        ia_backend_config_init(&fc);
        fc.threads = cfg.threads;
        if ((st = fallback->init(&fc, &s->exec[s->n_exec])) != IA_OK) goto fail;
        s->n_exec++;
    }
    if ((st = ia_sched_create(s->exec, s->n_exec, &s->sched)) != IA_OK) goto fail;
    if ((st = ia_graph_create(&s->graph)) != IA_OK) goto fail;
    /* A chunk of IA_CHUNK_TOKENS keeps two threads' activations in their
     * L2 caches; more threads each get fewer rows of it, so the chunk grows
     * with them (IA_CHUNK_PER_THREAD tokens each): on 16 cores a 512-token
     * chunk left each op a few microseconds of work per thread, less than
     * waking the threads costs. */
    {
        int threads = s->threads > 0 ? s->threads : ia_model_threads(m);
        int want = threads * IA_CHUNK_PER_THREAD > IA_CHUNK_TOKENS ? threads * IA_CHUNK_PER_THREAD : IA_CHUNK_TOKENS;
        s->chunk_tokens = getenv("IA_CHUNK_TOKENS") ? atoi(getenv("IA_CHUNK_TOKENS")) : want;
        if (s->chunk_tokens < 1 || s->chunk_tokens > (1 << 20)) s->chunk_tokens = want;
    }
    if (m->family->init_memory) {
        int limit = m->cfg.max_position_embeddings < DEFAULT_MAX_CTX ? m->cfg.max_position_embeddings : DEFAULT_MAX_CTX;
        s->n_ctx = o.n_ctx ? o.n_ctx : limit;
        if (s->n_ctx > m->cfg.max_position_embeddings) {
            st = ia_error(IA_ERR_INVALID_ARG, "n_ctx %d exceeds the model's %d positions", s->n_ctx,
                          m->cfg.max_position_embeddings);
            goto fail;
        }
        if ((st = m->family->init_memory(s)) != IA_OK) goto fail;
        if (!(s->hist = malloc((size_t)s->n_ctx * sizeof *s->hist))) {
            st = ia_error(IA_ERR_NOMEM, "token history of %d", s->n_ctx);
            goto fail;
        }
    }
    *out = s;
    return IA_OK;
fail:
    ia_session_free(s);
    return st;
}

void ia_session_set_observer(ia_session *s, ia_graph_observer fn, void *ud) { ia_graph_set_observer(s->graph, fn, ud); }

ia_status ia_session_compute(ia_session *s) { return ia_sched_run(s->sched, s->graph); }

ia_status ia_session_read(ia_session *s, const ia_tensor *t, float *dst, size_t n) {
    if (t->dtype != IA_DTYPE_F32 || !ia_tensor_is_contiguous(t) || (size_t)ia_tensor_nelem(t) < n)
        return ia_error(IA_ERR_INTERNAL, "reading output %s", t->name ? t->name : "?");
    return ia_tensor_download(t, dst, n * sizeof *dst);
}

/* ---- embed ---- */

/* Tokenizes every text into s->ids (packed) and s->offs. */
static ia_status pack_batch(ia_session *s, const char *const *texts, size_t n, size_t *total) {
    ia_model *m = s->m;
    size_t T = 0;
    if (n + 1 > s->offs_cap) {
        int32_t *o = realloc(s->offs, (n + 1) * sizeof *o);
        if (!o) return ia_error(IA_ERR_NOMEM, "batch of %zu texts", n);
        s->offs = o;
        s->offs_cap = n + 1;
    }
    s->offs[0] = 0;
    for (size_t i = 0; i < n; i++) {
        size_t got = 0;
        ia_status st;
        if (T + (size_t)m->max_tokens > s->ids_cap) {
            size_t cap = (T + (size_t)m->max_tokens) * 2;
            int32_t *ids;
            if (cap > (size_t)INT32_MAX) return ia_error(IA_ERR_INVALID_ARG, "batch too large");
            ids = realloc(s->ids, cap * sizeof *ids);
            if (!ids) return ia_error(IA_ERR_NOMEM, "token ids");
            s->ids = ids;
            s->ids_cap = cap;
        }
        if (!texts[i]) return ia_error(IA_ERR_INVALID_ARG, "text %zu is NULL", i);
        st = ia_tokenizer_encode(m->tok, texts[i], (size_t)m->max_tokens, s->ids + T, (size_t)m->max_tokens, &got);
        if (st != IA_OK) return ia_error_prefix(st, "text %zu", i);
        if (got > (size_t)m->max_tokens) return ia_error(IA_ERR_INTERNAL, "tokenizer ignored truncation");
        T += got;
        s->offs[i + 1] = (int32_t)T;
    }
    *total = T;
    return IA_OK;
}

/* Runs the family's graph over sequences [s0, s1) of the packed batch and
 * writes their embeddings to out. */
static ia_status run_chunk(ia_session *s, size_t s0, size_t s1, float *out) {
    int32_t base = s->offs[s0];
    int64_t sh_ids[1] = {s->offs[s1] - base}, sh_offs[1] = {(int64_t)(s1 - s0) + 1};
    ia_tensor *ids, *offs, *res;
    ia_status st;
    for (size_t i = s0; i <= s1; i++) s->chunk_offs[i - s0] = s->offs[i] - base;
    ia_graph_reset(s->graph);
    ids = ia_graph_input(s->graph, IA_DTYPE_I32, 1, sh_ids, s->ids + base, "ids");
    offs = ia_graph_input(s->graph, IA_DTYPE_I32, 1, sh_offs, s->chunk_offs, "offsets");
    if (!ids || !offs) return IA_ERR_NOMEM;
    if ((st = s->m->family->build_embed(s, s->graph, ids, offs, &res)) != IA_OK) return st;
    if ((st = ia_graph_mark_output(s->graph, res)) != IA_OK) return st;
    if ((st = ia_session_compute(s)) != IA_OK) return st;
    return ia_session_read(s, res, out, (s1 - s0) * (size_t)ia_tensor_cols(res));
}

ia_status ia_session_embed(ia_session *s, const char *const *texts, size_t n, float *out) {
    size_t T = 0, s0 = 0, dim;
    ia_status st;
    if (!s || (!texts && n) || (!out && n)) return ia_error(IA_ERR_INVALID_ARG, "embed: NULL argument");
    if (!s->m->family->build_embed)
        return ia_error(IA_ERR_UNSUPPORTED, "%s: the %s family makes no sentence embeddings", s->m->name,
                        s->m->family->name);
    if (!s->m->tok) return ia_error(IA_ERR_UNSUPPORTED, "%s has no tokenizer.json", s->m->name);
    if (n == 0) return IA_OK;
    if (n > (size_t)INT32_MAX / 2) return ia_error(IA_ERR_INVALID_ARG, "too many texts");
    if ((st = pack_batch(s, texts, n, &T)) != IA_OK) return st;
    if (n + 1 > s->chunk_offs_cap) {
        int32_t *c = realloc(s->chunk_offs, (n + 1) * sizeof *c);
        if (!c) return ia_error(IA_ERR_NOMEM, "batch of %zu texts", n);
        s->chunk_offs = c;
        s->chunk_offs_cap = n + 1;
    }
    dim = (size_t)ia_model_dim(s->m);
    /* Whole sequences, up to chunk_tokens tokens per graph run. */
    while (s0 < n) {
        size_t s1 = s0 + 1;
        while (s1 < n && (size_t)(s->offs[s1 + 1] - s->offs[s0]) <= (size_t)s->chunk_tokens) s1++;
        if ((st = run_chunk(s, s0, s1, out + s0 * dim)) != IA_OK) return st;
        s0 = s1;
    }
    return IA_OK;
}

/* ---- decode ---- */

int ia_session_position(const ia_session *s) { return s && s->kv ? ia_kv_cache_used(s->kv) : 0; }

void ia_session_reset(ia_session *s) {
    if (s && s->kv) ia_kv_cache_clear(s->kv);
}

size_t ia_session_common_prefix(const ia_session *s, const int32_t *ids, size_t n) {
    size_t used = (size_t)ia_session_position(s), k = 0;
    while (k < n && k < used && s->hist[k] == ids[k]) k++;
    return k;
}

void ia_session_truncate(ia_session *s, int n) {
    if (s && s->kv && n >= 0 && n <= ia_kv_cache_used(s->kv)) ia_kv_cache_truncate(s->kv, n);
}

size_t ia_session_cache_bytes(const ia_session *s) { return s && s->kv ? ia_kv_cache_bytes(s->kv) : 0; }

int ia_session_context(const ia_session *s) { return s && s->kv ? ia_kv_cache_capacity(s->kv) : 0; }

static ia_status check_decoder(const ia_session *s) {
    if (!s->m->family->build_decode || !s->kv)
        return ia_error(IA_ERR_UNSUPPORTED, "%s: the %s family does not decode", s->m->name, s->m->family->name);
    return IA_OK;
}

static ia_status check_tokens(const ia_session *s, const int32_t *tokens, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= s->m->cfg.vocab_size)
            return ia_error(IA_ERR_INVALID_ARG, "decode: token %d at %zu is outside the vocabulary [0, %d)", tokens[i],
                            i, s->m->cfg.vocab_size);
    return IA_OK;
}

static ia_status reserve_positions(ia_session *s, size_t n) {
    if (n > s->pos_cap) {
        int32_t *p = realloc(s->pos, n * sizeof *p);
        if (!p) return ia_error(IA_ERR_NOMEM, "positions");
        s->pos = p;
        s->pos_cap = n;
    }
    return IA_OK;
}

/* Builds and runs one decode step on s's graph and executors; kv[i] are
 * the caches the rows go to (see ia_family.build_decode), positions are
 * in s->pos. */
static ia_status run_decode(ia_session *s, const int32_t *tokens, size_t n, ia_kv_cache *const *kv, int n_kv,
                            int all_logits, ia_tensor **logits) {
    int64_t sh[1] = {(int64_t)n};
    ia_tensor *ids, *pos;
    ia_status st;
    ia_graph_reset(s->graph);
    ids = ia_graph_input(s->graph, IA_DTYPE_I32, 1, sh, (void *)tokens, "input_ids");
    pos = ia_graph_input(s->graph, IA_DTYPE_I32, 1, sh, s->pos, "positions");
    if (!ids || !pos) return IA_ERR_NOMEM;
    if ((st = s->m->family->build_decode(s, s->graph, ids, pos, kv, n_kv, all_logits, logits)) != IA_OK) return st;
    if ((st = ia_graph_mark_output(s->graph, *logits)) != IA_OK) return st;
    return ia_session_compute(s);
}

/* Builds and runs the decoder over tokens; *logits is the output tensor of
 * the run ([n, vocab] or [1, vocab]). */
ia_status ia_session_decode_tensor(ia_session *s, const int32_t *tokens, size_t n, int all_logits,
                                   ia_tensor **logits) {
    int used;
    ia_status st;
    if (!s || !tokens || n == 0) return ia_error(IA_ERR_INVALID_ARG, "decode: no tokens");
    if ((st = check_decoder(s)) != IA_OK) return st;
    used = ia_kv_cache_used(s->kv);
    if (n > (size_t)(ia_kv_cache_capacity(s->kv) - used))
        return ia_error(IA_ERR_INVALID_ARG, "decode: %zu more tokens do not fit the context (%d of %d used)", n, used,
                        ia_kv_cache_capacity(s->kv));
    if ((st = check_tokens(s, tokens, n)) != IA_OK || (st = reserve_positions(s, n)) != IA_OK) return st;
    for (size_t i = 0; i < n; i++) s->pos[i] = used + (int32_t)i;
    if ((st = run_decode(s, tokens, n, &s->kv, 1, all_logits, logits)) != IA_OK) return st;
    memcpy(s->hist + used, tokens, n * sizeof *tokens); /* the tokens the cache now holds */
    ia_kv_cache_commit(s->kv, (int)n);
    return IA_OK;
}

ia_status ia_session_decode_batch(ia_session *const *sessions, const int32_t *tokens, size_t n, float *logits) {
    ia_session *s0;
    ia_kv_cache *stack[16], **kv = stack;
    ia_tensor *out;
    ia_status st;
    if (!sessions || !tokens || !logits || n == 0) return ia_error(IA_ERR_INVALID_ARG, "decode_batch: no sequences");
    if (n == 1) return ia_session_decode(sessions[0], tokens, 1, logits);
    if (n > (size_t)INT32_MAX / 2) return ia_error(IA_ERR_INVALID_ARG, "decode_batch: %zu sequences", n);
    s0 = sessions[0];
    if (!s0) return ia_error(IA_ERR_INVALID_ARG, "decode_batch: session 0 is NULL");
    for (size_t i = 0; i < n; i++) {
        ia_session *s = sessions[i];
        if (!s) return ia_error(IA_ERR_INVALID_ARG, "decode_batch: session %zu is NULL", i);
        if (s->m != s0->m)
            return ia_error(IA_ERR_INVALID_ARG, "decode_batch: session %zu has another model than session 0", i);
        if (s->exec[0]->kind != s0->exec[0]->kind || s->exec[0]->device != s0->exec[0]->device)
            return ia_error(IA_ERR_INVALID_ARG, "decode_batch: session %zu runs on %s:%d, session 0 on %s:%d", i,
                            s->exec[0]->kind->name, s->exec[0]->device, s0->exec[0]->kind->name, s0->exec[0]->device);
        if ((st = check_decoder(s)) != IA_OK) return st;
        if (ia_kv_cache_used(s->kv) >= ia_kv_cache_capacity(s->kv))
            return ia_error(IA_ERR_INVALID_ARG, "decode_batch: session %zu's context is full (%d tokens)", i,
                            ia_kv_cache_capacity(s->kv));
        for (size_t j = 0; j < i; j++)
            if (sessions[j] == s)
                return ia_error(IA_ERR_INVALID_ARG, "decode_batch: session %zu appears twice (%zu and %zu)", i, j, i);
    }
    if ((st = check_tokens(s0, tokens, n)) != IA_OK || (st = reserve_positions(s0, n)) != IA_OK) return st;
    if (n > sizeof stack / sizeof stack[0] && !(kv = malloc(n * sizeof *kv)))
        return ia_error(IA_ERR_NOMEM, "decode_batch");
    for (size_t i = 0; i < n; i++) {
        kv[i] = sessions[i]->kv;
        s0->pos[i] = ia_kv_cache_used(kv[i]);
    }
    st = run_decode(s0, tokens, n, kv, (int)n, 1, &out);
    if (st == IA_OK) st = ia_session_read(s0, out, logits, n * (size_t)s0->m->cfg.vocab_size);
    if (st == IA_OK)
        for (size_t i = 0; i < n; i++) {
            sessions[i]->hist[ia_kv_cache_used(kv[i])] = tokens[i];
            ia_kv_cache_commit(kv[i], 1);
        }
    if (kv != stack) free(kv);
    return st;
}

ia_status ia_session_decode(ia_session *s, const int32_t *tokens, size_t n, float *logits) {
    ia_tensor *out;
    ia_status st;
    if (!logits) return ia_error(IA_ERR_INVALID_ARG, "decode: logits is NULL");
    if ((st = ia_session_decode_tensor(s, tokens, n, 0, &out)) != IA_OK) return st;
    return ia_session_read(s, out, logits, (size_t)s->m->cfg.vocab_size);
}

/* ---- named graphs ---- */

ia_status ia_session_run(ia_session *s, const char *graph, const ia_io *in, size_t n_in, ia_io *out,
                         size_t n_out) {
    if (!s || !graph || (!in && n_in) || (!out && n_out)) return ia_error(IA_ERR_INVALID_ARG, "run: NULL argument");
    if (!s->m->family->run_named)
        return ia_error(IA_ERR_UNSUPPORTED, "the %s family has no named graphs", s->m->family->name);
    return s->m->family->run_named(s, graph, in, n_in, out, n_out);
}
