#!/usr/bin/env python3
"""make_minilm_variants.py — derives model directories from the cached
all-MiniLM-L6-v2, with numpy only, for the pooling and weight-dtype tests
(test/models/test_minilm_variants.c, fixture from
scripts/make_minilm_variant_reference.py).

  .venv/bin/python scripts/make_minilm_variants.py [--src DIR] --out DIR [--force]

writes DIR/<variant>/ for each of

  minilm-mean-nonorm  modules.json without the Normalize module: the mean of
                      the token embeddings over each text's own tokens, not
                      normalised (the final Normalize hid a mean pooling that
                      divided by the batch's longest length).
  minilm-cls-nonorm   1_Pooling/config.json with pooling_mode_cls_token true
                      and pooling_mode_mean_tokens false, no Normalize: the
                      [CLS] (first) token's hidden state.
  minilm-bf16         model.safetensors with every F32 tensor converted to
                      BF16 (round to nearest even), header dtype "BF16";
                      pipeline unchanged (mean pooling + Normalize).
  minilm-f16          the same with IEEE F16.

The other files are copied; the nonorm variants symlink the source's
model.safetensors (copied where symlinks are not possible). Each finished
directory holds a stamp (.variant_stamp: this script's format version and
the source weights' size and mtime); a directory with a current stamp is
left alone, so the script is cheap to call before every test run. Each
directory is written under a temporary name and renamed into place, so a
reader never sees half a variant.

--src defaults to $IA_MODEL_DIR/all-MiniLM-L6-v2 (IA_MODEL_DIR defaults to
~/.cache/ipfs_accelerate/models).
"""
import argparse
import json
import os
import shutil
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_np import (f32_to_bf16_bits, f32_to_f16_bits, read_file,  # noqa: E402
                            write_file)

FORMAT_VERSION = 1  # bump when a variant's content changes
VARIANTS = ("minilm-mean-nonorm", "minilm-cls-nonorm", "minilm-bf16", "minilm-f16")
WEIGHTS = "model.safetensors"


def default_src():
    base = os.environ.get("IA_MODEL_DIR") or os.path.expanduser("~/.cache/ipfs_accelerate/models")
    return os.path.join(base, "all-MiniLM-L6-v2")


def stamp_of(src):
    st = os.stat(os.path.join(src, WEIGHTS))
    return json.dumps({"format": FORMAT_VERSION, "src": os.path.abspath(src),
                       "weights_size": st.st_size, "weights_mtime_ns": st.st_mtime_ns},
                      sort_keys=True)


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(obj, indent=2) + "\n")


def copy_tree_except_weights(src, dst):
    for name in os.listdir(src):
        if name.startswith(".") or name == WEIGHTS:
            continue
        s, d = os.path.join(src, name), os.path.join(dst, name)
        if os.path.isdir(s):
            shutil.copytree(s, d)
        else:
            shutil.copyfile(s, d)


def link_weights(src, dst):
    s = os.path.abspath(os.path.join(src, WEIGHTS))
    d = os.path.join(dst, WEIGHTS)
    try:
        os.symlink(s, d)
    except OSError:
        shutil.copyfile(s, d)


def drop_normalize(dst):
    p = os.path.join(dst, "modules.json")
    mods = json.load(open(p, encoding="utf-8"))
    kept = [m for m in mods if "Normalize" not in m.get("type", "")]
    if len(kept) != len(mods) - 1:
        raise SystemExit(f"make_minilm_variants: {p}: expected one Normalize module")
    write_json(p, kept)


def pooling_dir(dst):
    mods = json.load(open(os.path.join(dst, "modules.json"), encoding="utf-8"))
    for m in mods:
        if "Pooling" in m.get("type", ""):
            return os.path.join(dst, m["path"])
    raise SystemExit("make_minilm_variants: no Pooling module in modules.json")


def set_cls_pooling(dst):
    p = os.path.join(pooling_dir(dst), "config.json")
    cfg = json.load(open(p, encoding="utf-8"))
    for k in list(cfg):
        if k.startswith("pooling_mode_"):
            cfg[k] = False
    cfg["pooling_mode_cls_token"] = True
    write_json(p, cfg)


def convert_weights(src, dst, dtype_name, tensors):
    conv = {"BF16": f32_to_bf16_bits, "F16": f32_to_f16_bits}[dtype_name]
    out = {}
    for name, (dt, arr) in tensors.items():
        out[name] = (dtype_name, conv(arr)) if dt == "F32" else (dt, arr)
    write_file(os.path.join(dst, WEIGHTS), out, metadata={"format": "pt"})


def build(src, out, name, tensors_cache):
    tmp = tempfile.mkdtemp(prefix=f".{name}.", dir=out)
    try:
        copy_tree_except_weights(src, tmp)
        if name == "minilm-mean-nonorm":
            drop_normalize(tmp)
            link_weights(src, tmp)
        elif name == "minilm-cls-nonorm":
            drop_normalize(tmp)
            set_cls_pooling(tmp)
            link_weights(src, tmp)
        else:
            if "t" not in tensors_cache:
                tensors_cache["t"], _ = read_file(os.path.join(src, WEIGHTS))
            convert_weights(src, tmp, "BF16" if name == "minilm-bf16" else "F16",
                            tensors_cache["t"])
        os.chmod(tmp, 0o755)  # mkdtemp makes it 0700
        with open(os.path.join(tmp, ".variant_stamp"), "w") as f:
            f.write(stamp_of(src) + "\n")
        final = os.path.join(out, name)
        if os.path.lexists(final):
            shutil.rmtree(final)
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def is_current(src, d):
    try:
        with open(os.path.join(d, ".variant_stamp")) as f:
            return f.read().strip() == stamp_of(src)
    except OSError:
        return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--src", default=default_src(), help="all-MiniLM-L6-v2 directory")
    ap.add_argument("--out", required=True, help="directory for the variant dirs")
    ap.add_argument("--force", action="store_true", help="rebuild even if current")
    args = ap.parse_args()
    if not os.path.isfile(os.path.join(args.src, WEIGHTS)):
        print(f"make_minilm_variants: {args.src}/{WEIGHTS} not found (run scripts/setup.sh)",
              file=sys.stderr)
        return 1
    os.makedirs(args.out, exist_ok=True)
    cache = {}
    for name in VARIANTS:
        d = os.path.join(args.out, name)
        if not args.force and is_current(args.src, d):
            print(f"make_minilm_variants: {name} is current")
            continue
        build(args.src, args.out, name, cache)
        print(f"make_minilm_variants: wrote {d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
