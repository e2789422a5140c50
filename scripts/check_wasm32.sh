#!/usr/bin/env bash
# check_wasm32.sh [CLI] — the portable core as a wasm32-wasi module, built and
# run: the target the JavaScript SDK will build the core for.
#
#   1. compile every portable source for wasm32-wasi (clang + Debian's
#      wasi-libc), in parallel, one "ok/FAIL" line per file. The list and
#      the flags are scripts/wasm32_core.sh's (shared with
#      bench/wasm_kernels.sh): `git ls-files src/` but the x86 kernels and
#      the DuckDB store, so new files — the *_wasm_simd128.c kernels among
#      them — are checked without an edit here.
#   2. link every object with nothing garbage-collected (--no-gc-sections):
#      each reference of each portable file must resolve in the module; the
#      only symbols allowed to stay undefined are the store's (the
#      functions store.h declares), for the reason above.
#   3. link the module: the objects, cJSON compiled from Debian's source
#      package (scripts/fetch_cjson_src.sh) and test/wasm/embed_main.c, a
#      driver over the public API.
#   4. run it under node's WASI (test/wasm/run_wasi.mjs) on the cached
#      all-MiniLM-L6-v2 directory and on an int8 copy the native CLI
#      quantises (`quantize --bits 8`), and compare its embeddings with the
#      native CLI's `embed --json` on the same directory (CLI, default
#      build/ipfs-accelerate): cosine >= 0.99999 for every text. Each model
#      runs twice: as dispatched, which must report the wasm_simd128
#      kernels, and with IA_KERNEL=generic, which must report the portable
#      ones (run_wasi.mjs passes the IA_* variables into the module).
#   5. the CPU kernel tests (test/backends) linked into a second module and
#      run under node: every variant the module has against the reference.
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

. scripts/wasm32_core.sh  # $tmp: a temporary working folder, with cJSON.h for wasm32_inc
cflags=("${wasm32_cflags[@]}")
warn=("${wasm32_warn[@]}")
passed=0
failed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1"; failed=$((failed + 1)); }

# --- 1. compile --------------------------------------------------------------
mapfile -t srcs < <(wasm32_sources)
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
# Linear memory fixed at 256 MiB (wasm32_core.sh says why it is fixed).
mem=$((256 << 20))
module="$tmp/embed_main.wasm"
if [ "$compiled" = 1 ]; then
  # shellcheck disable=SC2046 # the flags are words
  if clang "${cflags[@]}" "${objs[@]}" "$driver" "$tmp/cjson.o" -lm $(wasm32_link_flags $mem) \
       -o "$module" 2>"$tmp/err"; then
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
q8_dir=$tmp/minilm-q8
# run_check DIR KERNEL MIN_COS: the module's embeddings of the texts with
# the model in DIR, IA_KERNEL=KERNEL in its environment (empty: unset, the
# dispatcher's pick, which must be wasm_simd128), against the native CLI's
# on the same directory: every cosine >= MIN_COS. The CLI's own run is kept
# per directory.
run_check() {
  local dir=$1 kernel=$2 want=${2:-wasm_simd128} min_cos=$3 native=$tmp/native.$(basename "$1").json
  [ -s "$module" ] || { echo "no module"; return 1; }
  command -v node >/dev/null || { echo "node is not installed (scripts/setup_test.sh)"; return 1; }
  [ -f "$dir/model.safetensors" ] || [ -f "$dir/model.gguf" ] || { echo "no model in $dir (scripts/setup.sh)"; return 1; }
  [ -x "$cli" ] || { echo "no native CLI at $cli (build it first)"; return 1; }
  if [ -n "$kernel" ]; then
    IA_KERNEL=$kernel node --no-warnings test/wasm/run_wasi.mjs "$module" "$dir" /model /model "${texts[@]}" \
      >"$tmp/wasm.json" 2>"$tmp/wasm.err" || { cat "$tmp/wasm.err"; return 1; }
  else
    env -u IA_KERNEL node --no-warnings test/wasm/run_wasi.mjs "$module" "$dir" /model /model "${texts[@]}" \
      >"$tmp/wasm.json" 2>"$tmp/wasm.err" || { cat "$tmp/wasm.err"; return 1; }
  fi
  [ -s "$native" ] || "$cli" embed --json --device cpu --threads 1 --model "$dir" "${texts[@]}" >"$native" \
    2>"$tmp/native.err" || { cat "$tmp/native.err"; return 1; }
  python3 - "$tmp/wasm.json" "$native" "${#texts[@]}" "$want" "$min_cos" <<'PY'
import json, math, sys
w = json.load(open(sys.argv[1])); n = json.load(open(sys.argv[2])); count = int(sys.argv[3])
min_cos = float(sys.argv[5])
assert w["dim"] == n["dim"] == 384, (w["dim"], n["dim"])
assert w["kernel"] == sys.argv[4], (w["kernel"], "expected", sys.argv[4])  # the variant that ran
assert len(w["embeddings"]) == len(n["embeddings"]) == count
worst = 1.0
for a, b in zip(w["embeddings"], n["embeddings"]):
    cos = sum(x * y for x, y in zip(a, b)) / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))
    worst = min(worst, cos)
