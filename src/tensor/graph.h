/*
 * graph.h — the op list and the graph that every model family builds and
 * every backend executes.
 *
 * A graph is a topologically ordered list of nodes; each node has one
 * output tensor and up to IA_MAX_SRC inputs. Activations live in one buffer
 * whose offsets the planner assigns from tensor lifetimes (a tensor's space
 * is reused once its last reader has run), so a batch of 32 × 128 tokens
 * needs a few buffers' worth of memory, not one per node.
 *
 * Sequences are packed, not padded: a batch of texts with lengths l_i is
 * one [sum l_i, hidden] matrix plus an I32 tensor of offsets [n+1]. Ops that
 * mix tokens (attention, pooling) take the offsets; every other op runs
 * row-wise and does no work on padding, because there is none. This is
 * exactly equivalent to HF's padded batch with an attention mask (masked
 * keys get weight exp(-inf) = 0 there).
 *
 * The op list is designed for every family the core will run (encoders,
 * decoders with a KV cache, encoder–decoders, two-tower models); ops are
 * appended, never renumbered.
 */
#ifndef IA_TENSOR_GRAPH_H
#define IA_TENSOR_GRAPH_H

#include "ipfs_accelerate.h"
#include "tensor/tensor.h"

#define IA_MAX_SRC 4

typedef enum ia_op {
    IA_OP_GET_ROWS,     /* out[i,:] = src0[src1[i],:]; src1 I32 ids            */
    IA_OP_ADD,          /* out = src0 + src1, src1 rows broadcast cyclically:
                           row r of src0 adds row (r % rows(src1)) of src1      */
    IA_OP_ADD_POSITIONS,/* out[t,:] = src0[t,:] + src1[t - off[seq(t)],:]
                           (position embeddings of packed sequences; src2 offs) */
    IA_OP_LINEAR,       /* out = act(src0 · src1^T + src2) (src1 [n,k] weight,
                           src2 bias [n] or NULL); iparam[0] = ia_activation,
                           fused so the output is activated while in cache   */
    IA_OP_LAYER_NORM,   /* out = LN(src0 (+ src3 if set)) · src1 + src2, eps    */
    IA_OP_GELU,         /* out = x · Φ(x), exact erf form                       */
    IA_OP_ATTENTION,    /* bidirectional multi-head attention over packed
                           sequences: src0 = Q, src1 = K, src2 = V [T, H],
                           src3 = offsets [n+1]; iparam[0] heads; fparam[0]
                           scale                                                */
    IA_OP_MEAN_POOL,    /* out[s,:] = mean of src0 rows of sequence s; src1 offs */
    IA_OP_CLS_POOL,     /* out[s,:] = first row of sequence s; src1 offs         */
    IA_OP_L2_NORMALIZE, /* out[r,:] = x[r,:] / max(||x[r,:]||, 1e-12)           */
    IA_OP_COUNT
} ia_op;

const char *ia_op_name(ia_op op);

/* Activations fused into IA_OP_LINEAR (iparam[0]). */
typedef enum ia_activation {
    IA_ACT_NONE = 0,
    IA_ACT_GELU = 1, /* exact erf GELU, as IA_OP_GELU */
} ia_activation;

typedef struct ia_node {
    ia_op op;
    ia_tensor *out;
    ia_tensor *src[IA_MAX_SRC];
    int iparam[4];
    float fparam[4];
} ia_node;

typedef struct ia_graph ia_graph;

/* An empty graph; free with ia_graph_free(). */
ia_status ia_graph_create(ia_graph **out);
void ia_graph_free(ia_graph *g); /* NULL-safe; frees tensors and buffer */

/* A tensor owned by the graph. data == NULL: an activation for the planner;
 * otherwise borrowed data (a weight or an input). */
ia_tensor *ia_graph_tensor(ia_graph *g, ia_dtype dtype, int ndim,
                           const int64_t *shape, void *data, const char *name);

/* Appends a node; its output is a new F32 activation of the given shape.
 * Returns the output tensor, or NULL (error set) on allocation failure. */
ia_tensor *ia_graph_op(ia_graph *g, ia_op op, int ndim, const int64_t *shape,
                       ia_tensor *src0, ia_tensor *src1, ia_tensor *src2,
                       ia_tensor *src3);

/* Node parameters of the last appended node. */
ia_node *ia_graph_last(ia_graph *g);

/* Marks t as a graph output: its memory is never reused. */
ia_status ia_graph_mark_output(ia_graph *g, ia_tensor *t);

/* Assigns memory to every activation (reusing the graph's buffer between
 * runs when it is big enough). */
ia_status ia_graph_plan(ia_graph *g);

/* Planned activation bytes (peak), for reports and tests. */
size_t ia_graph_buffer_bytes(const ia_graph *g);

int ia_graph_n_nodes(const ia_graph *g);
ia_node *ia_graph_node(ia_graph *g, int i);

/* A function backends call after each node has run, while its inputs and
 * output are still valid (calibration collects activation statistics this
 * way). Kept across ia_graph_reset; NULL removes it. */
typedef void (*ia_graph_observer)(void *ud, const ia_node *n);
void ia_graph_set_observer(ia_graph *g, ia_graph_observer fn, void *ud);

/* Called by backends after node n ran; a no-op without an observer. */
void ia_graph_notify(ia_graph *g, const ia_node *n);

/* Drops nodes and tensors but keeps the activation buffer for reuse. */
void ia_graph_reset(ia_graph *g);

#endif
