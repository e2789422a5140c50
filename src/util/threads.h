/*
 * threads.h — whether this build has POSIX threads: one test, so that every
 * file that locks or spawns agrees.
 *
 * Native builds have them unless IA_NO_THREADS. WebAssembly has them only
 * in emscripten's pthread build (shared memory + Web Workers, defining
 * __EMSCRIPTEN_PTHREADS__); the wasm32-wasi build and emscripten's
 * single-threaded build (for pages that are not cross-origin isolated, where
 * SharedArrayBuffer is missing) run everything on the calling thread.
 */
#ifndef IA_UTIL_THREADS_H
#define IA_UTIL_THREADS_H

#if !defined(IA_NO_THREADS) && (!defined(__wasm__) || defined(__EMSCRIPTEN_PTHREADS__))
#define IA_HAVE_PTHREADS 1
#endif

#endif
