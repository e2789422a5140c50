/*
 * bert.c — the BERT encoder family (bert, and BERT-shaped sentence
 * encoders such as all-MiniLM-L6-v2): weights, graph, pooling.
 *
 * Post-LN transformer as in HF BertModel: embeddings (word + position +
 * token type 0) → LayerNorm, then per layer
 *   x = LN(x + Wo·Attn(Wq x, Wk x, Wv x)),  x = LN(x + W2·GELU(W1 x))
 * followed by the sentence-transformers pooling and optional L2 norm.
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
    ia_tensor type0;   /* row 0 of the token-type table, [1, hidden] */
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
    bert_state *s = calloc(1, sizeof *s);
    ia_status st = IA_OK;
    if (!s) return ia_error(IA_ERR_NOMEM, "bert weights");
    if (strcmp(c->hidden_act, "gelu") != 0) {
        free(s);
        return ia_error(IA_ERR_UNSUPPORTED, "bert: hidden_act \"%s\" (only exact \"gelu\" so far)", c->hidden_act);
    }
    s->layers = calloc((size_t)c->num_hidden_layers * W_PER_LAYER, sizeof *s->layers);
    if (!s->layers) {
        bert_free(s);
        return ia_error(IA_ERR_NOMEM, "bert weights");
    }
#define W(dst, nm, ...)                                                             \
    do {                                                                            \
        const int64_t shp_[] = {__VA_ARGS__};                                       \
        if ((st = ia_model_weight(m, nm, (int)(sizeof shp_ / sizeof *shp_), shp_,   \
                                  dst)) != IA_OK)                                   \
            goto fail;                                                              \
    } while (0)
#define L(dst, nm, rows, cols)                                                      \
    do {                                                                            \
        if ((st = ia_model_linear_weight(m, nm, rows, cols, dst)) != IA_OK) goto fail; \
    } while (0)
    if ((st = ia_model_table_weight(m, "embeddings.word_embeddings.weight", c->vocab_size, h, &s->word)) != IA_OK)
        goto fail;
    W(&s->pos, "embeddings.position_embeddings.weight", c->max_position_embeddings, h);
    W(&s->type, "embeddings.token_type_embeddings.weight", c->type_vocab_size, h);
    W(&s->ln, "embeddings.LayerNorm.weight", h);
    W(&s->ln_b, "embeddings.LayerNorm.bias", h);
    s->type0 = s->type;
    s->type0.ndim = 2;
    s->type0.shape[0] = 1;
    s->type0.shape[1] = h;
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
        for (int i = 0; i < W_PER_LAYER; i++)
            snprintf(nm[i], sizeof nm[i], "encoder.layer.%d.%s", l, suffix[i]);
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

static ia_status bert_build(ia_model *m, ia_graph *g, ia_tensor *ids, ia_tensor *offs,
                            ia_tensor **out) {
    bert_state *s = m->family_state;
    const ia_hf_config *c = &m->cfg;
    int64_t T = ia_tensor_nelem(ids), n_seq = ia_tensor_nelem(offs) - 1;
    int64_t sh[2] = {T, c->hidden_size}, shi[2] = {T, c->intermediate_size};
    int64_t shp[2] = {n_seq, c->hidden_size};
    float eps = c->layer_norm_eps;
    ia_tensor *x;
    ia_node *n;

#define OP(dst, op, shape, a, b, cc, d)                                       \
    do {                                                                      \
        if (!((dst) = ia_graph_op(g, op, 2, shape, a, b, cc, d)))             \
            return IA_ERR_NOMEM;                                              \
    } while (0)
#define LN(dst, xin, gam, bet, res)                                           \
    do {                                                                      \
        OP(dst, IA_OP_LAYER_NORM, sh, xin, gam, bet, res);                    \
        ia_graph_last(g)->fparam[0] = eps;                                    \
    } while (0)

    OP(x, IA_OP_GET_ROWS, sh, &s->word, ids, NULL, NULL);
    OP(x, IA_OP_ADD_POSITIONS, sh, x, &s->pos, offs, NULL);
    OP(x, IA_OP_ADD, sh, x, &s->type0, NULL, NULL);
    LN(x, x, &s->ln, &s->ln_b, NULL);
    for (int l = 0; l < c->num_hidden_layers; l++) {
        ia_tensor *w = &s->layers[l * W_PER_LAYER], *q, *k, *v, *a, *o, *hmid;
        OP(q, IA_OP_LINEAR, sh, x, &w[W_Q], &w[W_QB], NULL);
        OP(k, IA_OP_LINEAR, sh, x, &w[W_K], &w[W_KB], NULL);
        OP(v, IA_OP_LINEAR, sh, x, &w[W_V], &w[W_VB], NULL);
        OP(a, IA_OP_ATTENTION, sh, q, k, v, offs);
        n = ia_graph_last(g);
        n->iparam[0] = c->num_attention_heads;
        n->fparam[0] = 1.0f / sqrtf((float)(c->hidden_size / c->num_attention_heads));
        OP(o, IA_OP_LINEAR, sh, a, &w[W_O], &w[W_OB], NULL);
        LN(x, o, &w[W_LN1], &w[W_LN1B], x);
        OP(hmid, IA_OP_LINEAR, shi, x, &w[W_I], &w[W_IB], NULL);
        ia_graph_last(g)->iparam[0] = IA_ACT_GELU;
        OP(o, IA_OP_LINEAR, sh, hmid, &w[W_O2], &w[W_O2B], NULL);
        LN(x, o, &w[W_LN2], &w[W_LN2B], x);
    }
    OP(x, m->st_cfg.pooling == IA_POOLING_CLS ? IA_OP_CLS_POOL : IA_OP_MEAN_POOL, shp, x, offs,
       NULL, NULL);
    if (m->st_cfg.normalize) OP(x, IA_OP_L2_NORMALIZE, shp, x, NULL, NULL, NULL);
#undef OP
#undef LN
    *out = x;
    return IA_OK;
}

const ia_family ia_family_bert = {
    .model_type = "bert",
    .load = bert_load,
    .build = bert_build,
    .free_state = bert_free,
};
