"""native_logits.py MODEL ID... — the native core's next-token logits after
each prefix of the given token ids, fed one at a time (teacher forcing):
one JSON line per position, {"top": [[id, logit], ...5], "margin": top1 -
top2}. The JavaScript test compares the WebAssembly core's logits with
these (ipfs_accelerate_js/test/core_node.test.mjs)."""
import json
import sys

import numpy as np

from ipfs_accelerate_py import Model

model = Model(sys.argv[1])
session = model.session(threads=1)
for tok in map(int, sys.argv[2:]):
    logits = session.decode(tok)
    top = np.argsort(-logits, kind="stable")[:5]
    print(json.dumps({"top": [[int(i), float(logits[i])] for i in top],
                      "margin": float(logits[top[0]] - logits[top[1]])}))
