/*
 * dynlib.h — run-time loading of vendor libraries (dlopen/dlsym), so the
 * accelerator probes need no SDK at build time and the core still links on
 * a machine without any of them. On builds without dynamic loading (wasm32,
 * or -DIA_NO_DLOPEN) every open fails with one fixed reason, so the probes
 * stay portable and never #ifdef in their logic.
 */
#ifndef IA_HW_DYNLIB_H
#define IA_HW_DYNLIB_H

#include <stddef.h>

/* An opaque loaded library. */
typedef struct ia_dynlib ia_dynlib;

/* A generic function pointer: what ia_dynlib_sym returns. The caller casts
 * it to the entry point's own typedef (function-pointer to function-pointer
 * casts are defined in C; object-to-function casts are not). */
typedef void (*ia_dynlib_fn)(void);

/* Reason every open gives on builds without dynamic loading. */
#define IA_DYNLIB_NONE_REASON "this build has no dynamic loading (wasm32)"

/* 1 if this build can load libraries at run time, else 0. */
int ia_dynlib_supported(void);

/* Tries names[0..n-1] in order (RTLD_NOW | RTLD_LOCAL); returns the first
 * that loads. On failure returns NULL and writes to reason (cap bytes, may
 * be NULL/0) "<name>[, <name>...] not found (dlopen: <dlerror of the first
 * name>)" (past three names: "<a>, <b>, <c> and N more not found ..."), or
 * IA_DYNLIB_NONE_REASON without dynamic loading. The name that
 * loaded is ia_dynlib_name(). Caller closes with ia_dynlib_close(). */
ia_dynlib *ia_dynlib_open(const char *const *names, size_t n, char *reason,
                          size_t cap);

/* The address of symbol name in lib, or NULL if it is missing. */
ia_dynlib_fn ia_dynlib_sym(ia_dynlib *lib, const char *name);

/* For loader functions that return the name of the first missing entry
 * point (NULL when all resolved): resolves `sym` into `dst`, cast to its
 * function pointer type, or returns `sym`. */
#define IA_DYNLIB_LOAD(lib, dst, type, sym)         \
    do {                                            \
        (dst) = (type)ia_dynlib_sym((lib), (sym));  \
        if (!(dst)) return (sym);                   \
    } while (0)

/* The name lib was opened by. Borrowed; valid until ia_dynlib_close(). */
const char *ia_dynlib_name(const ia_dynlib *lib);

/* Unloads lib (dlclose) and frees the handle. NULL-safe. */
void ia_dynlib_close(ia_dynlib *lib);

#endif
