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
    char msg[sizeof last_error];
    size_t p, rest, old_len = strlen(last_error);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg - 2, fmt, ap);
    va_end(ap);
    p = strlen(msg);
    memcpy(msg + p, ": ", 3);
    p += 2;
    rest = sizeof msg - 1 - p; /* the old message is clipped to what fits */
    if (old_len > rest) old_len = rest;
    memcpy(msg + p, last_error, old_len);
    msg[p + old_len] = '\0';
    memcpy(last_error, msg, sizeof msg);
    return status;
}

const char *ia_version(void) { return IA_VERSION_STRING; }

void ia_free(void *ptr) { free(ptr); }

const char *ia_shown_name(const char *name, char *out, size_t cap) {
    size_t i = 0;
    for (; name[i] && i < cap - 4; i++) {
        unsigned char c = (unsigned char)name[i];
        out[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if (name[i]) {
        memcpy(out + i, "...", 3);
        i += 3;
    }
    out[i] = '\0';
    return out;
}
