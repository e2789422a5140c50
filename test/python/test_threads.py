"""The GIL is released during C calls, and concurrent use is correct:
separate models in parallel, one model shared (serialised)."""
import ctypes
import threading

import numpy as np

import ipfs_accelerate_py as ia
from ipfs_accelerate_py import _lib
from conftest import MODEL


def test_library_is_loaded_so_that_calls_release_the_gil():
    # ctypes.CDLL releases the GIL around each call; PyDLL (or the
    # PYTHONAPI flag) would hold it.
    assert isinstance(_lib.lib, ctypes.CDLL) and not isinstance(_lib.lib, ctypes.PyDLL)
    assert not _lib.lib._func_flags_ & ctypes._FUNCFLAG_PYTHONAPI
    assert not _lib.lib.ia_model_embed._flags_ & ctypes._FUNCFLAG_PYTHONAPI


def run_threads(target, n):
    errors = []

    def wrapped(i):
        try:
            target(i)
        except BaseException as e:  # surfaced in the main thread below
            errors.append(e)

    threads = [threading.Thread(target=wrapped, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread did not finish"
    if errors:
        raise errors[0]


def test_two_models_embed_from_two_threads_correctly(model):
    """Correctness with two models in two threads at once (the GIL release
    itself is checked by the library-flag test above)."""
    texts = [[f"thread {i} sentence {j}: {'alpha beta ' * (j % 7)}" for j in range(48)] for i in range(2)]
    expected = [model.embed(t) for t in texts]
    results = [None, None]
    start = threading.Barrier(2)

    def work(i):
        with ia.Model(MODEL, ia.HardwareProfile(backend="cpu", threads=1)) as m:
            start.wait()
            for _ in range(3):
                results[i] = m.embed(texts[i], batch_size=8)

    run_threads(work, 2)
    for got, want in zip(results, expected):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)


def test_one_model_shared_by_threads_is_serialised(model):
    texts = [f"shared model text {i}" for i in range(4)]
    expected = model.embed(texts)
    results = {}

    def work(i):
        for _ in range(5):
            results[i] = model.embed(texts[i])

    run_threads(work, 4)
    for i in range(4):
        np.testing.assert_allclose(results[i], expected[i], rtol=0, atol=1e-6)
