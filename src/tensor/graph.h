/*
 * graph.h — the op list and the graph that every model family builds and
 * every backend executes.
 *
 * A graph is a topologically ordered list of nodes; each node has one
 * output tensor and up to IA_MAX_SRC inputs. The graph only describes:
 * where each node runs and where its output lives is decided by the
 * scheduler (backends/sched.h), which plans activation memory from
 * lifetimes in each backend's buffer.
 *
 * Conventions shared by the ops (backends check what they support with
 * supports_op; the ref backend supports every case described here):
 *   - shapes are outermost first; "rows" means the tensor seen as a matrix
 *     [nelem / cols, cols] (tensor.h); row ops accept rowwise views (rows
 *     packed, any row stride), other layouts need a CONT first;
 *   - outputs are fresh contiguous tensors of the node's dtype (F32 unless
 *     said otherwise), except WRITE, whose output is a view of its target;
 *   - packed sequences: a batch of texts of lengths l_i is one [Σ l_i, H]
 *     matrix plus I32 offsets [n+1] (0 = o[0] ≤ … ≤ o[n] = rows); ops that
 *     mix tokens take the offsets, every other op runs row-wise and does no
 *     work on padding, because there is none;
 *   - weights may be of any dtype (F16, BF16, quantised blocks): a LINEAR
 *     with a quantised weight computes tensor/qweights.h's arithmetic.
 *     A weight's prepared form (tensor->extra) belongs to the whole weight:
 *     views of a weight are read as the file has them. Graph inputs and op
 *     outputs are plain types (a QA group cannot be given to them).
 *
 * The op list serves every family the core runs: encoders (bert, vit),
 * decoders with a KV cache (llama), encoder–decoders (t5, whisper) and
 * two-tower models (clip, clap). Append only.
 */
#ifndef IA_TENSOR_GRAPH_H
#define IA_TENSOR_GRAPH_H

#include "ipfs_accelerate.h"
#include "tensor/tensor.h"

#define IA_MAX_SRC 4

typedef enum ia_op {
    /* out[i,:] = src0[src1[i],:]; src1 I32 ids [n] (any shape: one row per
       id), src0 a table of any dtype; out [.., cols] F32               */
    IA_OP_GET_ROWS,
    /* out = src0 + src1, src1 broadcast numpy-style (right-aligned dims,
       each equal or 1); out has src0's shape                           */
    IA_OP_ADD,
    /* out = src0 ⊙ src1, broadcast as ADD                              */
    IA_OP_MUL,
    /* out[t,:] = src0[t,:] + src1[t - o[s(t)] + iparam[0], :]: position
       embeddings of packed sequences (src2 offsets), iparam[0] = offset
       of the first position                                            */
    IA_OP_ADD_POSITIONS,
    /* out = act(src0 · src1ᵀ + src2): src1 weight [n, k] (any dtype),
       src2 bias [n] or NULL; iparam[0] = ia_activation fused           */
    IA_OP_LINEAR,
    /* out = (x − mean) / sqrt(var + eps) · src1 + src2 over each row, with
       x = src0 (+ src3 when set: a fused residual), var the biased
       variance (as torch); fparam[0] = eps; src1/src2 may be NULL (no
       scale / no shift)                                                */
    IA_OP_LAYER_NORM,
    /* out = x / sqrt(mean(x²) + eps) · src1 (src1 may be NULL; src2 must
       be NULL: no shift); fparam[0] = eps; src3 optional residual as
       LAYER_NORM                                                       */
    IA_OP_RMS_NORM,
    IA_OP_GELU,   /* out = x · Φ(x), exact erf form                     */
    IA_OP_SILU,   /* out = x · sigmoid(x)                               */
    /* out = silu(src0) ⊙ src1 (same shapes): the gated FFN of llama    */
    IA_OP_SWIGLU,
    /* out = src0 · fparam[0] + fparam[1]                                */
    IA_OP_SCALE,
    /* rotary position embedding of src0 [T, H·D] (rowwise) at positions
       src1 (I32 [T]): iparam[0] = mode (IA_ROPE_NORMAL: rotate pairs
       (2i, 2i+1); IA_ROPE_NEOX: rotate (i, i + n/2)), iparam[1] = n =
       rotated dims per head (even, ≤ D), iparam[2] = D (head size);
       fparam[0] = frequency base, fparam[1] = frequency scale (positions
       are multiplied by it: linear scaling). θ_i = pos·scale·base^(−2i/n) */
    IA_OP_ROPE,
    /* multi-head attention: src0 Q [Tq, Hq·D], src1 K [Tk, Hkv·D], src2 V
       [Tk, Hkv·Dv] (all rowwise; Hq a multiple of Hkv: grouped-query
       heads share K/V); out [Tq, Hq·Dv]. iparam[0] = Hq, iparam[1] = Hkv,
       iparam[2] = flags (IA_ATTN_CAUSAL); fparam[0] = scale on Q·Kᵀ.
       src3 (optional) masks: I32 offsets [n+1] (packed sequences: a query
       sees only keys of its own sequence; needs Tq == Tk), or F32 additive
       mask [Tq, Tk], [1, Tq, Tk] or [Hq, Tq, Tk], contiguous (−inf hides
       a key; relative-position biases go here too). Causal: query i sees keys j ≤ i + (Tk − Tq)
       (the new tokens are the last Tq of the Tk; within each sequence
       when offsets are given). A query that sees no key gives 0.       */
    IA_OP_ATTENTION,
    /* out[s,:] = mean of src0 rows of sequence s (0 for an empty one);
       src1 offsets                                                     */
    IA_OP_MEAN_POOL,
    /* out[s,:] = first row of sequence s; src1 offsets; an empty
       sequence is an error (IA_ERR_INVALID_ARG)                        */
    IA_OP_CLS_POOL,
    /* out[r,:] = x[r,:] / max(||x[r,:]||, 1e-12)                        */
    IA_OP_L2_NORMALIZE,
    /* out = src0 ++ src1 along axis iparam[0] (other dims equal; same
       dtype; out has that dtype)                                       */
    IA_OP_CONCAT,
    /* out = a contiguous copy of src0 (any view), of the node's dtype:
       F32, F16 or the source's dtype (conversion where they differ)    */
    IA_OP_CONT,
    /* copies src0 into src1 (a view, typically rows of a KV cache; dtype
       F32 or F16, converting); out is a view of src1's root tensor with
       src1's root shape, so later views of the cache depend on the write */
    IA_OP_WRITE,
    /* 1-d convolution: src0 [Cin, L] or [N, Cin, L], src1 weight
       [Cout, Cin, K], src2 bias [Cout] or NULL; iparam[0] stride,
       iparam[1] padding (both sides, zeros), iparam[2] dilation (0
       means 1, so an unset parameter is the plain convolution);
       out [(N,) Cout, Lout], Lout = (L + 2p − d(K−1) − 1) / s + 1       */
    IA_OP_CONV1D,
    /* 2-d convolution: src0 [Cin, H, W] or [N, Cin, H, W], src1 weight
       [Cout, Cin, KH, KW], src2 bias or NULL; iparam[0..1] stride (h, w),
       iparam[2..3] padding (h, w); out [(N,) Cout, Hout, Wout]          */
    IA_OP_CONV2D,
    IA_OP_COUNT
} ia_op;