print("worst cosine %.8f, at least %s" % (worst, sys.argv[5]))
sys.exit(0 if worst >= min_cos else 1)
PY
}
# The int8 model: the native CLI quantises MiniLM (8 bits, groups of 128,
# the quantiser's defaults) into a GGUF directory both sides then load.
if [ -x "$cli" ] && [ -f "$model_dir/model.safetensors" ] &&
   "$cli" quantize --bits 8 --model "$model_dir" --out "$q8_dir" >"$tmp/quantize.log" 2>&1; then
  ok "native CLI quantises MiniLM to int8 for the module ($(($(stat -c %s "$q8_dir/model.gguf") / 1024)) KiB)"
else
  bad "native CLI quantises MiniLM to int8 for the module"; tail -n 5 "$tmp/quantize.log" 2>/dev/null
fi
# fp32: cosine >= 0.99999. int8: >= 0.998, because the activations are
# quantised to int8 at every linear layer, so a float difference of one ulp
# before it (another GELU, exp or summation order) flips a code now and
# then, and the embedding moves by far more than the ulp: natively the
# avx512-vnni, avx2 and generic kernels on this model and these texts agree
# only to cosine 0.99829 ("Hello", avx2 against generic), and the wasm
# module's generic and wasm_simd128 runs land within that same spread of
# the native ones (int8 against fp32 is 0.9968 on that text). Which
# integer sums the int8 kernels form is checked exactly by the kernel tests
# in step 5.
for dir in "$model_dir" "$q8_dir"; do
  if [ "$dir" = "$model_dir" ]; then what=fp32 min_cos=0.99999; else what=int8 min_cos=0.998; fi
  for kernel in "" generic; do
    label="wasm32 module embeds ${#texts[@]} texts as the native CLI does ($what, ${kernel:-wasm_simd128} kernels)"
    if out=$(run_check "$dir" "$kernel" "$min_cos" 2>&1); then
      ok "$label ($out; $(sed -n 's/^embed_main: //p' "$tmp/wasm.err"))"
    else
      bad "$label"; echo "$out" | tail -n 10
    fi
  done
done
t_ran=$(date +%s.%N)

# --- 5. the kernel tests in wasm ------------------------------------------------
# The C tests of the CPU kernels (test/backends: every sgemm/qgemm variant
# against the reference over edge shapes, the row kernels, every op of the
# CPU backend against the ref backend and numpy's fixtures, ggml's
# k-quants) linked with the same objects into a second module and run under
# node with this tree at /src: the wasm_simd128 kernels are tested the way
# the native ones are. (One thread: WASI has none; scripts/
# check_wasm32_threads.sh runs these tests with two, built by emscripten.)
tests_module=$tmp/kernel_tests.wasm
test_srcs=(test/test_main.c test/backends/test_gemm.c test/backends/test_qgemm.c test/backends/test_vec.c
           test/backends/test_ops.c test/backends/test_kquant_linear.c)
test_objs=()
if [ "$compiled" = 1 ]; then
  for f in "${test_srcs[@]}"; do
    o=$(obj_of "$f")
    test_objs+=("$o")
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
    compile_one "$f" "$o" "${warn[@]}" -Itest -DIA_SOURCE_DIR='"/src"' &
  done
  wait
  tests_ok=1
  for f in "${test_srcs[@]}"; do
    o=$(obj_of "$f")
    [ "$(cat "$o.rc")" = 0 ] || { bad "wasm32 compile $f"; head -n 5 "$o.err"; tests_ok=0; }
  done
  # shellcheck disable=SC2046 # the flags are words
  if [ "$tests_ok" = 1 ] && clang "${cflags[@]}" "${objs[@]}" "${test_objs[@]}" "$tmp/cjson.o" -lm \
       $(wasm32_link_flags $((512 << 20))) -o "$tests_module" 2>"$tmp/err"; then
    if env -u IA_KERNEL node --no-warnings test/wasm/run_wasi.mjs "$tests_module" "$PWD" /src \
         >"$tmp/tests.out" 2>&1 && tail -n 1 "$tmp/tests.out" | grep -q ' 0 failed$'; then
      ok "wasm32 kernel tests ($(tail -n 1 "$tmp/tests.out"): gemm, qgemm, vec, ops, kquant_linear)"
    else
      bad "wasm32 kernel tests"; grep -E "^FAIL|failed|Error" "$tmp/tests.out" | head -n 20
    fi
  elif [ "$tests_ok" = 1 ]; then
    bad "wasm32 kernel test module link"; grep -m 10 "error" "$tmp/err"
  fi
fi
t_end=$(date +%s.%N)
awk -v a="$t_start" -v b="$t_compiled" -v c="$t_linked" -v d="$t_ran" -v e="$t_end" \
  'BEGIN { printf "check_wasm32: compile %.1f s, link %.1f s, run + native run %.1f s, kernel tests %.1f s\n", b - a, c - b, d - c, e - d }'
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
