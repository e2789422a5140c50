"""GFLOP/s of numpy (OpenBLAS) and onnxruntime (MLAS) on the shapes of bench/gemm_bench.c.
usage: .venv/bin/python bench/gemm_anchors.py THREADS   (run one process per thread count)"""
import os, sys, time
thr = int(sys.argv[1])
os.environ["OPENBLAS_NUM_THREADS"] = str(thr)
import numpy as np
import onnx, onnxruntime as ort
from onnx import helper, TensorProto, numpy_helper

shapes = [(1,10,384,384),(1,32,384,384),(1,128,384,384),(1,4096,384,384),(1,10,1152,384),(1,32,1152,384),(1,128,1152,384),(1,4096,1152,384),
          (1,10,1536,384),(1,32,1536,384),(1,128,1536,384),(1,4096,1536,384),(1,10,384,1536),(1,32,384,1536),(1,128,384,1536),(1,4096,384,1536),
          (1,128,128,32),(0,128,32,128)]
RUNS = 7
def bench(fn, flops):
    reps = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(reps): fn()
        if time.perf_counter() - t0 >= 0.02: break
        reps *= 2
    rates = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        for _ in range(reps): fn()
        rates.append(flops * reps / (time.perf_counter() - t0) / 1e9)
    return sorted(rates)[RUNS // 2]

rng = np.random.default_rng(0)
for tb, m, n, k in shapes:
    A = rng.standard_normal((m, k), dtype=np.float32)
    W = rng.standard_normal((n, k) if tb else (k, n), dtype=np.float32)
    bias = rng.standard_normal(n, dtype=np.float32)
    flops = 2.0 * m * n * k
    Wt = W.T if tb else W
    C = np.empty((m, n), np.float32)
    g_np = bench(lambda: np.matmul(A, Wt, out=C), flops)
    # ORT: Gemm with the weight as an initializer (prepacked by MLAS at session creation)
    node = helper.make_node("Gemm", ["A", "W", "bias"], ["C"], transB=tb)
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("A", TensorProto.FLOAT, [m, k])],
                              [helper.make_tensor_value_info("C", TensorProto.FLOAT, [m, n])],
                              [numpy_helper.from_array(W, "W"), numpy_helper.from_array(bias, "bias")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    so = ort.SessionOptions()
    so.intra_op_num_threads = thr
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    feed = {"A": A}
    g_ort = bench(lambda: sess.run(None, feed), flops)
    print(f"{'BT' if tb else 'BN'} {m:5d} {n:5d} {k:5d} thr{thr}  numpy {g_np:7.1f}  ort {g_ort:7.1f}", flush=True)
