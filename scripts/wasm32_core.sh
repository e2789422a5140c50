# wasm32_core.sh — sourced (not run) by scripts/check_wasm32.sh,
# scripts/check_wasm32_threads.sh, bench/wasm_kernels.sh and (for its source
# list) scripts/build_js.sh: how the portable core is compiled for wasm32,
# so the checks, the benchmark and the SDK's build compile the same files.
#
#   wasm32_cflags         the compile flags (an array; -msimd128: fixed-width
#                         wasm SIMD, in every current engine — the portable
#                         kernels are auto-vectorised with it, and the
#                         *_wasm_simd128.c kernels exist only with it)
#   wasm32_warn           the warning flags our own sources compile with
#   wasm32_sources        prints the portable sources, one a line: `git
#                         ls-files src/`, so new files are built without an
#                         edit here. Skipped, by design:
#                           *_avx2.c, *_avx512.c, *_vnni.c — x86 SIMD
#                             kernels; the dispatch (gemm.c, qgemm.c, vec.c)
#                             names them only in x86 builds;
#                           src/bench/store*.c — the benchmark store is
#                             DuckDB's C API over the native libduckdb.so
#                             (duckdb.h is not in the wasm sysroot); a
#                             browser build would use DuckDB-wasm.
#                           src/registry/* — the model registry's tables
#                             are in the same DuckDB file (native only)
#                           src/serve/*, src/worker/remote_endpoint*.c —
#                             sockets, libmicrohttpd and libcurl: native
#                             only (the Worker refuses a URL device there)
#   wasm32_link_flags     the module's memory layout (an array), see below
#
# wasm32_inc names a folder holding cjson/cJSON.h (copied from
# third_party/cjson-src). A caller that sets none before sourcing gets a
# temporary working folder: $tmp (removed at exit, with an EXIT trap) holding
# obj/ and inc/cjson/cJSON.h, and wasm32_inc=$tmp/inc.

if [ -z "${wasm32_inc:-}" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp/obj" "$tmp/inc/cjson"
  cp third_party/cjson-src/cJSON.h "$tmp/inc/cjson/"
  wasm32_inc=$tmp/inc
fi

wasm32_sysroot=/usr
wasm32_cflags=(--target=wasm32-wasi --sysroot="$wasm32_sysroot" -isystem "$wasm32_inc" -std=c11 -O2 -msimd128
               -Iinclude -Isrc -DIA_VERSION_STRING='"0"' -DIA_BUILD_COMMIT='"wasm"'
               -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE)
wasm32_warn=(-Wall -Wextra -Wno-unused-parameter -Werror)

wasm32_sources() {
  local f
  for f in $(git ls-files 'src/*.c' 'src/**/*.c' | sort -u); do
    case $f in *_avx2.c|*_avx512.c|*_vnni.c) continue ;; esac
    case $f in src/bench/store*.c) continue ;; esac
    case $f in src/registry/*) continue ;; esac   # DuckDB, as the store
    case $f in src/serve/*) continue ;; esac   # sockets and libmicrohttpd: native only
    case $f in src/worker/remote_endpoint*.c) continue ;; esac   # libcurl: native only
    case $f in src/store/gateway_fetch*.c) continue ;; esac   # libcurl: native only
    echo "$f"
  done
}

# Linear memory fixed (the weights file is read into it: 91 MB for
# MiniLM), $1 bytes: node 20's V8 aborted in its GC (MarkCompactCollector,
# reached from WasmMemoryObject::Grow) in about half the runs while the
# module grew its memory page by page; with nothing to grow the runs are
# clean, and a model that does not fit fails with IA_ERR_NOMEM instead. An
# 8 MiB stack placed first, so that an overflow traps instead of
# overwriting data.
wasm32_link_flags() {
  echo -Wl,-z,stack-size=$((8 << 20)) -Wl,--stack-first -Wl,--initial-memory="$1" -Wl,--max-memory="$1"
}
