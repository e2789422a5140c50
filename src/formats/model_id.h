/*
 * model_id.h — a model's content identity (its fingerprint): what ties a
 * benchmark row to the model it measured, whatever directory or name the
 * model was opened under. Two directories with the same files have the
 * same fingerprint; a fine-tune, a re-quantised file or an edited config
 * has another one, even under the same base name.
 */
#ifndef IA_FORMATS_MODEL_ID_H
#define IA_FORMATS_MODEL_ID_H

#include "ipfs_accelerate.h"

#define IA_MODEL_FINGERPRINT_LEN 64 /* hex chars (SHA-256), without the NUL */

/* Fingerprint of the model directory `dir` (config.json plus
 * model.safetensors, else model.gguf — the files ia_model_open reads):
 * SHA-256 over a version tag, config.json's bytes, the weights file's
 * name and size, its header (safetensors: the length word and the whole
 * JSON header, which names every tensor, dtype, shape and offset; GGUF:
 * the first MiB, which holds the metadata and tensor table of any model
 * we run) and three 64 KiB samples of its data (start, middle, end), so
 * weights that differ only in their values still differ here.
 *
 * Cheap: reads at most config.json + 16 MiB of header + 192 KiB, whatever
 * the model's size (a few hundred KiB for all-MiniLM-L6-v2); nothing is
 * mapped or parsed. The files are treated as opaque bytes, so a hostile
 * header cannot make it read past the file.
 *
 * out: IA_MODEL_FINGERPRINT_LEN hex chars + NUL. Errors: IA_ERR_NOT_FOUND
 * when config.json or the weights file is missing, IA_ERR_IO when a read
 * fails (each naming the file). */
ia_status ia_model_fingerprint(const char *dir, char out[IA_MODEL_FINGERPRINT_LEN + 1]);

#endif
