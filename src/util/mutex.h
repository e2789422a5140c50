/*
 * mutex.h — a mutex where the build has threads, nothing where it has none
 * (wasm32 without threads, IA_NO_THREADS): code that guards shared state
 * compiles everywhere.
 */
#ifndef IA_UTIL_MUTEX_H
#define IA_UTIL_MUTEX_H

#include "util/threads.h"
#if defined(IA_HAVE_PTHREADS)
#include <pthread.h>
typedef pthread_mutex_t ia_mutex;
static inline void ia_mutex_init(ia_mutex *m) { pthread_mutex_init(m, NULL); }
static inline void ia_mutex_destroy(ia_mutex *m) { pthread_mutex_destroy(m); }
static inline void ia_mutex_lock(ia_mutex *m) { pthread_mutex_lock(m); }
static inline void ia_mutex_unlock(ia_mutex *m) { pthread_mutex_unlock(m); }
#else
typedef int ia_mutex;
static inline void ia_mutex_init(ia_mutex *m) { *m = 0; }
static inline void ia_mutex_destroy(ia_mutex *m) { (void)m; }
static inline void ia_mutex_lock(ia_mutex *m) { (void)m; }
static inline void ia_mutex_unlock(ia_mutex *m) { (void)m; }
#endif

#endif
