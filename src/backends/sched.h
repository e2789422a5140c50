/*
 * sched.h — the scheduler: decides where each node of a graph runs, inserts
 * the copies between backends, plans activation memory and runs the
 * splits (after ggml_backend_sched and ONNX Runtime's partitioner).
 *
 * Placement: every node goes to the first executor in the preference list
 * whose supports_op accepts it and that can read the weights and state it
 * touches in place (those are never copied). A split is a maximal run of
 * consecutive nodes on one executor. An input of a split that its executor
 * cannot read in place — an activation made by another executor, a host
 * input on a device without host access — gets a copy in the executor's
 * compute buffer, made at the start of the split (one per input and split).
 *
 * Memory: for each executor, the activations its nodes produce and the
 * copies it receives are placed in its compute buffer by a lifetime
 * planner (first fit, a tensor's bytes reused after its last reader; graph
 * outputs are never reused), grown when a bigger graph comes and kept
 * between runs.
 */
#ifndef IA_BACKENDS_SCHED_H
#define IA_BACKENDS_SCHED_H

#include "backends/backend.h"

#define IA_SCHED_MAX_BACKENDS 8

typedef struct ia_sched ia_sched;

/* backends: preference order (borrowed; must outlive the scheduler). */
ia_status ia_sched_create(ia_backend *const *backends, int n, ia_sched **out);
void ia_sched_free(ia_sched *s); /* NULL-safe; frees the compute buffers */

/* Places, plans, copies and runs every node of g, then synchronizes. Nodes
 * no executor supports are IA_ERR_UNSUPPORTED naming the op. Afterwards the
 * graph's outputs are readable (ia_tensor_download). */
ia_status ia_sched_run(ia_sched *s, ia_graph *g);

/* About the last run: splits, inserted copies, the executor of node i
 * (index into the preference list), and the compute bytes of executor b. */
int ia_sched_n_splits(const ia_sched *s);
int ia_sched_n_copies(const ia_sched *s);
int ia_sched_node_backend(const ia_sched *s, int node);
size_t ia_sched_compute_bytes(const ia_sched *s, int backend);

#endif
