#!/usr/bin/env bash
# kquant_ggml_anchor.sh [LLAMA_CPP_SRC] — builds bench/kquant_ggml_anchor.c
# against llama.cpp's k-quant source files (default build-anchors/llama.cpp-src,
# placed by scripts/fetch_llamacpp_src.sh) and runs it: ggml's own GEMV
# timings beside build/kquant_bench's.
set -euo pipefail
cd "$(dirname "$0")/.."
src=${1:-build-anchors/llama.cpp-src}
g=$src/ggml
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for f in src/ggml-quants.c src/ggml-cpu/quants.c src/ggml-cpu/arch/x86/quants.c; do
  gcc -O3 -march=native -std=gnu11 -w -I"$g/include" -I"$g/src" -I"$g/src/ggml-cpu" \
      -c "$g/$f" -o "$out/$(echo "$f" | tr / _).o"
done
gcc -O3 -march=native bench/kquant_ggml_anchor.c "$out"/*.o -o "$out/anchor" -lm
"$out/anchor"
