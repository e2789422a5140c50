/*
 * bert.c — the BERT encoder family (bert, and BERT-shaped sentence
 * encoders such as all-MiniLM-L6-v2): weights, graph, pooling.
 *
 * Post-LN transformer as in HF BertModel: embeddings (word + position +
 * token type) → LayerNorm, then per layer
 *   x = LN(x + Wo·Attn(Wq x, Wk x, Wv x)),  x = LN(x + W2·GELU(W1 x))
 * followed by the sentence-transformers pooling and optional L2 norm.
 * Sequences are packed (no padding): attention takes their offsets.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/model.h"
#include "util/error.h"

enum { W_Q, W_QB, W_K, W_KB, W_V, W_VB, W_O, W_OB, W_LN1, W_LN1B,
       W_I, W_IB, W_O2, W_O2B, W_LN2, W_LN2B, W_PER_LAYER };

typedef struct bert_state {
    ia_tensor word, pos, type, ln, ln_b;
    ia_tensor *layers; /* [num_layers][W_PER_LAYER] */
} bert_state;

static void bert_free(void *p) {
    bert_state *s = p;
    if (!s) return;
    free(s->layers);
    free(s);
}

static ia_status bert_load(ia_model *m) {
    const ia_hf_config *c = &m->cfg;
    int64_t h = c->hidden_size, in = c->intermediate_size;
    bert_state *s;
    ia_status st = IA_OK;
    if (strcmp(c->hidden_act, "gelu") != 0)
        return ia_error(IA_ERR_UNSUPPORTED, "bert: hidden_act \"%s\" (only exact \"gelu\" so far)", c->hidden_act);
    if (c->type_vocab_size < 1)
        return ia_error(IA_ERR_FORMAT, "config.json: bert needs type_vocab_size >= 1 (token type 0), not %d",
                        c->type_vocab_size);
    if (c->hidden_size % c->num_attention_heads)
        return ia_error(IA_ERR_FORMAT, "config.json: hidden_size %d is not a multiple of num_attention_heads %d",
                        c->hidden_size, c->num_attention_heads);
    if (!(s = calloc(1, sizeof *s)) ||
        !(s->layers = calloc((size_t)c->num_hidden_layers * W_PER_LAYER, sizeof *s->layers))) {
        bert_free(s);
        return ia_error(IA_ERR_NOMEM, "bert weights");
    }
#define W(dst, nm, ...)                                                                                  \
    do {                                                                                                 \
        const int64_t shp_[] = {__VA_ARGS__};                                                            \
        if ((st = ia_model_weight(m, nm, (int)(sizeof shp_ / sizeof *shp_), shp_, dst)) != IA_OK) goto fail; \
    } while (0)
#define L(dst, nm, rows, cols)                                                                 \
    do {                                                                                       \
        if ((st = ia_model_linear_weight(m, nm, rows, cols, dst)) != IA_OK) goto fail;         \
    } while (0)
    if ((st = ia_model_table_weight(m, "embeddings.word_embeddings.weight", c->vocab_size, h, &s->word)) != IA_OK ||
        (st = ia_model_table_weight(m, "embeddings.position_embeddings.weight", c->max_position_embeddings, h,
                                    &s->pos)) != IA_OK ||
        (st = ia_model_table_weight(m, "embeddings.token_type_embeddings.weight", c->type_vocab_size, h, &s->type)) != IA_OK)
        goto fail;
    W(&s->ln, "embeddings.LayerNorm.weight", h);
    W(&s->ln_b, "embeddings.LayerNorm.bias", h);
    for (int l = 0; l < c->num_hidden_layers; l++) {
        ia_tensor *t = &s->layers[l * W_PER_LAYER];
        char nm[W_PER_LAYER][160];
        static const char *const suffix[W_PER_LAYER] = {
            "attention.self.query.weight", "attention.self.query.bias",
            "attention.self.key.weight", "attention.self.key.bias",
            "attention.self.value.weight", "attention.self.value.bias",
            "attention.output.dense.weight", "attention.output.dense.bias",
            "attention.output.LayerNorm.weight", "attention.output.LayerNorm.bias",
            "intermediate.dense.weight", "intermediate.dense.bias",
            "output.dense.weight", "output.dense.bias",
            "output.LayerNorm.weight", "output.LayerNorm.bias"};
        for (int i = 0; i < W_PER_LAYER; i++) snprintf(nm[i], sizeof nm[i], "encoder.layer.%d.%s", l, suffix[i]);
        for (int i = W_Q; i <= W_VB; i += 2) {
            L(&t[i], nm[i], h, h);
            W(&t[i + 1], nm[i + 1], h);
        }
        L(&t[W_O], nm[W_O], h, h);
        W(&t[W_OB], nm[W_OB], h);
        W(&t[W_LN1], nm[W_LN1], h);
        W(&t[W_LN1B], nm[W_LN1B], h);
        L(&t[W_I], nm[W_I], in, h);
        W(&t[W_IB], nm[W_IB], in);
        L(&t[W_O2], nm[W_O2], h, in);
        W(&t[W_O2B], nm[W_O2B], h);
        W(&t[W_LN2], nm[W_LN2], h);
        W(&t[W_LN2B], nm[W_LN2B], h);
    }
#undef W
#undef L
    m->family_state = s;
    return IA_OK;
fail:
    bert_free(s);
    return st;
}

