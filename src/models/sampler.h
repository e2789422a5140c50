/*
 * sampler.h — choosing the next token from logits: the chain of
 * ia_sampling_options (penalties → top-k → top-p → min-p → temperature →
 * draw) with its own random stream, so one seed gives one sequence of
 * tokens whatever else runs in the process.
 */
#ifndef IA_MODELS_SAMPLER_H
#define IA_MODELS_SAMPLER_H

#include <stddef.h>
#include <stdint.h>

#include "ipfs_accelerate.h"

typedef struct ia_sampler ia_sampler;

/* o is copied (checked: IA_ERR_INVALID_ARG naming a value out of range);
 * vocab is the logits' length. */
ia_status ia_sampler_create(const ia_sampling_options *o, int vocab, ia_sampler **out);
void ia_sampler_free(ia_sampler *s);

/* The next token after logits (modified in place by the penalties);
 * history holds the n tokens of the sequence so far (prompt included,
 * as llama.cpp's penalties see them). */
int32_t ia_sampler_sample(ia_sampler *s, float *logits, const int32_t *history, size_t n);

#endif
