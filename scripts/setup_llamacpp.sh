#!/usr/bin/env bash
# setup_llamacpp.sh — builds, idempotently, llama.cpp's tools from the tree
# that PyPI's llama-cpp-python source package vendors (the only llama.cpp
# reachable here): llama-bench, llama-completion, llama-simple, llama-perplexity,
# llama-quantize, llama-tokenize, llama-embedding, llama-server. They are the
# anchors of bench/llm_vs_llamacpp and bench/serve_load (make bench), never
# needed by make test.
#
# Result: build-anchors/llama.cpp/bin/<tool>; the source tree (with its
# models/ggml-vocab-*.gguf fixtures) in build-anchors/llama.cpp-src.
# About 20 minutes on 2 cores. LLAMACPP_PY_VERSION overrides the version.
set -euo pipefail
cd "$(dirname "$0")/.."
version=${LLAMACPP_PY_VERSION:-0.3.36}
root=build-anchors
src=$root/llama.cpp-src
out=$root/llama.cpp
tools=${LLAMACPP_TOOLS:-"llama-bench llama-completion llama-simple llama-perplexity llama-quantize llama-tokenize llama-embedding llama-server"}

scripts/fetch_llamacpp_src.sh

missing=0
for t in $tools; do [ -x "$out/bin/$t" ] || missing=1; done
if [ $missing = 0 ]; then echo "setup_llamacpp: tools present in $out/bin"; exit 0; fi
echo "setup_llamacpp: building $tools (about 20 minutes on 2 cores)"
start=$(date +%s)
# Every x86 SIMD level ggml has, except AMX: ggml's AMX matmul crashes
# (SIGSEGV in ggml_backend_amx_mul_mat) on this machine's AMX-capable VM, so
# GGML_NATIVE (which turns AMX on when the CPU reports it) is off and the
# levels are named. On other CPUs set LLAMACPP_NATIVE=1 for a native build.
if [ "${LLAMACPP_NATIVE:-0}" = 1 ]; then
  simd="-DGGML_NATIVE=ON"
else
  simd="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
  if grep -q avx512f /proc/cpuinfo; then
    simd="$simd -DGGML_AVX512=ON"
    grep -q avx512_vnni /proc/cpuinfo && simd="$simd -DGGML_AVX512_VNNI=ON"
    grep -q avx512vbmi /proc/cpuinfo && simd="$simd -DGGML_AVX512_VBMI=ON"
    grep -q avx512_bf16 /proc/cpuinfo && simd="$simd -DGGML_AVX512_BF16=ON"
  fi
  grep -q avx_vnni /proc/cpuinfo && simd="$simd -DGGML_AVX_VNNI=ON"
fi
# shellcheck disable=SC2086
cmake -S "$src" -B "$out" -DCMAKE_BUILD_TYPE=Release $simd -DLLAMA_CURL=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_SERVER=ON -DBUILD_SHARED_LIBS=OFF \
  -DCMAKE_RUNTIME_OUTPUT_DIRECTORY="$PWD/$out/bin" >/dev/null
cmake --build "$out" -j"$(nproc)" --target $tools
echo "setup_llamacpp: built in $(( $(date +%s) - start )) s"
