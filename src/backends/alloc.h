/*
 * alloc.h — placing tensors with known lifetimes in one buffer: the greedy
 * lifetime allocator of ggml-alloc. Time is node index; an item born at t
 * is placed before the items that die at t are released, so a node's
 * output never shares bytes with its own inputs.
 */
#ifndef IA_BACKENDS_ALLOC_H
#define IA_BACKENDS_ALLOC_H

#include <stddef.h>

#include "ipfs_accelerate.h"

#define IA_ALLOC_ALIGN 64 /* one cache line; also the widest SIMD load */

typedef struct ia_alloc_item {
    size_t size;   /* bytes (rounded up to IA_ALLOC_ALIGN inside)        */
    int birth;     /* node index at which it is written first            */
    int death;     /* last node index that reads it (>= birth)           */
    size_t offset; /* out: where it lives                                */
} ia_alloc_item;

/* Assigns offsets to items[0..n) (items born at the same time are placed
 * in array order) and writes the peak bytes to *peak. */
ia_status ia_alloc_plan(ia_alloc_item *items, int n, size_t *peak);

#endif
