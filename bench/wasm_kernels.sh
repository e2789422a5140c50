#!/usr/bin/env bash
# wasm_kernels.sh [MODEL_DIR] — the CPU kernels as the JavaScript SDK runs
# them: the portable core built as a wasm32-wasi module (scripts/
# wasm32_core.sh, as scripts/check_wasm32.sh builds it) with the driver
# bench/wasm_kernels.c, run under node's WASI (test/wasm/run_wasi.mjs),
# one thread.
#
#   1. kernels: sgemm (fp32, weights packed once) and int8 qgemm (groups of
#      128) at the MiniLM linear-layer shapes, m = 128 and 4096, generic
#      against wasm_simd128 (GFLOP/s; see bench/wasm_kernels.c);
#   2. end to end: all-MiniLM-L6-v2 (MODEL_DIR, default the cache) embeds
#      32 texts of 122–135 WordPiece tokens (126 on average) in one batch,
#      median of $RUNS (default 5) batches after a warm-up, with
#      IA_KERNEL=generic and with the dispatcher's pick; and a single text
#      (batch 1) the same way. Then the same for an int8 copy of the model:
#      INT8_DIR, or one the native CLI (build/ipfs-accelerate, if built)
#      writes with `quantize --bits 8` (groups of 128) into the temporary
#      folder.
#
# Environment: SECONDS_PER_RUN (kernel runs, default 0.2), RUNS, INT8_DIR,
# SKIP_KERNELS=1 / SKIP_EMBED=1 / SKIP_INT8=1, EXTRA_CFLAGS (e.g.
# -DGEMM_WASM_MR=5 to try another tile), NODE_FLAGS (e.g. --no-liftoff).
# Builds in a temporary folder each time (~15 s on 2 cores). Numbers vary
# with the engine: node's V8 here; a browser's V8 compiles the same module
# with the same back end. One thread: WASI has none.
set -euo pipefail
cd "$(dirname "$0")/.."
model_dir=${1:-${IA_MODEL_DIR:-$HOME/.cache/ipfs_accelerate/models}/all-MiniLM-L6-v2}
runs=${RUNS:-5}
jobs=$(nproc 2>/dev/null || echo 2)
command -v clang >/dev/null && [ -f /usr/include/wasm32-wasi/stdio.h ] ||
  { echo "wasm_kernels: clang and wasi-libc are required (scripts/setup_test.sh)" >&2; exit 1; }
[ -f third_party/cjson-src/cJSON.c ] || { echo "wasm_kernels: run scripts/fetch_cjson_src.sh" >&2; exit 1; }

. scripts/wasm32_core.sh  # $tmp: a temporary working folder, with cJSON.h for wasm32_inc

objs=()
for f in $(wasm32_sources) bench/wasm_kernels.c; do
  o="$tmp/obj/$(echo "$f" | tr / _).o"
  objs+=("$o")
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  # shellcheck disable=SC2086 # EXTRA_CFLAGS: words (-DGEMM_WASM_MR=5 to try a tile)
  clang "${wasm32_cflags[@]}" "${wasm32_warn[@]}" ${EXTRA_CFLAGS:-} -c "$f" -o "$o" &
done
clang "${wasm32_cflags[@]}" -w -c third_party/cjson-src/cJSON.c -o "$tmp/cjson.o" &
wait
for o in "${objs[@]}" "$tmp/cjson.o"; do
  [ -f "$o" ] || { echo "wasm_kernels: compiling ${o##*/} failed" >&2; exit 1; }
done
# 1 GiB: the fp32 model read into memory and packed (2 × 91 MB) plus the
# activations of 32 × 128 tokens.
# shellcheck disable=SC2046 # the flags are words
clang "${wasm32_cflags[@]}" "${objs[@]}" "$tmp/cjson.o" -lm $(wasm32_link_flags $((1024 << 20))) \
  -o "$tmp/wasm_kernels.wasm"
# run KERNEL HOST_DIR ARG...: KERNEL empty = the dispatcher's pick
run() {
  local kernel=$1 dir=$2
  shift 2
  if [ -n "$kernel" ]; then
    IA_KERNEL=$kernel node --no-warnings ${NODE_FLAGS:-} test/wasm/run_wasi.mjs "$tmp/wasm_kernels.wasm" "$dir" /model "$@"
  else
    env -u IA_KERNEL node --no-warnings ${NODE_FLAGS:-} test/wasm/run_wasi.mjs "$tmp/wasm_kernels.wasm" "$dir" /model "$@"
  fi
}
echo "node $(node --version), $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"

if [ -z "${SKIP_KERNELS:-}" ]; then
  run "" "$tmp" gemm "${SECONDS_PER_RUN:-0.2}"
fi

if [ -z "${SKIP_EMBED:-}" ]; then
  # 32 texts of ~128 WordPiece tokens: 120 words each from a fixed list (one
  # of them two tokens), in an order that differs per text (deterministic).
  words=(the model reads short sentences and long paragraphs about science history music weather
         travel cooking markets software language learning networks during spring when rivers rise
         quickly after heavy rain while children play near old bridges built from stone timber)
  texts=()
  for i in $(seq 32); do
    t=""
    for j in $(seq 120); do t+="${words[$(((i * 31 + j * j * 7 + j * i) % ${#words[@]}))]} "; done
    texts+=("$t")
  done
  int8_dir=${INT8_DIR:-}
  if [ -z "$int8_dir" ] && [ -z "${SKIP_INT8:-}" ] && [ -x build/ipfs-accelerate ]; then
    int8_dir=$tmp/minilm-q8
    build/ipfs-accelerate quantize --bits 8 --model "$model_dir" --out "$int8_dir" >/dev/null ||
      { echo "wasm_kernels: quantize failed" >&2; exit 1; }
  fi
  for dir in "$model_dir" ${int8_dir:+"$int8_dir"}; do
    echo "model $dir:"
    for kernel in generic ""; do
      for batch in 32 1; do
        run "$kernel" "$dir" embed /model "$runs" "${texts[@]:0:$batch}"
      done
    done
  done
fi
