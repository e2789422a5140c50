/*
 * host_copy.h — copying tensors between host memories along their strides
 * (the scheduler's copies between cpu and ref, CONT and WRITE of the host
 * backends).
 */
#ifndef IA_BACKENDS_HOST_COPY_H
#define IA_BACKENDS_HOST_COPY_H

#include "ipfs_accelerate.h"
#include "tensor/tensor.h"

/* dst ← src: same dtype and shape, any strides (quantised: rowwise), both
 * with host data. */
ia_status ia_host_copy(ia_tensor *dst, const ia_tensor *src);

#endif
