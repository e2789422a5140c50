/*
 * model.c — the public model API: resolve a reference to a directory, open
 * it (configs, mapped weights, tokenizer, backend, family), and embed texts.
 *
 * A call to ia_model_embed tokenizes the texts, packs them into one token
 * matrix with sequence offsets (no padding), builds the family's graph for
 * that batch, plans its memory (reusing the previous buffer when it fits)
 * and runs it on the backend.
 */
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "formats/hf_config.h"
#include "formats/safetensors.h"
#include "models/model.h"
#include "tokenize/tokenizer.h"
#include "util/error.h"
#include "util/threadpool.h"
#include "hw/hw.h"

static const ia_family *const families[] = {&ia_family_bert, NULL};

static int has_tensor(const ia_model *m, const char *name) {
    return m->wref->gguf ? ia_gguf_find(m->wref->gguf, name) != NULL : ia_safetensors_find(m->weights, name) != NULL;
}

static int is_dir(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

ia_model_options ia_model_options_default(void) {
    ia_model_options o = {0, "cpu"};
    return o;
}

ia_status ia_model_resolve(const char *ref, char *buf, size_t cap) {
    const char *env = getenv("IA_MODEL_DIR"), *home = getenv("HOME");
    int n;
    if (!ref || !*ref || !buf || cap == 0) return ia_error(IA_ERR_INVALID_ARG, "model reference is empty");
    if (is_dir(ref)) {
        n = snprintf(buf, cap, "%s", ref);
    } else if (strchr(ref, '/')) {
        return ia_error(IA_ERR_NOT_FOUND, "model directory %s does not exist", ref);
    } else if (env && *env) {
        n = snprintf(buf, cap, "%s/%s", env, ref);
    } else if (home && *home) {
        n = snprintf(buf, cap, "%s/.cache/ipfs_accelerate/models/%s", home, ref);
    } else {
        return ia_error(IA_ERR_NOT_FOUND, "model %s: no $IA_MODEL_DIR or $HOME for the model cache", ref);
    }
    if (n < 0 || (size_t)n >= cap) return ia_error(IA_ERR_INVALID_ARG, "model path too long");
    if (!is_dir(buf))
        return ia_error(IA_ERR_NOT_FOUND,
                        "model '%s' is neither a directory nor in the model cache (%s); "
                        "run scripts/fetch_model.sh %s", ref, buf, ref);
    return IA_OK;
}

void ia_model_free(ia_model *m) {
    if (!m) return;
    if (m->family && m->family_state) m->family->free_state(m->family_state);
    if (m->backend && m->backend_ctx) m->backend->destroy(m->backend_ctx);
    ia_graph_free(m->graph);
    ia_tokenizer_free(m->tok);
    if (m->wref && atomic_fetch_sub(&m->wref->refs, 1) == 1) {
        ia_safetensors_free(m->wref->st);
        ia_gguf_free(m->wref->gguf);
        free(m->wref);
    }
    for (int i = 0; i < m->n_converted; i++) free(m->converted[i]);
    free(m->converted);
    for (int i = 0; i < m->n_qmats; i++) ia_qmat_free(m->qmats[i]);
    free(m->qmats);
    free(m->linears);
    free(m->ids);
    free(m->offs);
    free(m->chunk_offs);
    free(m);
}

ia_status ia_model_open(const char *ref, const ia_model_options *opts, ia_model **out) {
    ia_hardware_profile p = ia_hardware_profile_default();
    if (opts) {
        p.backend = opts->device ? opts->device : "auto";
        p.threads = opts->threads;
    }
    return ia_model_open_profile(ref, &p, out);
}

/* Precisions each backend runs in this build: the CPU backend runs fp32
 * and quantised int8/int4/int2 linear layers. */
static int backend_runs(const ia_backend_ops *b, ia_precision p) {
    if (p == IA_PRECISION_FP32) return 1;
    return strcmp(b->name, "cpu") == 0 &&
           (p == IA_PRECISION_INT8 || p == IA_PRECISION_INT4 || p == IA_PRECISION_INT2);
}

ia_status ia_model_open_profile(const char *ref, const ia_hardware_profile *profile, ia_model **out) {
    return ia_model_open_shared(ref, profile, NULL, out);
}

ia_status ia_model_open_shared(const char *ref, const ia_hardware_profile *profile, ia_model *share,
                               ia_model **out) {
    ia_hardware_profile o = profile ? *profile : ia_hardware_profile_default();
    ia_model *m = NULL;
    char path[4200];
    const char *base;
    ia_backend_config bc;
    const ia_backend_ops *backend;
    char reason[512], device[32], why[sizeof ((ia_model *)0)->device_reason];
    size_t tok_max;
    struct stat sb;
    int is_gguf = 0;
    ia_status st;
    if (!out) return ia_error(IA_ERR_INVALID_ARG, "ia_model_open: out is NULL");
    *out = NULL;
    if (o.threads < 0 || o.threads > 1024) return ia_error(IA_ERR_INVALID_ARG, "threads must be in [0, 1024]");
    if (o.optimization_level < 0 || o.optimization_level > 3)
        return ia_error(IA_ERR_INVALID_ARG, "optimization_level must be in [0, 3]");
    if (o.memory_limit_bytes < 0) return ia_error(IA_ERR_INVALID_ARG, "memory limit must be >= 0");
    if (!o.backend || strcmp(o.backend, "auto") == 0) {
        /* Layering: models may not reach the benchmark store, so "auto" at
         * open is the heuristic; ia_select_device adds measured results. */
        if ((st = ia_hw_select_heuristic(ref, "embedding", 0, device, sizeof device, why, sizeof why)) != IA_OK)
            return st;
    } else {
        snprintf(device, sizeof device, "%.31s", o.backend);
        snprintf(why, sizeof why, "requested");
    }
    backend = ia_backend_find(device);
    if (!backend) {
        ia_hw_absence_reason(device, reason, sizeof reason);
        return ia_error(IA_ERR_UNAVAILABLE, "device '%s' is not available: %s", device, reason);
    }
    if (!backend->probe(reason, sizeof reason))
        return ia_error(IA_ERR_UNAVAILABLE, "device '%s' is not available: %s", device, reason);
    if (o.device_index != 0)
        return ia_error(IA_ERR_UNAVAILABLE, "device '%s:%d' does not exist (the %s backend has one device)", device,
                        o.device_index, device);
    if (!backend_runs(backend, o.precision))
        return ia_error(IA_ERR_UNSUPPORTED, "the %s backend cannot run %s in this build (supported: fp32%s)",
                        backend->name, ia_precision_name(o.precision),
                        strcmp(backend->name, "cpu") == 0 ? ", int8, int4, int2" : "");
    m = calloc(1, sizeof *m);
    if (!m) return ia_error(IA_ERR_NOMEM, "model");
    if ((st = ia_model_resolve(ref, m->dir, sizeof m->dir)) != IA_OK) goto fail;
    base = strrchr(m->dir, '/');
    base = base && base[1] ? base + 1 : m->dir;
    snprintf(m->name, sizeof m->name, "%.255s", base);
    snprintf(m->device_reason, sizeof m->device_reason, "%s", why);

    /* The memory limit is checked against the weights file before anything
     * is read or mapped. */
    /* model.safetensors, else model.gguf (what `ipfs-accelerate quantize`
     * writes). */
    snprintf(path, sizeof path, "%s/model.safetensors", m->dir);
    if (stat(path, &sb) != 0) {
        snprintf(path, sizeof path, "%s/model.gguf", m->dir);
        if (stat(path, &sb) != 0) snprintf(path, sizeof path, "%s/model.safetensors", m->dir);
        else is_gguf = 1;
    }
    if (stat(path, &sb) == 0) m->weight_bytes = (int64_t)sb.st_size;
    if (o.memory_limit_bytes > 0 && m->weight_bytes > o.memory_limit_bytes) {
        st = ia_error(IA_ERR_INVALID_ARG, "model %s needs %lld bytes of weights, more than the profile's memory "
                      "limit of %lld bytes", m->name, (long long)m->weight_bytes, (long long)o.memory_limit_bytes);
        goto fail;
    }

    if ((st = ia_hf_config_load(m->dir, &m->cfg)) != IA_OK) goto fail;
    if ((st = ia_st_config_load(m->dir, &m->st_cfg)) != IA_OK) goto fail;
    for (int i = 0; families[i]; i++)
        if (strcmp(families[i]->model_type, m->cfg.model_type) == 0) m->family = families[i];
    if (!m->family) {
        st = ia_error(IA_ERR_UNSUPPORTED, "%s: model_type \"%s\" is not supported yet (supported: bert)",
                      m->dir, m->cfg.model_type);
        goto fail;
    }

    if (share && share->wref && strcmp(share->dir, m->dir) == 0) {
        m->wref = share->wref;
        atomic_fetch_add(&m->wref->refs, 1);
    } else {
        if (!(m->wref = calloc(1, sizeof *m->wref))) {
            st = ia_error(IA_ERR_NOMEM, "model");
            goto fail;
        }
        atomic_init(&m->wref->refs, 1);
        st = is_gguf ? ia_gguf_open(path, &m->wref->gguf) : ia_safetensors_open(path, &m->wref->st);
        if (st != IA_OK) goto fail;
    }
    m->weights = m->wref->st;
    /* BertModel checkpoints name weights "embeddings...", BertFor*
     * checkpoints "bert.embeddings..."; quantised files keep the names. */
    m->weight_prefix = has_tensor(m, "embeddings.word_embeddings.weight")        ? ""
                       : has_tensor(m, "bert.embeddings.word_embeddings.weight") ? "bert."
                                                                                : "";
    /* An integer precision asked of an fp32 file: quantise at load with
     * the default settings of that width (quant/policy.h). */
    if (o.precision == IA_PRECISION_INT8 || o.precision == IA_PRECISION_INT4 || o.precision == IA_PRECISION_INT2)
        m->load_bits = is_gguf ? 0 : o.precision == IA_PRECISION_INT8 ? 8 : o.precision == IA_PRECISION_INT4 ? 4 : 2;

    snprintf(path, sizeof path, "%s/tokenizer.json", m->dir);
    if ((st = ia_tokenizer_open(path, &m->tok)) != IA_OK) goto fail;
    /* sentence_bert_config.json, else tokenizer.json's truncation, never
     * more than the position table; clamped as size_t before narrowing (a
     * tokenizer may say 2^32 + 3). */
    tok_max = m->st_cfg.max_seq_length ? (size_t)m->st_cfg.max_seq_length : ia_tokenizer_max_length(m->tok);
    if (tok_max == 0 || tok_max > (size_t)m->cfg.max_position_embeddings)
        tok_max = (size_t)m->cfg.max_position_embeddings;
    m->max_tokens = (int)tok_max;

    if ((st = m->family->load(m)) != IA_OK) goto fail;
    ia_model_update_precision(m);
    /* A quantised file runs at its stored widths: a profile asking for
     * another integer precision cannot be honoured, and says so. */
    if (is_gguf && o.precision != IA_PRECISION_FP32 && strcmp(ia_precision_name(o.precision), m->precision) != 0) {
        st = ia_error(IA_ERR_UNSUPPORTED, "%s is quantised to %s; it cannot run at %s (open it with precision fp32 "
                      "or %s)", m->name, m->precision, ia_precision_name(o.precision), m->precision);
        goto fail;
    }
    m->backend = backend;
    m->threads = o.threads ? o.threads : ia_cpu_count();
    m->chunk_tokens = getenv("IA_CHUNK_TOKENS") ? atoi(getenv("IA_CHUNK_TOKENS")) : IA_CHUNK_TOKENS;
    if (m->chunk_tokens < 1 || m->chunk_tokens > (1 << 20)) m->chunk_tokens = IA_CHUNK_TOKENS;
    bc.threads = m->threads;
    /* optimization_level: 0 = portable kernels (the same results on every
     * CPU), 1 = at most AVX2, 2 and 3 = the best this CPU runs (3 has
     * nothing more to offer in this build). */
    bc.kernel = o.optimization_level == 0 ? "generic" : o.optimization_level == 1 ? "avx2" : NULL;
    if ((st = m->backend->create(&bc, &m->backend_ctx)) != IA_OK) goto fail;
    if ((st = ia_graph_create(&m->graph)) != IA_OK) goto fail;
    *out = m;
    return IA_OK;
fail:
    ia_model_free(m);
    return st;
}

int ia_model_dim(const ia_model *m) { return m ? m->cfg.hidden_size : 0; }
const char *ia_model_name(const ia_model *m) { return m ? m->name : ""; }
const char *ia_model_device(const ia_model *m) { return m && m->backend ? m->backend->name : ""; }
int64_t ia_model_weight_bytes(const ia_model *m) { return m ? m->weight_bytes : 0; }
const char *ia_model_precision(const ia_model *m) { return m ? m->precision : ""; }
const char *ia_model_device_reason(const ia_model *m) { return m ? m->device_reason : ""; }
int ia_model_threads(const ia_model *m) { return m ? m->threads : 0; }
int ia_model_max_tokens(const ia_model *m) { return m ? m->max_tokens : 0; }
const char *ia_model_kernel(const ia_model *m) {
    return m && m->backend ? m->backend->kernel_name(m->backend_ctx) : "";
}

/* Tokenizes every text into m->ids (packed) and m->offs. */
static ia_status pack_batch(ia_model *m, const char *const *texts, size_t n, size_t *total) {
    size_t T = 0;
    if (n + 1 > m->offs_cap) {
        int32_t *o = realloc(m->offs, (n + 1) * sizeof *o);
        if (!o) return ia_error(IA_ERR_NOMEM, "batch of %zu texts", n);
        m->offs = o;
        m->offs_cap = n + 1;
    }
    m->offs[0] = 0;
    for (size_t i = 0; i < n; i++) {
        size_t got = 0;
        ia_status st;
        if (T + (size_t)m->max_tokens > m->ids_cap) {
            size_t cap = (T + (size_t)m->max_tokens) * 2;
            int32_t *ids;
            if (cap > (size_t)INT32_MAX) return ia_error(IA_ERR_INVALID_ARG, "batch too large");
            ids = realloc(m->ids, cap * sizeof *ids);
            if (!ids) return ia_error(IA_ERR_NOMEM, "token ids");
            m->ids = ids;
            m->ids_cap = cap;
        }
        if (!texts[i]) return ia_error(IA_ERR_INVALID_ARG, "text %zu is NULL", i);
        st = ia_tokenizer_encode(m->tok, texts[i], (size_t)m->max_tokens, m->ids + T,
                                 (size_t)m->max_tokens, &got);
        if (st != IA_OK) return ia_error_prefix(st, "text %zu", i);
        if (got > (size_t)m->max_tokens) return ia_error(IA_ERR_INTERNAL, "tokenizer ignored truncation");
        T += got;
        m->offs[i + 1] = (int32_t)T;
    }
    *total = T;
    return IA_OK;
}

/* Runs the family's graph over sequences [s0, s1) of the packed batch and
 * writes their embeddings to out. */
static ia_status run_chunk(ia_model *m, size_t s0, size_t s1, float *out) {
    int32_t base = m->offs[s0];
    int64_t sh_ids[1] = {m->offs[s1] - base}, sh_offs[1] = {(int64_t)(s1 - s0) + 1};
    ia_tensor *ids, *offs, *res;
    ia_status st;
    for (size_t s = s0; s <= s1; s++) m->chunk_offs[s - s0] = m->offs[s] - base;
    ia_graph_reset(m->graph);
    ids = ia_graph_tensor(m->graph, IA_DTYPE_I32, 1, sh_ids, m->ids + base, "ids");
    offs = ia_graph_tensor(m->graph, IA_DTYPE_I32, 1, sh_offs, m->chunk_offs, "offsets");
    if (!ids || !offs) return IA_ERR_NOMEM;
    if ((st = m->family->build(m, m->graph, ids, offs, &res)) != IA_OK) return st;
    if ((st = ia_graph_mark_output(m->graph, res)) != IA_OK) return st;
    if ((st = ia_graph_plan(m->graph)) != IA_OK) return st;
    if ((st = m->backend->compute(m->backend_ctx, m->graph)) != IA_OK) return st;
    memcpy(out, res->data, (s1 - s0) * (size_t)m->cfg.hidden_size * sizeof *out);
    return IA_OK;
}

ia_status ia_model_embed(ia_model *m, const char *const *texts, size_t n, float *out) {
    size_t T = 0, s0 = 0;
    ia_status st;
    if (!m || (!texts && n) || (!out && n)) return ia_error(IA_ERR_INVALID_ARG, "ia_model_embed: NULL argument");
    if (n == 0) return IA_OK;
    if (n > (size_t)INT32_MAX / 2) return ia_error(IA_ERR_INVALID_ARG, "too many texts");
    if ((st = pack_batch(m, texts, n, &T)) != IA_OK) return st;
    if (n + 1 > m->chunk_offs_cap) {
        int32_t *c = realloc(m->chunk_offs, (n + 1) * sizeof *c);
        if (!c) return ia_error(IA_ERR_NOMEM, "batch of %zu texts", n);
        m->chunk_offs = c;
        m->chunk_offs_cap = n + 1;
    }
    /* Whole sequences, up to chunk_tokens tokens per graph run: the
     * activations of one chunk then stay in the L2 caches between ops. */
    while (s0 < n) {
        size_t s1 = s0 + 1;
        while (s1 < n && (size_t)(m->offs[s1 + 1] - m->offs[s0]) <= (size_t)m->chunk_tokens) s1++;
        if ((st = run_chunk(m, s0, s1, out + s0 * (size_t)m->cfg.hidden_size)) != IA_OK) return st;
        s0 = s1;
    }
    return IA_OK;
}
