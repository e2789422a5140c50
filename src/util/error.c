/*
 * error.c — status texts and the thread-local last-error message.
 */
#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 1 KiB holds any message we format (paths are clipped by snprintf). */
static _Thread_local char last_error[1024];

const char *ia_status_str(ia_status status) {
    switch (status) {
#define IA_STATUS_CASE(name, value, text) case name: return text;
        IA_STATUS_MAP(IA_STATUS_CASE)
#undef IA_STATUS_CASE
    }
    return "unknown status";
}

const char *ia_last_error(void) { return last_error; }

void ia_error_clear(void) { last_error[0] = '\0'; }

ia_status ia_error(ia_status status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return status;
}

ia_status ia_error_prefix(ia_status status, const char *fmt, ...) {
    char prefix[512], old[sizeof last_error];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, last_error, sizeof old);
    snprintf(last_error, sizeof last_error, "%s: %s", prefix, old);
    return status;
}

const char *ia_version(void) { return IA_VERSION_STRING; }

void ia_free(void *ptr) { free(ptr); }
