/*
 * error.h — setting the thread-local error message behind ia_last_error().
 *
 * Every internal failure path calls ia_error(status, fmt, ...) once, at the
 * place that knows what went wrong, and returns its result: the message is
 * formatted into a thread-local buffer and the status is passed through, so
 * `return ia_error(IA_ERR_FORMAT, "tensor %s: ...", name);` is the idiom.
 */
#ifndef IA_UTIL_ERROR_H
#define IA_UTIL_ERROR_H

#include <stddef.h>

#include "ipfs_accelerate.h"

#if defined(__GNUC__)
#define IA_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define IA_PRINTF(a, b)
#endif

/* Records the message for ia_last_error() and returns status. */
ia_status ia_error(ia_status status, const char *fmt, ...) IA_PRINTF(2, 3);

/* Prepends "prefix: " to the current message (keeps context as an error
 * travels up: "model.safetensors: tensor x: offset past end"). */
ia_status ia_error_prefix(ia_status status, const char *fmt, ...) IA_PRINTF(2, 3);

/* Clears the message (for tests). */
void ia_error_clear(void);

/* Copies a name from a file into out[cap] for an error message: clipped
 * (with "...") and control bytes shown as '?', so hostile names cannot
 * flood or garble the message. Returns out. (cap >= 4) */
const char *ia_shown_name(const char *name, char *out, size_t cap);

#endif
