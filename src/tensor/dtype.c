/*
 * dtype.c — sizes and names of element types.
 */
#include "tensor/dtype.h"

static const struct {
    const char *name;
    size_t size;
} dtype_info[IA_DTYPE_COUNT] = {
    [IA_DTYPE_F32] = {"F32", 4}, [IA_DTYPE_F16] = {"F16", 2},
    [IA_DTYPE_BF16] = {"BF16", 2}, [IA_DTYPE_I32] = {"I32", 4},
    [IA_DTYPE_I64] = {"I64", 8}, [IA_DTYPE_I8] = {"I8", 1},
    [IA_DTYPE_U8] = {"U8", 1}, [IA_DTYPE_Q8_0] = {"Q8_0", 0},
    [IA_DTYPE_QMAT] = {"QMAT", 0},
};

size_t ia_dtype_size(ia_dtype t) {
    return (unsigned)t < IA_DTYPE_COUNT ? dtype_info[t].size : 0;
}

const char *ia_dtype_name(ia_dtype t) {
    return (unsigned)t < IA_DTYPE_COUNT ? dtype_info[t].name : "?";
}