#define OP(dst, op, nd, shape, a, b, cc, d)                                 \
    do {                                                                    \
        if (!((dst) = ia_graph_op(g, op, nd, shape, a, b, cc, d))) return IA_ERR_NOMEM; \
    } while (0)

/* The transformer layers over embedded tokens x [T, hidden] of packed
 * sequences (offs), after the embedding LayerNorm. */
static ia_status build_layers(ia_model *m, ia_graph *g, ia_tensor *x, ia_tensor *offs, ia_tensor **out) {
    bert_state *s = m->family_state;
    const ia_hf_config *c = &m->cfg;
    int64_t T = ia_tensor_rows(x);
    int64_t sh[2] = {T, c->hidden_size}, shi[2] = {T, c->intermediate_size};
    float eps = c->layer_norm_eps;
    for (int l = 0; l < c->num_hidden_layers; l++) {
        ia_tensor *w = &s->layers[l * W_PER_LAYER], *q, *k, *v, *a, *o, *hmid;
        ia_node *n;
        OP(q, IA_OP_LINEAR, 2, sh, x, &w[W_Q], &w[W_QB], NULL);
        OP(k, IA_OP_LINEAR, 2, sh, x, &w[W_K], &w[W_KB], NULL);
        OP(v, IA_OP_LINEAR, 2, sh, x, &w[W_V], &w[W_VB], NULL);
        OP(a, IA_OP_ATTENTION, 2, sh, q, k, v, offs);
        n = ia_graph_last(g);
        n->iparam[0] = n->iparam[1] = c->num_attention_heads;
        n->fparam[0] = 1.0f / sqrtf((float)(c->hidden_size / c->num_attention_heads));
        OP(o, IA_OP_LINEAR, 2, sh, a, &w[W_O], &w[W_OB], NULL);
        OP(x, IA_OP_LAYER_NORM, 2, sh, o, &w[W_LN1], &w[W_LN1B], x);
        ia_graph_last(g)->fparam[0] = eps;
        OP(hmid, IA_OP_LINEAR, 2, shi, x, &w[W_I], &w[W_IB], NULL);
        ia_graph_last(g)->iparam[0] = IA_ACT_GELU;
        OP(o, IA_OP_LINEAR, 2, sh, hmid, &w[W_O2], &w[W_O2B], NULL);
        OP(x, IA_OP_LAYER_NORM, 2, sh, o, &w[W_LN2], &w[W_LN2B], x);
        ia_graph_last(g)->fparam[0] = eps;
    }
    *out = x;
    return IA_OK;
}

/* Pooling and normalisation as the sentence-transformers config says. */
static ia_status build_pool(ia_model *m, ia_graph *g, ia_tensor *x, ia_tensor *offs, ia_tensor **out) {
    int64_t shp[2] = {ia_tensor_nelem(offs) - 1, m->cfg.hidden_size};
    OP(x, m->st_cfg.pooling == IA_POOLING_CLS ? IA_OP_CLS_POOL : IA_OP_MEAN_POOL, 2, shp, x, offs, NULL, NULL);
    if (m->st_cfg.normalize) OP(x, IA_OP_L2_NORMALIZE, 2, shp, x, NULL, NULL, NULL);
    *out = x;
    return IA_OK;
}

/* Token type 0 for every token of the embed path. */
static ia_status zero_types(ia_session *ss, ia_graph *g, int64_t T, ia_tensor **out) {
    int64_t sh[1] = {T};
    int32_t *zeros = ia_session_zeros(ss, (size_t)T);
    if (!zeros) return ia_error(IA_ERR_NOMEM, "token types");
    *out = ia_graph_input(g, IA_DTYPE_I32, 1, sh, zeros, "token_type_ids");
    return *out ? IA_OK : IA_ERR_NOMEM;
}

