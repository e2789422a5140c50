#!/usr/bin/env bash
# check_wasm32.sh [CLI] — the portable core as a wasm32-wasi module, built and
# run: the target the JavaScript SDK will build the core for.
#
#   1. compile every portable source for wasm32-wasi (clang + Debian's
#      wasi-libc), in parallel, one "ok/FAIL" line per file. The list is
#      `git ls-files src/`, so new files are checked without an edit here.
#      Skipped, by design:
#        *_avx2.c, *_avx512.c, *_vnni.c — x86 SIMD kernels; the dispatch
#          (gemm.c, qgemm.c, vec.c) names them only in x86 builds;
#        src/bench/store*.c — the benchmark store is DuckDB's C API over the
#          native libduckdb.so (duckdb.h is not in the wasm sysroot); a
#          browser build would use DuckDB-wasm, a separate thing.
#   2. link every object with nothing garbage-collected (--no-gc-sections):
#      each reference of each portable file must resolve in the module; the
#      only symbols allowed to stay undefined are the store's (the
#      functions store.h declares), for the reason above.
#   3. link the module: the objects, cJSON compiled from Debian's source
#      package (scripts/fetch_cjson_src.sh) and test/wasm/embed_main.c, a
#      driver over the public API.
#   4. run it under node's WASI (test/wasm/run_wasi.mjs) on the cached
#      all-MiniLM-L6-v2 directory and compare its embeddings with the native
#      CLI's `embed --json` (CLI, default build/ipfs-accelerate): cosine >=
#      0.99999 for every text, portable kernels in the module.
# Prints "N passed, N failed" last. scripts/setup_test.sh installs what it
# needs (clang, lld, the wasm32 compiler runtime, wasi-libc, node).
set -uo pipefail
cd "$(dirname "$0")/.."
cli=${1:-build/ipfs-accelerate}
sysroot=/usr
model_dir=${IA_MODEL_DIR:-$HOME/.cache/ipfs_accelerate/models}/all-MiniLM-L6-v2
jobs=$(nproc 2>/dev/null || echo 2)
t_start=$(date +%s.%N)

fail_setup() {
  echo "check_wasm32: $1 (scripts/setup_test.sh installs it)"
  echo "0 passed, 1 failed"
  exit 1
}
command -v clang >/dev/null && [ -f "$sysroot/include/wasm32-wasi/stdio.h" ] ||
  fail_setup "clang and wasi-libc are required"
[ -f third_party/cjson-src/cJSON.c ] || fail_setup "cJSON's source is required in third_party/cjson-src"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/obj" "$tmp/inc/cjson"
cp third_party/cjson-src/cJSON.h "$tmp/inc/cjson/"

# -msimd128: fixed-width wasm SIMD, in every current engine; the portable
# kernels are auto-vectorised with it (3.4x faster here than without).
cflags=(--target=wasm32-wasi --sysroot="$sysroot" -isystem "$tmp/inc" -std=c11 -O2 -msimd128
        -Iinclude -Isrc -DIA_VERSION_STRING='"0"' -DIA_BUILD_COMMIT='"wasm"'
        -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE)
warn=(-Wall -Wextra -Wno-unused-parameter -Werror)
passed=0
failed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1"; failed=$((failed + 1)); }

# --- 1. compile --------------------------------------------------------------
srcs=()
for f in $(git ls-files 'src/*.c' 'src/**/*.c' | sort -u); do
  case $f in *_avx2.c|*_avx512.c|*_vnni.c) continue ;; esac
  case $f in src/bench/store*.c) continue ;; esac
  srcs+=("$f")
done
obj_of() { echo "$tmp/obj/$(echo "$1" | tr / _).o"; }
compile_one() { # SRC OBJ EXTRA_FLAGS...: writes OBJ.rc (and OBJ.err)
  local src=$1 obj=$2
  shift 2
  clang "${cflags[@]}" "$@" -c "$src" -o "$obj" 2>"$obj.err"
  echo $? >"$obj.rc"
}
for f in "${srcs[@]}" test/wasm/embed_main.c; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
  compile_one "$f" "$(obj_of "$f")" "${warn[@]}" &
done
# Debian's cJSON is not ours to keep warning-free.
compile_one third_party/cjson-src/cJSON.c "$tmp/cjson.o" -w &
wait
objs=()
for f in "${srcs[@]}"; do
  o=$(obj_of "$f")
  if [ "$(cat "$o.rc")" = 0 ]; then ok "wasm32 compile $f"; objs+=("$o")
  else bad "wasm32 compile $f"; head -n 5 "$o.err"; fi
done
driver=$(obj_of test/wasm/embed_main.c)
[ "$(cat "$driver.rc")" = 0 ] || { bad "wasm32 compile test/wasm/embed_main.c"; head -n 5 "$driver.err"; }
[ "$(cat "$tmp/cjson.o.rc")" = 0 ] || { bad "wasm32 compile cJSON.c"; head -n 5 "$tmp/cjson.o.err"; }
compiled=$((failed == 0))
t_compiled=$(date +%s.%N)

