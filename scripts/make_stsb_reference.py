#!/usr/bin/env python3
"""make_stsb_reference.py — writes test/fixtures/stsb_reference.json, what the
C STS-B evaluation (src/eval/stsb.c) is checked against:

  spearman_cosine     sentence-transformers' EmbeddingSimilarityEvaluator
                      (cosine similarity, scipy.stats.spearmanr) on the full
                      English STS-B dev split with all-MiniLM-L6-v2, fp32;
                      spearman_cosine_x100 is the same times 100, the figure
                      papers and model cards quote;
  cosines_first       cos(e1, e2) of the first pairs, in float64 from the
                      evaluator's float32 embeddings;
  first_pair          the first row as Python's csv module reads it;
  spearman_vectors    small arrays with ties and scipy.stats.spearmanr's
                      value for them (null = NaN: a constant side), so the C
                      Spearman is tested against scipy, not against itself.

The data file is read from ../shared/data/ beside the repository (never
copied into it) with Python's csv module, an independent RFC 4180 reader.

Usage (after scripts/setup.sh and scripts/setup_anchors.sh):
  .venv/bin/python scripts/make_stsb_reference.py [--model-dir DIR] [--data F] [--out F]
"""
import argparse
import csv
import json
import math
import os
import sys
import warnings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_MODEL_DIR = os.path.join(
    os.environ.get("IA_MODEL_DIR",
                   os.path.expanduser("~/.cache/ipfs_accelerate/models")),
    "all-MiniLM-L6-v2")
DEFAULT_DATA = os.path.join(ROOT, "..", "shared", "data", "stsb-en-dev.csv")
DEFAULT_OUT = os.path.join(ROOT, "test", "fixtures", "stsb_reference.json")
N_PAIRS = 1500
N_COSINES = 50


def spearman_vectors():
    """Cases for the C Spearman: ties on one side, on both, all but one
    tied, negative and perfect correlation, n = 2, a larger rounded random
    set (many ties, like the gold scores), and constant sides (NaN)."""
    rng = np.random.default_rng(20240601)
    big_a = np.round(rng.uniform(0, 5, 300), 1)
    big_b = np.round(big_a + rng.normal(0, 1.0, 300), 2)
    cases = [
        ("ties_in_a", [1, 2, 2, 3, 4, 4, 4, 5], [0.1, 0.4, 0.3, 0.2, 0.8, 0.5, 0.9, 0.7]),
        ("ties_in_both", [1, 1, 2, 2, 3, 3], [2, 1, 1, 3, 3, 2]),
        ("all_but_one_tied", [5, 5, 5, 5, 1], [0.3, 0.1, 0.4, 0.2, 0.5]),
        ("negative", [0.5, 1.5, 2.5, 3.5, 4.5, 4.5], [9.0, 7.0, 7.0, 3.0, 1.0, -2.0]),
        ("perfect", [3, 1, 2], [30, 10, 20]),
        ("n2", [1.0, 2.0], [2.0, 1.0]),
        ("random_rounded_300", big_a.tolist(), big_b.tolist()),
        ("constant_a", [2, 2, 2, 2], [1, 2, 3, 4]),
        ("constant_b", [1, 2, 3], [0.5, 0.5, 0.5]),
    ]
    from scipy.stats import spearmanr
    out = []
    for name, a, b in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # constant input warns, returns nan
            rho = float(spearmanr(a, b).statistic)
        out.append({"name": name, "a": [float(x) for x in a],
                    "b": [float(x) for x in b],
                    "rho": None if math.isnan(rho) else rho})
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model-dir", default=DEFAULT_MODEL_DIR)
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()

    import scipy
    import torch
    import transformers
    import sentence_transformers
    from scipy.stats import spearmanr
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.util import pairwise_cos_sim
    try:  # sentence-transformers >= 6 moved the evaluators
        from sentence_transformers.sentence_transformer.evaluation import \
            EmbeddingSimilarityEvaluator
    except ImportError:
        from sentence_transformers.evaluation import EmbeddingSimilarityEvaluator

    with open(args.data, newline="", encoding="utf-8") as f:
        rows = [r for r in csv.reader(f) if r]  # blank lines carry no pair
    assert len(rows) == N_PAIRS, len(rows)
    assert all(len(r) == 3 for r in rows)
    s1 = [r[0] for r in rows]
    s2 = [r[1] for r in rows]
    gold = [float(r[2]) for r in rows]

    torch.manual_seed(0)
    model = SentenceTransformer(args.model_dir, device="cpu")
    model.eval()
    ev = EmbeddingSimilarityEvaluator(s1, s2, gold, main_similarity="cosine",
                                      name="sts-dev", write_csv=False)
    with torch.inference_mode():
        metrics = ev(model)
    rho = float(metrics["sts-dev_spearman_cosine"])

    # The same computation by hand, with the embeddings kept for the cosines.
    with torch.inference_mode():
        e1 = model.encode(s1, batch_size=ev.batch_size, convert_to_numpy=True)
        e2 = model.encode(s2, batch_size=ev.batch_size, convert_to_numpy=True)
    cos32 = pairwise_cos_sim(e1, e2).numpy()
    rho_hand = float(spearmanr(gold, cos32).statistic)
    assert abs(rho - rho_hand) < 1e-9, (rho, rho_hand)
    a = e1.astype(np.float64)
    b = e2.astype(np.float64)
    cos64 = np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) *
                                     np.linalg.norm(b, axis=1))
    assert np.max(np.abs(cos64 - cos32)) < 1e-6

    out = {
        "model": "all-MiniLM-L6-v2",
        "generator": "scripts/make_stsb_reference.py",
        "versions": {
            "torch": torch.__version__,
            "sentence_transformers": sentence_transformers.__version__,
            "transformers": transformers.__version__,
            "scipy": scipy.__version__,
            "numpy": np.__version__,
        },
        "data": "stsb-en-dev.csv (../shared/data/, PhilipMay/stsb-multi-mt)",
        "n_pairs": len(rows),
        "first_pair": {"sentence1": s1[0], "sentence2": s2[0],
                       "score": gold[0]},
        "evaluator": "EmbeddingSimilarityEvaluator(main_similarity='cosine', "
                     f"batch_size={ev.batch_size}), fp32 on CPU",
        "spearman_cosine": rho,
        "spearman_cosine_x100": rho * 100,
        "cosines_first": [float(x) for x in cos64[:N_COSINES]],
        "spearman_vectors": spearman_vectors(),
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"make_stsb_reference: wrote {args.out}: {len(rows)} pairs, "
          f"Spearman x100 = {rho * 100:.4f}")
    print("make_stsb_reference: versions " + json.dumps(out["versions"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
