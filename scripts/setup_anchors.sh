#!/usr/bin/env bash
# setup_anchors.sh — installs, idempotently, into the project's .venv what the
# reference script (scripts/make_reference.py) and the anchor benchmarks
# (bench/embed_vs_anchors) need:
#
#   torch, sentence-transformers, transformers   (PyTorch reference/anchor)
#   onnxruntime, onnx                            (ONNX Runtime anchor)
#
# Only PyPI is reachable (no download.pytorch.org), so torch is PyPI's default
# Linux wheel, which pulls the nvidia-* CUDA wheels as dependencies (~3-4 GB on
# disk); they are unused on CPU but torch's import needs them present.
# Versions are pinned to those test/fixtures/minilm_reference.json was made
# with (override with e.g. TORCH_SPEC=torch to take the newest).
# Run scripts/setup.sh first (it creates .venv and fetches the model).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
  echo "setup_anchors: .venv missing; running scripts/setup.sh first"
  scripts/setup.sh
fi

pip_has() { .venv/bin/python -c "import importlib.util,sys; sys.exit(0 if importlib.util.find_spec('$1') else 1)"; }

want=()
pip_has torch || want+=("${TORCH_SPEC:-torch==2.15.0}")
pip_has sentence_transformers || want+=("${ST_SPEC:-sentence-transformers==6.2.0}")
pip_has transformers || want+=("${TRANSFORMERS_SPEC:-transformers==5.24.0}")
pip_has onnxruntime || want+=("${ORT_SPEC:-onnxruntime==1.32.0}")
pip_has onnx || want+=("${ONNX_SPEC:-onnx==1.23.2}")

if [ ${#want[@]} -gt 0 ]; then
  echo "setup_anchors: pip install ${want[*]}"
  start=$(date +%s)
  .venv/bin/pip install -q "${want[@]}"
  echo "setup_anchors: installed in $(( $(date +%s) - start )) s"
else
  echo "setup_anchors: nothing to install"
fi

.venv/bin/python - <<'PY'
import importlib
for mod in ("torch", "sentence_transformers", "transformers", "tokenizers",
            "onnxruntime", "onnx", "numpy"):
    m = importlib.import_module(mod)
    print(f"setup_anchors: {mod} {getattr(m, '__version__', '?')}")
PY