static ia_status bert_build_embed(ia_session *ss, ia_graph *g, ia_tensor *ids, ia_tensor *offs, ia_tensor **out) {
    ia_model *m = ss->m;
    bert_state *s = m->family_state;
    int64_t T = ia_tensor_nelem(ids), sh[2] = {T, m->cfg.hidden_size};
    ia_tensor *x, *t, *types = NULL;
    ia_status st;
    if ((st = zero_types(ss, g, T, &types)) != IA_OK) return st;
    OP(x, IA_OP_GET_ROWS, 2, sh, &s->word, ids, NULL, NULL);
    OP(x, IA_OP_ADD_POSITIONS, 2, sh, x, &s->pos, offs, NULL);
    OP(t, IA_OP_GET_ROWS, 2, sh, &s->type, types, NULL, NULL);
    OP(x, IA_OP_LAYER_NORM, 2, sh, t, &s->ln, &s->ln_b, x);
    ia_graph_last(g)->fparam[0] = m->cfg.layer_norm_eps;
    if ((st = build_layers(m, g, x, offs, &x)) != IA_OK) return st;
    return build_pool(m, g, x, offs, out);
}

/* ---- the named graph "encoder": HF-shaped [batch, seq] inputs ---- */

typedef struct packed_inputs {
    int32_t *ids, *pos, *types, *offs, *where; /* where[t] = b * seq + j of packed token t */
    int64_t T, batch, seq;
} packed_inputs;

static void packed_free(packed_inputs *p) {
    free(p->ids);
    free(p->pos);
    free(p->types);
    free(p->offs);
    free(p->where);
}

/* Packs the tokens whose mask is 1; each keeps its position in the row
 * (HF's default position_ids = arange(seq), whatever the mask). */
static ia_status pack_named(ia_model *m, const ia_io *in, size_t n_in, packed_inputs *p) {
    const ia_io *ids = ia_io_find(in, n_in, "input_ids"), *mask = ia_io_find(in, n_in, "attention_mask");
    const ia_io *types = ia_io_find(in, n_in, "token_type_ids");
    ia_status st;
    memset(p, 0, sizeof *p);
    if (!ids) return ia_error(IA_ERR_INVALID_ARG, "encoder: input_ids is required");
    if ((st = ia_io_check(ids, IA_IO_I32, 2)) != IA_OK) return st;
    p->batch = ids->shape[0];
    p->seq = ids->shape[1];
    if (p->seq > m->cfg.max_position_embeddings)
        return ia_error(IA_ERR_INVALID_ARG, "encoder: %lld tokens per row exceed %d positions", (long long)p->seq,
                        m->cfg.max_position_embeddings);
    for (const ia_io *o = mask; o; o = o == mask ? types : NULL) {
        if (!o) continue;
        if ((st = ia_io_check(o, IA_IO_I32, 2)) != IA_OK) return st;
        if (o->shape[0] != p->batch || o->shape[1] != p->seq)
            return ia_error(IA_ERR_INVALID_ARG, "encoder: %s must have input_ids' shape", o->name);
    }
    {
        size_t n = (size_t)(p->batch * p->seq);
        p->ids = malloc(n * sizeof *p->ids);
        p->pos = malloc(n * sizeof *p->pos);
        p->types = malloc(n * sizeof *p->types);
        p->where = malloc(n * sizeof *p->where);
        p->offs = malloc((size_t)(p->batch + 1) * sizeof *p->offs);
        if (!p->ids || !p->pos || !p->types || !p->where || !p->offs) {
            packed_free(p);
            return ia_error(IA_ERR_NOMEM, "encoder inputs");
        }
    }
    p->offs[0] = 0;
    for (int64_t b = 0; b < p->batch; b++) {
        for (int64_t j = 0; j < p->seq; j++) {
            int64_t at = b * p->seq + j;
            if (mask && ((const int32_t *)mask->data)[at] == 0) continue;
            p->ids[p->T] = ((const int32_t *)ids->data)[at];
            p->pos[p->T] = (int32_t)j;
            p->types[p->T] = types ? ((const int32_t *)types->data)[at] : 0;
            p->where[p->T++] = (int32_t)at;
        }
        p->offs[b + 1] = (int32_t)p->T;
    }
    if (p->T == 0) {
        packed_free(p);
        return ia_error(IA_ERR_INVALID_ARG, "encoder: every token is masked");
    }
    return IA_OK;
}