# --- 2. strict link ----------------------------------------------------------
# The store's functions, as store.h declares them ("ia_status ia_bench_store_x(").
sed -nE 's/^[a-z_ ]+[ *](ia_bench_store_[a-z_]+)\(.*/\1/p' src/bench/store.h | sort -u >"$tmp/store.syms"
if [ "$compiled" = 0 ]; then
  bad "wasm32 link (not tried: compile failures)"
elif [ ! -s "$tmp/store.syms" ]; then
  bad "wasm32 strict link: no store functions found in src/bench/store.h"
elif clang "${cflags[@]}" "${objs[@]}" "$driver" "$tmp/cjson.o" -lm -Wl,--no-gc-sections \
     -Wl,--allow-undefined-file="$tmp/store.syms" -o "$tmp/strict.wasm" 2>"$tmp/err"; then
  ok "wasm32 strict link: every portable object resolves (but the $(wc -l <"$tmp/store.syms") store functions)"
else
  bad "wasm32 strict link"; grep -m 10 "error" "$tmp/err"
fi

# --- 3. the module -------------------------------------------------------------
# Linear memory fixed at 256 MiB (the weights file is read into it: 91 MB
# for MiniLM): node 20's V8 aborted in its GC (MarkCompactCollector, reached
# from WasmMemoryObject::Grow) in about half the runs while the module grew
# its memory page by page; with nothing to grow the runs are clean, and a
# model that does not fit fails with IA_ERR_NOMEM instead. An 8 MiB stack
# placed first, so that an overflow traps instead of overwriting data.
mem=$((256 << 20))
module="$tmp/embed_main.wasm"
if [ "$compiled" = 1 ]; then
  if clang "${cflags[@]}" "${objs[@]}" "$driver" "$tmp/cjson.o" -lm -Wl,-z,stack-size=$((8 << 20)) \
       -Wl,--stack-first -Wl,--initial-memory=$mem -Wl,--max-memory=$mem -o "$module" 2>"$tmp/err"; then
    ok "wasm32 module links ($(($(stat -c %s "$module") / 1024)) KiB)"
  else
    bad "wasm32 module link"; grep -m 10 "error" "$tmp/err"
  fi
fi
t_linked=$(date +%s.%N)

# --- 4. run it ---------------------------------------------------------------
texts=("The quick brown fox jumps over the lazy dog."
       "Quantum chromodynamics describes the strong interaction."
       "日本語の文章と中文句子, naïve café, 😀"
       "Hello"
       "$(printf 'a long text of many repeated words %.0s' $(seq 60))") # > 256 tokens: truncated
run_check() {
  [ -s "$module" ] || { echo "no module"; return 1; }
  command -v node >/dev/null || { echo "node is not installed (scripts/setup_test.sh)"; return 1; }
  [ -f "$model_dir/model.safetensors" ] || { echo "no model in $model_dir (scripts/setup.sh)"; return 1; }
  [ -x "$cli" ] || { echo "no native CLI at $cli (build it first)"; return 1; }
  node --no-warnings test/wasm/run_wasi.mjs "$module" "$model_dir" /model /model "${texts[@]}" \
    >"$tmp/wasm.json" 2>"$tmp/wasm.err" || { cat "$tmp/wasm.err"; return 1; }
  "$cli" embed --json --device cpu --threads 1 --model "$model_dir" "${texts[@]}" >"$tmp/native.json" \
    2>"$tmp/native.err" || { cat "$tmp/native.err"; return 1; }
  python3 - "$tmp/wasm.json" "$tmp/native.json" "${#texts[@]}" <<'PY'
import json, math, sys
w = json.load(open(sys.argv[1])); n = json.load(open(sys.argv[2])); count = int(sys.argv[3])
assert w["dim"] == n["dim"] == 384, (w["dim"], n["dim"])
assert w["kernel"] == "generic", w["kernel"]  # the portable kernels ran
assert len(w["embeddings"]) == len(n["embeddings"]) == count
worst = 1.0
for a, b in zip(w["embeddings"], n["embeddings"]):
    cos = sum(x * y for x, y in zip(a, b)) / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))
    worst = min(worst, cos)
print("worst cosine %.8f" % worst)
sys.exit(0 if worst >= 0.99999 else 1)
PY
}
if out=$(run_check 2>&1); then
  ok "wasm32 module embeds ${#texts[@]} texts as the native CLI does ($out; $(sed -n 's/^embed_main: //p' "$tmp/wasm.err"))"
else
  bad "wasm32 module embeds ${#texts[@]} texts as the native CLI does"; echo "$out" | tail -n 10
fi
t_end=$(date +%s.%N)
awk -v a="$t_start" -v b="$t_compiled" -v c="$t_linked" -v d="$t_end" \
  'BEGIN { printf "check_wasm32: compile %.1f s, link %.1f s, run + native run %.1f s\n", b - a, c - b, d - c }'
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
