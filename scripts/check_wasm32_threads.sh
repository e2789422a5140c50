#!/usr/bin/env bash
# check_wasm32_threads.sh — the CPU kernel tests (test/backends) in a
# wasm32 module with real threads: the portable core built by emscripten
# with -pthread -msimd128 and run under node (worker threads over a shared
# memory), so the wasm_simd128 and generic kernels run on 2-thread pools the
# way the JavaScript SDK's pthread build will run them. check_wasm32.sh runs
# the same tests single-threaded under WASI, which has no threads.
#
# The tests' own 2-thread pools (ia_pool_create(2): test_gemm's pools, the
# 1-vs-2-thread bit-for-bit checks of test_qgemm and test_kquant_linear)
# get a second thread here. A check of this script's own (below) runs
# first and proves that they do: a pool of 2 runs two tasks at once on two
# slots. (test/util/test_threadpool.c is not used: its deadline helper
# blocks the main thread while a thread it started starts another, which
# emscripten 3.1.6 proxies to that blocked main thread — a deadlock of the
# harness, not of the pool.) With -pthread emscripten defines
# __EMSCRIPTEN_PTHREADS__, which src/util/threads.h takes for "this build
# has threads": the pool, the locks and the per-thread GEMM scratch all take
# their pthread paths, as in the SDK's threaded build (scripts/build_js.sh).
#
# Needs emcc (Debian's emscripten) and node; emscripten's JS optimiser
# needs the acorn module, looked for in third_party/emcc-node/node_modules.
# Prints "N passed, N failed" last.
set -uo pipefail
cd "$(dirname "$0")/.."
fail_setup() {
  echo "check_wasm32_threads: $1"
  echo "0 passed, 1 failed"
  exit 1
}
command -v emcc >/dev/null || fail_setup "emcc (emscripten) is required"
command -v node >/dev/null || fail_setup "node is required"
[ -f third_party/cjson-src/cJSON.c ] || fail_setup "cJSON's source is required (scripts/fetch_cjson_src.sh)"
[ -d third_party/emcc-node/node_modules ] && export NODE_PATH=$PWD/third_party/emcc-node/node_modules

. scripts/wasm32_core.sh  # $tmp: a temporary working folder, with cJSON.h for wasm32_inc
jobs=$(nproc 2>/dev/null || echo 2)
flags=(-std=c11 -O2 -msimd128 -pthread -isystem "$wasm32_inc" -Iinclude -Isrc -Itest
       -DIA_VERSION_STRING='"0"' -DIA_BUILD_COMMIT='"wasm"' -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
       -DIA_SOURCE_DIR="\"$PWD\"")
cat >"$tmp/test_threads_real.c" <<'EOF'
/* Two tasks on a pool of 2 that can only finish together: task 0 waits
 * (bounded) until task 1 has run, so they ran at the same time on two
 * threads, in two slots. */
#include <stdatomic.h>
#include "harness.h"
#include "util/threadpool.h"
static atomic_int ran1, slot[2];
static void task(void *ctx, int t, int thread) {
    (void)ctx;
    atomic_store(&slot[t], thread);
    if (t == 1) atomic_store(&ran1, 1);
    else for (long long i = 0; i < 4000000000LL && !atomic_load(&ran1); i++) continue;
}
IA_TEST(wasm_pool_of_two_runs_two_threads) {
    ia_pool *p = NULL;
    REQUIRE(ia_pool_create(2, &p) == IA_OK);
    CHECK(ia_pool_size(p) == 2);
    ia_pool_run_n(p, 2, 2, task, NULL);
    CHECK(atomic_load(&ran1) && atomic_load(&slot[0]) != atomic_load(&slot[1]));
    ia_pool_free(p);
}
EOF
tests=(test/test_main.c "$tmp/test_threads_real.c" test/backends/test_gemm.c test/backends/test_qgemm.c
       test/backends/test_vec.c test/backends/test_ops.c test/backends/test_kquant_linear.c)
objs=()
for f in $(wasm32_sources) "${tests[@]}"; do
  o="$tmp/obj/$(echo "$f" | tr / _).o"
  objs+=("$o")
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  emcc "${flags[@]}" "${wasm32_warn[@]}" -c "$f" -o "$o" 2>"$o.err" &
done
emcc "${flags[@]}" -w -c third_party/cjson-src/cJSON.c -o "$tmp/cjson.o" 2>"$tmp/cjson.err" &
wait
for o in "${objs[@]}" "$tmp/cjson.o"; do
  [ -f "$o" ] || { head -n 5 "$o.err" 2>/dev/null; fail_setup "compiling ${o##*/} failed"; }
done
# Fixed memory (no growth: growing a shared memory is slow in every engine);
# 4 pthreads started with the module; files read through node (NODERAWFS).
emcc "${flags[@]}" "${objs[@]}" "$tmp/cjson.o" -lm -sPTHREAD_POOL_SIZE=4 -sINITIAL_MEMORY=$((512 << 20)) \
  -sNODERAWFS=1 -sEXIT_RUNTIME=1 -o "$tmp/tests.js" >"$tmp/link.err" 2>&1 ||
  { tail -n 5 "$tmp/link.err"; fail_setup "linking the test module failed"; }
# --no-experimental-fetch: the emscripten of Debian 12 (3.1.6) loads the
# .wasm with fetch() when it exists, which node's fetch refuses for a path.
node --no-experimental-fetch "$tmp/tests.js" wasm_pool gemm qgemm vec ops kquant 2>&1 | tee "$tmp/out" | grep -E "^(ok|FAIL|skip) |variant|cap |passed"
tail -n 1 "$tmp/out" | grep -q ' 0 failed$'
