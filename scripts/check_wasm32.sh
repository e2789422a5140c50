#!/usr/bin/env bash
# check_wasm32.sh — compiles every portable source file of the core for
# wasm32-wasi (clang + Debian's wasi-libc), the target the JavaScript SDK will
# build the core for. SIMD kernel files (*_avx2.c, *_avx512.c) are x86-only
# by design and skipped; dispatch must never reference them off x86.
# src/bench/store*.c (native DuckDB) is skipped too.
# Prints one line per file and "N passed, N failed" last.
set -uo pipefail
cd "$(dirname "$0")/.."
sysroot=/usr
if ! command -v clang >/dev/null || [ ! -f "$sysroot/include/wasm32-wasi/stdio.h" ]; then
  echo "check_wasm32: clang and wasi-libc are required (scripts/setup.sh installs them)"
  echo "0 passed, 1 failed"
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# cJSON's header only (the wasm build will compile cJSON itself).
mkdir -p "$tmp/inc/cjson" && cp /usr/include/cjson/cJSON.h "$tmp/inc/cjson/"
passed=0
failed=0
for f in $(git ls-files 'src/*.c' 'src/**/*.c' | sort -u); do
  case $f in *_avx2.c|*_avx512.c|*_vnni.c) continue ;; esac
  # The benchmark store links native libduckdb (duckdb.h is not in the wasm
  # sysroot); it is native-only by design — a browser build would use
  # DuckDB-wasm, a separate thing — so src/bench/store*.c is not checked.
  case $f in src/bench/store*.c) continue ;; esac
  if clang --target=wasm32-wasi --sysroot="$sysroot" -isystem "$tmp/inc" -std=c11 -O2 \
       -Wall -Wextra -Wno-unused-parameter -Werror -Iinclude -Isrc \
       -DIA_VERSION_STRING='"0"' -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
       -c "$f" -o "$tmp/out.o" 2>"$tmp/err"; then
    echo "ok   wasm32 $f"; passed=$((passed + 1))
  else
    echo "FAIL wasm32 $f"; head -n 5 "$tmp/err"; failed=$((failed + 1))
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