static ia_status bert_run_named(ia_session *ss, const char *graph, const ia_io *in, size_t n_in, ia_io *out,
                                size_t n_out) {
    static const char *const outputs[] = {"last_hidden_state", "sentence_embedding", NULL};
    ia_model *m = ss->m;
    bert_state *s = m->family_state;
    ia_graph *g = ss->graph;
    packed_inputs p;
    ia_tensor *ids, *pos, *typ, *offs, *x, *t, *hidden, *pooled;
    int64_t H = m->cfg.hidden_size, sh[2], sh1[1], sho[1];
    ia_status st;
    if (strcmp(graph, "encoder") != 0) return ia_error(IA_ERR_NOT_FOUND, "bert has one graph, \"encoder\", not \"%s\"", graph);
    if ((st = ia_io_known(out, n_out, outputs, graph)) != IA_OK) return st;
    if ((st = pack_named(m, in, n_in, &p)) != IA_OK) return st;
    sh[0] = p.T, sh[1] = H, sh1[0] = p.T, sho[0] = p.batch + 1;
    ia_graph_reset(g);
    st = IA_ERR_NOMEM;
    if (!(ids = ia_graph_input(g, IA_DTYPE_I32, 1, sh1, p.ids, "input_ids")) ||
        !(pos = ia_graph_input(g, IA_DTYPE_I32, 1, sh1, p.pos, "position_ids")) ||
        !(typ = ia_graph_input(g, IA_DTYPE_I32, 1, sh1, p.types, "token_type_ids")) ||
        !(offs = ia_graph_input(g, IA_DTYPE_I32, 1, sho, p.offs, "offsets")) ||
        !(x = ia_graph_op(g, IA_OP_GET_ROWS, 2, sh, &s->word, ids, NULL, NULL)) ||
        !(t = ia_graph_op(g, IA_OP_GET_ROWS, 2, sh, &s->pos, pos, NULL, NULL)) ||
        !(x = ia_graph_op(g, IA_OP_ADD, 2, sh, x, t, NULL, NULL)) ||
        !(t = ia_graph_op(g, IA_OP_GET_ROWS, 2, sh, &s->type, typ, NULL, NULL)) ||
        !(x = ia_graph_op(g, IA_OP_LAYER_NORM, 2, sh, t, &s->ln, &s->ln_b, x)))
        goto done;
    ia_graph_last(g)->fparam[0] = m->cfg.layer_norm_eps;
    if ((st = build_layers(m, g, x, offs, &hidden)) != IA_OK || (st = build_pool(m, g, hidden, offs, &pooled)) != IA_OK ||
        (st = ia_graph_mark_output(g, hidden)) != IA_OK || (st = ia_graph_mark_output(g, pooled)) != IA_OK ||
        (st = ia_session_compute(ss)) != IA_OK)
        goto done;
    for (size_t i = 0; i < n_out && st == IA_OK; i++) {
        if (strcmp(out[i].name, "sentence_embedding") == 0) {
            int64_t shape[2] = {p.batch, H};
            st = ia_io_put(ss, &out[i], 1, out[i].name, pooled, 2, shape);
        } else { /* last_hidden_state: packed rows back to [batch, seq, H], 0 where masked */
            size_t need = (size_t)(p.batch * p.seq * H) * sizeof(float);
            float *rows;
            out[i].dtype = IA_IO_F32;
            out[i].ndim = 3;
            out[i].shape[0] = p.batch, out[i].shape[1] = p.seq, out[i].shape[2] = H, out[i].shape[3] = 0;
            if (!out[i].data || out[i].capacity < need) {
                st = ia_error(IA_ERR_INVALID_ARG, "output last_hidden_state needs %zu bytes (capacity %zu)", need,
                              out[i].capacity);
                break;
            }
            if (!(rows = malloc((size_t)(p.T * H) * sizeof *rows))) {
                st = ia_error(IA_ERR_NOMEM, "last_hidden_state");
                break;
            }
            if ((st = ia_session_read(ss, hidden, rows, (size_t)(p.T * H))) == IA_OK) {
                memset(out[i].data, 0, need);
                for (int64_t r = 0; r < p.T; r++)
                    memcpy((float *)out[i].data + (int64_t)p.where[r] * H, rows + r * H, (size_t)H * sizeof *rows);
            }
            free(rows);
        }
    }
done:
    packed_free(&p);
    return st;
}

static const char *const bert_types[] = {"bert", NULL};

const ia_family ia_family_bert = {
    .name = "bert",
    .model_types = bert_types,
    .kind = IA_FAMILY_ENCODER,
    .needs_tokenizer = 1,
    .load = bert_load,
    .free_state = bert_free,
    .build_embed = bert_build_embed,
    .run_named = bert_run_named,
};
