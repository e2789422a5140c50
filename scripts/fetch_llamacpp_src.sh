#!/usr/bin/env bash
# fetch_llamacpp_src.sh — places, idempotently, the llama.cpp source tree that
# PyPI's llama-cpp-python source package vendors into
# build-anchors/llama.cpp-src. The tests read its fixtures (models/
# ggml-vocab-*.gguf with their .inp/.out token ids, models/templates/*.jinja);
# scripts/setup_llamacpp.sh builds the anchor tools from it.
# LLAMACPP_PY_VERSION overrides the version (0.3.36).
set -euo pipefail
cd "$(dirname "$0")/.."
version=${LLAMACPP_PY_VERSION:-0.3.36}
src=build-anchors/llama.cpp-src
[ -f "$src/CMakeLists.txt" ] && [ -f "$src/.complete" ] && exit 0
[ -x .venv/bin/python ] || scripts/setup.sh
mkdir -p build-anchors
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetch_llamacpp_src: downloading llama-cpp-python==$version (source package)"
.venv/bin/pip download -q --no-deps --no-binary :all: "llama-cpp-python==$version" -d "$tmp"
tar xzf "$tmp"/llama_cpp_python-"$version".tar.gz -C "$tmp"
rm -rf "$src"
mv "$tmp/llama_cpp_python-$version/vendor/llama.cpp" "$src"
touch "$src/.complete"   # last, so an interrupted copy is redone
