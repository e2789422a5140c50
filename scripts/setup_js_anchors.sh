#!/usr/bin/env bash
# setup_js_anchors.sh — installs, idempotently, what bench/js_vs_transformersjs
# needs for its anchor, outside the ipfs_accelerate_js package:
#
#   build-anchors/js/node_modules/
#     @huggingface/transformers  (TJS_SPEC, default 4.3.2: the newest 4.3.x)
#     onnxruntime-web            (the version transformers.js pins; its dist/
#                                 holds the .wasm/.mjs files served locally)
#     playwright-core            (PW_SPEC; drives Debian's /usr/bin/chromium,
#                                 no browser download)
#   ~/.cache/ipfs_accelerate/onnx/transformersjs/all-MiniLM-L6-v2/
#     config + tokenizer files, onnx/model.onnx (fp32) and
#     onnx/model_quantized.onnx (q8, made as transformers.js's convert.py does)
#     via scripts/export_transformersjs_model.py
#
# Only the npm registry is reachable (no model hub, no CDN): onnxruntime-node
# comes along as a dependency of transformers.js; its install script (which
# would fetch CUDA libraries) is skipped (ONNXRUNTIME_NODE_INSTALL_CUDA=skip,
# and npm 11 does not run unapproved install scripts anyway). The anchor
# never loads it: bench/js/transformersjs.mjs hands transformers.js
# onnxruntime-web in Node too.
#
# Needs node >= 18 and npm; chromium (apt-get install chromium) for the
# browser mode. Run scripts/setup.sh and scripts/setup_anchors.sh first
# (model, .venv with torch/onnx/onnxruntime for the export).
set -euo pipefail
cd "$(dirname "$0")/.."

PREFIX=build-anchors/js
TJS_SPEC=${TJS_SPEC:-4.3.2}
PW_SPEC=${PW_SPEC:-1.65.2}

command -v node >/dev/null || { echo "setup_js_anchors: node not found" >&2; exit 1; }
command -v npm >/dev/null || { echo "setup_js_anchors: npm not found" >&2; exit 1; }

mkdir -p "$PREFIX"
[ -f "$PREFIX/package.json" ] || echo '{ "name": "ia-js-anchors", "private": true }' > "$PREFIX/package.json"

have_ver() {  # have_ver PKG VERSION
  node -e 'const p=require(process.argv[1]); process.exit(p.version===process.argv[2]?0:1)' \
    "$PWD/$PREFIX/node_modules/$1/package.json" "$2" 2>/dev/null
}

if have_ver @huggingface/transformers "$TJS_SPEC" && have_ver playwright-core "$PW_SPEC" \
   && [ -f "$PREFIX/node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm" ]; then
  echo "setup_js_anchors: npm packages up to date"
else
  echo "setup_js_anchors: npm install @huggingface/transformers@$TJS_SPEC playwright-core@$PW_SPEC into $PREFIX"
  start=$(date +%s)
  ( cd "$PREFIX" && ONNXRUNTIME_NODE_INSTALL_CUDA=skip npm install --no-audit --no-fund \
      --save-exact "@huggingface/transformers@$TJS_SPEC" "playwright-core@$PW_SPEC" )
  echo "setup_js_anchors: installed in $(( $(date +%s) - start )) s"
fi
for p in @huggingface/transformers onnxruntime-web onnxruntime-node playwright-core; do
  v=$(node -p "require('$PWD/$PREFIX/node_modules/$p/package.json').version" 2>/dev/null || echo missing)
  echo "setup_js_anchors: $p $v"
done

if [ -x /usr/bin/chromium ]; then
  echo "setup_js_anchors: $(/usr/bin/chromium --version 2>/dev/null | head -1)"
else
  echo "setup_js_anchors: WARNING: /usr/bin/chromium missing (apt-get install chromium): browser mode will not run"
fi

.venv/bin/python scripts/export_transformersjs_model.py 2>&1 | grep -v -e 'pre-processing before quantization' -e 'onnxruntime-inference-examples' -e '/cpu/ReadMe.md' || true
test -f "$HOME/.cache/ipfs_accelerate/onnx/transformersjs/all-MiniLM-L6-v2/onnx/model_quantized.onnx"
echo "setup_js_anchors: done"
