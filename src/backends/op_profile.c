/*
 * op_profile.c — see op_profile.h.
 */
#include "backends/op_profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"

void ia_op_profile_init(ia_op_profile *p) {
    const char *e = getenv("IA_PROFILE");
    memset(p, 0, sizeof *p);
    p->on = e && strcmp(e, "1") == 0;
}

double ia_op_profile_start(const ia_op_profile *p) { return p->on ? ia_now_sec() : 0.0; }

void ia_op_profile_add(ia_op_profile *p, ia_op op, double t0) {
    if (!p->on || (unsigned)op >= IA_OP_COUNT) return;
    p->seconds[op] += ia_now_sec() - t0;
    p->calls[op]++;
}

void ia_op_profile_print(const ia_op_profile *p, const char *who) {
    double total = 0;
    long calls = 0;
    if (!p->on) return;
    for (int i = 0; i < IA_OP_COUNT; i++) total += p->seconds[i], calls += p->calls[i];
    if (!calls) return;
    fprintf(stderr, "ipfs_accelerate %s profile: %.1f ms in ops\n", who, 1e3 * total);
    for (int i = 0; i < IA_OP_COUNT; i++)
        if (p->calls[i])
            fprintf(stderr, "  %-14s %6ld calls %9.2f ms %5.1f %%\n", ia_op_name((ia_op)i), p->calls[i],
                    1e3 * p->seconds[i], total > 0 ? 100.0 * p->seconds[i] / total : 0.0);
}
