/*
 * clock.h — a monotonic clock in seconds, for timing ops, benchmarks and
 * power windows (one definition instead of one per file).
 */
#ifndef IA_UTIL_CLOCK_H
#define IA_UTIL_CLOCK_H

/* Seconds on CLOCK_MONOTONIC; only differences are meaningful. */
double ia_now_sec(void);

#endif
