/*
 * clock.c — the monotonic clock behind ia_now_sec().
 */
#include "util/clock.h"

#include <time.h>

double ia_now_sec(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
