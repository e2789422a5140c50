/*
 * llm_quant.h — quantising a decoder LLM (a llama or qwen2 GGUF) into a
 * GGUF of ggml types, tensor by tensor as llama-quantize does it: the same
 * choice of type per tensor (llama-quant.cpp, llama_tensor_get_type and
 * tensor_type_fallback), the same reference quantisers (tensor/blocks.h,
 * tensor/kquants.h: byte for byte llama.cpp's without an imatrix), the
 * source's metadata copied (tokenizer and chat template included) with
 * general.file_type and general.quantization_version set. The result is
 * a file llama.cpp reads and our loader opens as a model.
 */
#ifndef IA_QUANT_LLM_QUANT_H
#define IA_QUANT_LLM_QUANT_H

#include <stdint.h>

#include "ipfs_accelerate.h"

/* A --type: its name, llama.cpp's llama_ftype number (general.file_type),
 * its default ggml type, and whether llama.cpp's per-tensor mixture
 * applies (0: every quantisable tensor gets the default type, as
 * llama-quantize --pure; shape fallbacks apply either way). */
typedef struct ia_llm_qtype {
    const char *name;
    int ftype;
    int ggml_type;
    int mixture;
} ia_llm_qtype;

/* The type named `name` ("q4_k_m", "q5_0", ... case-insensitive), or NULL. */
const ia_llm_qtype *ia_llm_qtype_find(const char *name);

/* "q8_0|q4_0|...": every name, for messages. */
const char *ia_llm_qtype_names(void);

/* What llama-quantize makes of one tensor: its ggml type in the output.
 * name: the GGUF tensor name; ndim and ncols (innermost dim, ne[0]) its
 * shape; src_type its type in the source; n_layer the block count;
 * n_attn_v the number of attn_v tensors; tied: the model has no
 * output.weight (token_embd is the output too). */
int ia_llm_tensor_type(const ia_llm_qtype *t, const char *name, int ndim, int64_t ncols, int src_type, int n_layer,
                       int n_attn_v, int tied);

/* Reads the GGUF model `src` (a .gguf file, a directory holding model.gguf
 * or a cached model name), writes `out` (a path ending in .gguf, or a
 * directory that gets model.gguf) with every tensor as
 * ia_llm_tensor_type says: tensors whose type does not change are copied
 * byte for byte, the others dequantised to f32 and quantised. threads: 0 =
 * the process pool. report_json (may be NULL; caller frees with ia_free):
 * the type, file_type, each tensor's source and output types, the file's
 * bytes and bits per weight. */
ia_status ia_quantize_llm(const char *src, const char *type, const char *out, int threads, ia_progress_fn progress,
                          void *ctx, char **report_json);

#endif
