"""The IAError hierarchy against the header's status list, and real
failures from the core carrying its message."""
import re
import threading

import pytest

import ipfs_accelerate_py as ia
from ipfs_accelerate_py import _lib, errors
from conftest import MODEL, REPO

HEADER = REPO / "include" / "ipfs_accelerate.h"


def header_statuses():
    text = HEADER.read_text()
    block = text[text.index("#define IA_STATUS_MAP(X)"):text.index("typedef enum ia_status")]
    return [(name, int(value), desc)
            for name, value, desc in re.findall(r'X\((IA_\w+),\s*(\d+),\s*"([^"]*)"\)', block)]


@pytest.mark.skipif(not HEADER.is_file(), reason="not a source checkout")
def test_every_status_code_has_its_exception():
    codes = header_statuses()
    assert ("IA_OK", 0, "ok") in codes and len(codes) >= 9
    for name, value, desc in codes:
        assert _lib.status_name(value) == desc  # the library agrees with the header
        if value == 0:
            continue
        err = errors.error_for_status(value, "msg")
        assert type(err) is not ia.IAError, f"{name} has no subclass"
        assert err.status == value and err.status_name == name and str(err) == "msg"


def test_unknown_status_is_plain_iaerror():
    err = errors.error_for_status(999, "future code")
    assert type(err) is ia.IAError and err.status == 999


def test_standard_bases():
    assert issubclass(ia.InvalidArgumentError, ValueError)
    assert issubclass(ia.NotFoundError, LookupError)
    assert issubclass(ia.HardwareUnavailableError, ia.IAError)
    assert ia.HardwareUnavailableError.status_name == "IA_ERR_UNAVAILABLE"


def test_core_failure_carries_core_message():
    with pytest.raises(ia.NotFoundError) as e:
        ia.Model("no-such-model-for-the-python-tests")
    assert e.value.status == 5
    assert "no-such-model-for-the-python-tests" in str(e.value)
    assert "model cache" in str(e.value)  # the core's sentence, not ours


def test_error_message_is_per_thread():
    # ia_last_error() is thread-local; each thread's exception names its own failure.
    got = {}

    def fail(i):
        try:
            ia.Model(f"missing-model-{i}")
        except ia.NotFoundError as e:
            got[i] = str(e)

    threads = [threading.Thread(target=fail, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == [0, 1, 2, 3]
    for i, msg in got.items():
        assert f"missing-model-{i}" in msg


def test_version_is_the_library_version():
    assert re.fullmatch(r"\d+\.\d+\.\d+", ia.__version__)
    assert ia.__version__ == _lib.lib.ia_version().decode()
