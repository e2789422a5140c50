/*
 * dynlib.c — dlopen/dlsym wrapper behind dynlib.h. The one place that
 * includes <dlfcn.h>; wasm32 (and -DIA_NO_DLOPEN) builds compile the stub
 * half, whose opens all fail with IA_DYNLIB_NONE_REASON.
 */
#include "hw/dynlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__wasm__) || defined(IA_NO_DLOPEN)
#define IA_HAVE_DLOPEN 0
#else
#define IA_HAVE_DLOPEN 1
#include <dlfcn.h>
#endif

struct ia_dynlib {
    void *handle;    /* dlopen's handle */
    const char *name; /* borrowed from the caller's names[] */
};

int ia_dynlib_supported(void) { return IA_HAVE_DLOPEN; }

/* Writes "<n0>, <n1> not found (dlopen: <err>)" to reason; past three
 * names "<n0>, <n1>, <n2> and N more", so dlerror's text still fits. */
static void not_found(const char *const *names, size_t n, const char *err,
                      char *reason, size_t cap) {
    size_t len = 0, shown = n > 3 ? 3 : n;
    int w;
    if (!reason || cap == 0) return;
    reason[0] = '\0';
    for (size_t i = 0; i < shown && len < cap; i++) {
        w = snprintf(reason + len, cap - len, "%s%s", i ? ", " : "", names[i]);
        if (w < 0) return;
        len += (size_t)w;
    }
    if (n > shown && len < cap) {
        w = snprintf(reason + len, cap - len, " and %zu more", n - shown);
        if (w < 0) return;
        len += (size_t)w;
    }
    if (len < cap)
        (void)snprintf(reason + len, cap - len, " not found (dlopen: %s)",
                       err ? err : "unknown error");
}

#if IA_HAVE_DLOPEN

ia_dynlib *ia_dynlib_open(const char *const *names, size_t n, char *reason,
                          size_t cap) {
    char first_err[200] = "";
    for (size_t i = 0; i < n; i++) {
        void *h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            const char *e = dlerror();
            if (i == 0) {
                if (snprintf(first_err, sizeof first_err, "%s",
                             e ? e : "unknown error") < 0)
                    first_err[0] = '\0';
            }
            continue;
        }
        ia_dynlib *lib = malloc(sizeof *lib);
        if (!lib) {
            dlclose(h);
            if (reason && cap) (void)snprintf(reason, cap, "out of memory");
            return NULL;
        }
        lib->handle = h;
        lib->name = names[i];
        if (reason && cap) reason[0] = '\0';
        return lib;
    }
    not_found(names, n, first_err, reason, cap);
    return NULL;
}

ia_dynlib_fn ia_dynlib_sym(ia_dynlib *lib, const char *name) {
    ia_dynlib_fn fn = NULL;
    if (!lib) return NULL;
    void *p = dlsym(lib->handle, name);
    /* POSIX guarantees a data pointer from dlsym can hold a function's
     * address; memcpy moves it without the undefined object-to-function
     * pointer cast. */
    if (p) memcpy(&fn, &p, sizeof fn < sizeof p ? sizeof fn : sizeof p);
    return fn;
}

void ia_dynlib_close(ia_dynlib *lib) {
    if (!lib) return;
    dlclose(lib->handle);
    free(lib);
}

#else /* no dynamic loading */

ia_dynlib *ia_dynlib_open(const char *const *names, size_t n, char *reason,
                          size_t cap) {
    (void)names;
    (void)n;
    (void)not_found;
    if (reason && cap) (void)snprintf(reason, cap, "%s", IA_DYNLIB_NONE_REASON);
    return NULL;
}

ia_dynlib_fn ia_dynlib_sym(ia_dynlib *lib, const char *name) {
    (void)lib;
    (void)name;
    return NULL;
}

void ia_dynlib_close(ia_dynlib *lib) { free(lib); }

#endif

const char *ia_dynlib_name(const ia_dynlib *lib) {
    return lib ? lib->name : "";
}
