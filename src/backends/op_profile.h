/*
 * op_profile.h — time per op of one executor (IA_PROFILE=1), printed to
 * stderr when the executor is freed. Every executor that runs ops keeps
 * one, so a node that silently fell back to another executor shows up in
 * that executor's table.
 */
#ifndef IA_BACKENDS_OP_PROFILE_H
#define IA_BACKENDS_OP_PROFILE_H

#include "tensor/graph.h"

typedef struct ia_op_profile {
    int on;        /* IA_PROFILE=1 when the executor was made */
    double seconds[IA_OP_COUNT];
    long calls[IA_OP_COUNT];
} ia_op_profile;

void ia_op_profile_init(ia_op_profile *p);

/* Seconds now if profiling, else 0 (cheap when off). */
double ia_op_profile_start(const ia_op_profile *p);
void ia_op_profile_add(ia_op_profile *p, ia_op op, double t0);

/* "ipfs_accelerate <who> profile (...)" and one line per op that ran;
 * nothing when no op ran. */
void ia_op_profile_print(const ia_op_profile *p, const char *who);

#endif