const char *ia_op_name(ia_op op);

/* Activations fused into IA_OP_LINEAR (iparam[0]). */
typedef enum ia_activation {
    IA_ACT_NONE = 0,
    IA_ACT_GELU = 1, /* exact erf GELU, as IA_OP_GELU */
    IA_ACT_SILU = 2, /* as IA_OP_SILU */
} ia_activation;

enum { IA_ROPE_NORMAL = 0, IA_ROPE_NEOX = 2 }; /* ggml's mode numbers */
enum { IA_ATTN_CAUSAL = 1 };

typedef struct ia_node {
    ia_op op;
    ia_tensor *out;
    ia_tensor *src[IA_MAX_SRC];
    int iparam[6];
    float fparam[4];
} ia_node;

typedef struct ia_graph ia_graph;

/* An empty graph; free with ia_graph_free(). */
ia_status ia_graph_create(ia_graph **out);
void ia_graph_free(ia_graph *g); /* NULL-safe; frees the tensors it made */

/* Drops nodes and tensors (keeps allocations for reuse). */
void ia_graph_reset(ia_graph *g);

/* A tensor owned by the graph over borrowed host data (an input: ids,
 * offsets, positions, masks), flagged IA_TENSOR_INPUT. NULL (error set)
 * on a bad shape or allocation failure. */
ia_tensor *ia_graph_input(ia_graph *g, ia_dtype dtype, int ndim, const int64_t *shape, void *data,
                          const char *name);

/* Appends a node with a new contiguous output of `dtype` and shape.
 * Returns the output tensor, or NULL (error set). */
ia_tensor *ia_graph_op_typed(ia_graph *g, ia_op op, ia_dtype dtype, int ndim, const int64_t *shape,
                             ia_tensor *src0, ia_tensor *src1, ia_tensor *src2, ia_tensor *src3);

/* ia_graph_op_typed with an F32 output. */
ia_tensor *ia_graph_op(ia_graph *g, ia_op op, int ndim, const int64_t *shape, ia_tensor *src0,
                       ia_tensor *src1, ia_tensor *src2, ia_tensor *src3);

/* Appends WRITE of src into dst (a view); returns the view of dst's root
 * that later nodes must read the target through. */
ia_tensor *ia_graph_write(ia_graph *g, ia_tensor *src, ia_tensor *dst);

/* Views owned by the graph (tensor.h semantics); NULL (error set) when the
 * view is invalid. */
ia_tensor *ia_graph_view(ia_graph *g, ia_tensor *src, int ndim, const int64_t *shape, const int64_t *stride,
                         size_t offset);
ia_tensor *ia_graph_reshape(ia_graph *g, ia_tensor *src, int ndim, const int64_t *shape);
ia_tensor *ia_graph_permute(ia_graph *g, ia_tensor *src, const int *perm);
ia_tensor *ia_graph_slice(ia_graph *g, ia_tensor *src, int axis, int64_t start, int64_t len);

/* Node parameters of the last appended node. */
ia_node *ia_graph_last(ia_graph *g);

/* Marks t as a graph output: its memory is never reused, and it stays
 * readable after the run. */
ia_status ia_graph_mark_output(ia_graph *g, ia_tensor *t);

int ia_graph_n_nodes(const ia_graph *g);
ia_node *ia_graph_node(ia_graph *g, int i);

/* A function backends call after each node has run, while its inputs and
 * output are still valid (calibration collects activation statistics this
 * way). Kept across ia_graph_reset; NULL removes it. */
typedef void (*ia_graph_observer)(void *ud, const ia_node *n);
void ia_graph_set_observer(ia_graph *g, ia_graph_observer fn, void *ud);

/* Called by backends after node n ran; a no-op without an observer. */
void ia_graph_notify(ia_graph *g, const ia_node *n);

/* 1 when the observer is set (backends that cannot call it then refuse
 * nothing, but the scheduler keeps such graphs on host backends). */
int ia_graph_observed(const ia_graph *g);

#endif
