/*
 * fp16.h — IEEE half precision <-> float, bit-exact and portable (the scale
 * fields of quantised blocks and F16 weights use it).
 */
#ifndef IA_TENSOR_FP16_H
#define IA_TENSOR_FP16_H

#include <stdint.h>

float ia_fp16_to_fp32(uint16_t h);

/* Round to nearest, ties to even; overflow gives ±inf, NaN stays NaN. */
uint16_t ia_fp32_to_fp16(float f);

#endif
