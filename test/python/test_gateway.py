"""test_gateway.py — one instance fetches a model from another over
loopback: `serve --gateway` answers GET /ipfs/{cid}?format=raw|car from its
block store as a trustless gateway, `fetch CID --gateway URL...` walks the
DAG into an empty store with every block hashed. Also: a gateway that lies
(bytes that do not hash to the CID) is detected and skipped for the next,
an interrupted fetch resumes without asking again for what it kept, and
the routes refuse what a trustless gateway does not answer.

The model is all-MiniLM-L6-v2's directory (91.6 MB, ~360 blocks), added
to a block store with `add` (kubo's default profile: CIDv0)."""
from __future__ import annotations

import hashlib
import http.server
import json
import os
import subprocess
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

import ipfs_accelerate_py as ia
from conftest import MODEL
from serve_process import ServeProcess

FILES = {}  # the model's files by name -> CID, as add printed them

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def cidv0_digest(cid: str) -> bytes:
    """The sha2-256 digest a CIDv0 (base58btc multihash) names."""
    n = 0
    for ch in cid:
        n = n * 58 + B58.index(ch)
    raw = n.to_bytes(34, "big")
    assert raw[:2] == b"\x12\x20"
    return raw[2:]


def run(cli, *args, env=None, check=True):
    return subprocess.run([str(cli), *args], capture_output=True, text=True, env=env, check=check, timeout=300)


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A block store holding the model, and its root CID."""
    cli = next(p for p in (Path(ia.library_path).parent / "ipfs-accelerate",
                           Path(__file__).resolve().parents[2] / "build" / "ipfs-accelerate") if p.is_file())
    store = tmp_path_factory.mktemp("store-a")
    env = dict(os.environ, IA_BLOCK_DIR=str(store))
    out = run(cli, "add", ia.resolve_model(MODEL), env=env)
    lines = [ln.split(" ", 2) for ln in out.stdout.splitlines()]
    cid = lines[-1][1]
    assert cid.startswith("Qm")
    FILES.update({Path(name).name: c for _, c, name in lines[:-1]})
    return cli, store, cid


@pytest.fixture(scope="module")
def gateway(source):
    cli, store, cid = source
    srv = ServeProcess(cli, [], "--gateway", "--block-dir", str(store), "--quiet")
    yield srv
    assert srv.stop() == 0
    srv.close()


def get(url, accept=None, method="GET"):
    req = urllib.request.Request(url, method=method, headers={"Accept": accept} if accept else {})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read(), r.headers  # case-insensitive
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers


def fetch(cli, cid, store, *gateways, check=False):
    args = ["fetch", cid, "--block-dir", str(store), "--json"]
    for g in gateways:
        args += ["--gateway", g] if g.startswith("http") else [g]
    return run(cli, *args, check=check)


def test_raw_block_hashes_to_its_cid(source, gateway):
    _, _, cid = source
    status, body, headers = get(f"{gateway.base}/ipfs/{cid}?format=raw")
    assert status == 200 and headers["Content-Type"] == "application/vnd.ipld.raw"
    assert hashlib.sha256(body).digest() == cidv0_digest(cid)
    assert headers["Etag"] == f'"{cid}.raw"' and "immutable" in headers["Cache-Control"]
    # the Accept header alone asks for the same
    assert get(f"{gateway.base}/ipfs/{cid}", accept="application/vnd.ipld.raw")[1] == body
    status, body, _ = get(f"{gateway.base}/ipfs/{cid}?format=raw", method="HEAD")
    assert status == 200 and body == b""


def test_car_imports_into_an_empty_store(source, gateway, tmp_path):
    cli, _, cid = source
    status, car, headers = get(f"{gateway.base}/ipfs/{cid}?format=car")
    assert status == 200 and headers["Content-Type"].startswith("application/vnd.ipld.car; version=1")
    (tmp_path / "m.car").write_bytes(car)
    env = dict(os.environ, IA_BLOCK_DIR=str(tmp_path / "c"))
    out = run(cli, "car", "import", str(tmp_path / "m.car"), env=env, check=False)
    assert out.returncode == 0, out.stderr
    assert cid in out.stdout + out.stderr
    # dag-scope=block: the root block alone, behind the same header
    status, one, _ = get(f"{gateway.base}/ipfs/{cid}?format=car&dag-scope=block")
    assert status == 200 and len(one) < 64 << 10 < len(car)


def car_sections(car):
    """[(cid bytes, block)] of a CAR v1."""
    def uvarint(i):
        v = sh = 0
        while True:
            x = car[i]
            i += 1
            v |= (x & 0x7F) << sh
            sh += 7
            if x < 0x80:
                return v, i
    n, i = uvarint(0)
    i += n
    out = []
    while i < len(car):
        n, j = uvarint(i)
        cl = 34 if car[j] == 0x12 else None
        if cl is None:  # CIDv1: version, codec, hash code, digest length, digest
            k = j
            for _ in range(3):
                _, k = uvarint(k)
            ln, k = uvarint(k)
            cl = k + ln - j
        out.append((car[j:j + cl], car[j + cl:j + n]))
        i = j + n
    return out


def test_car_scopes(source, gateway):
    """dag-scope=entity: a directory is its node; a file is all its blocks,
    or with entity-bytes only the path down to the range's leaves."""
    _, _, cid = source
    base = gateway.base
    whole = car_sections(get(f"{base}/ipfs/{cid}?format=car")[1])
    directory = car_sections(get(f"{base}/ipfs/{cid}?format=car&dag-scope=entity")[1])
    assert len(directory) == 1 and directory[0] == whole[0]
    weights = FILES["model.safetensors"]
    data = (Path(ia.resolve_model(MODEL)) / "model.safetensors").read_bytes()
    file_all = car_sections(get(f"{base}/ipfs/{weights}?format=car&dag-scope=entity")[1])
    assert len(file_all) > 340 and all(sec in whole for sec in file_all)
    assert car_sections(get(f"{base}/ipfs/{weights}?format=car")[1]) == file_all
    for lo, hi in ((0, 0), (262144, 262144 + 99), (len(data) - 10, len(data) - 1)):
        part = car_sections(get(f"{base}/ipfs/{weights}?format=car&dag-scope=entity&entity-bytes={lo}:{hi}")[1])
        # the root, one node per level below it (a 350-leaf file has two), the leaf
        assert len(part) == 3, (lo, hi, len(part))
        assert data[lo:hi + 1] in part[-1][1]
    # a range across a leaf boundary takes both leaves; "from:*" everything from there
    two = car_sections(get(f"{base}/ipfs/{weights}?format=car&dag-scope=entity&entity-bytes=262100:262200")[1])
    assert len(two) == 4
    tail = car_sections(get(f"{base}/ipfs/{weights}?format=car&dag-scope=entity&entity-bytes=262144:*")[1])
    assert len(tail) == len(file_all) - 1


def test_fetch_from_another_instance(source, gateway, tmp_path):
    cli, store, cid = source
    out = fetch(cli, cid, tmp_path / "b", gateway.base)
    assert out.returncode == 0, out.stderr
    st = json.loads(out.stdout)
    n_blocks = sum(1 for _ in Path(store).rglob("*.data"))
    assert st["blocks_fetched"] == n_blocks and st["blocks_present"] == 0 and st["liars"] == 0
    assert st["bytes_fetched"] > 90_000_000
    # every block file is the same bytes as the source's
    for f in Path(store).rglob("*.data"):
        assert (tmp_path / "b" / f.relative_to(store)).read_bytes() == f.read_bytes()
    # again: nothing to ask
    again = json.loads(fetch(cli, cid, tmp_path / "b", gateway.base, check=True).stdout)
    assert again["blocks_fetched"] == 0 and again["blocks_present"] == n_blocks
    # a block damaged in place (same size, as a crash before the sync may
    # leave it) is found by hashing it again, and fetched anew
    victim = max((tmp_path / "b").rglob("*.data"), key=lambda f: f.stat().st_size)
    good = victim.read_bytes()
    victim.write_bytes(bytes([good[0] ^ 0xFF]) + good[1:])
    again = json.loads(fetch(cli, cid, tmp_path / "b", gateway.base, check=True).stdout)
    assert again["blocks_fetched"] == 1 and victim.read_bytes() == good


class _Proxy(http.server.ThreadingHTTPServer):
    daemon_threads = True


def proxy(upstream, mode, limit=0):
    """A gateway in front of `upstream` that lies (flips a byte of every
    block) or dies after `limit` good answers (then 503s)."""
    served = {"n": 0}
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            with lock:
                served["n"] += 1
                n = served["n"]
            if mode == "die" and n > limit:
                self.send_response(503)
                self.end_headers()
                return
            with urllib.request.urlopen(upstream + self.path, timeout=60) as r:
                body = r.read()
            car = "format=car" in self.path
            if mode == "lie":
                body = bytes([body[0] ^ 1]) + body[1:]
            elif mode == "car-lie" and car:  # a byte in the middle of the CAR: inside some block
                mid = len(body) // 2
                body = body[:mid] + bytes([body[mid] ^ 1]) + body[mid + 1:]
            elif mode == "car-cut" and car:  # the stream breaks half way
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[:len(body) // 2])
                self.wfile.flush()
                self.connection.close()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/vnd.ipld.raw")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    srv = _Proxy(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, f"http://127.0.0.1:{srv.server_address[1]}", served


def test_a_lying_gateway_is_detected_and_skipped(source, gateway, tmp_path):
    cli, store, cid = source
    liar, url, served = proxy(gateway.base, "lie")
    try:
        out = fetch(cli, cid, tmp_path / "d", url, gateway.base)
    finally:
        liar.shutdown()
    assert out.returncode == 0, out.stderr
    st = json.loads(out.stdout)
    assert st["liars"] == 1 and st["rejected_blocks"] >= 1
    assert st["blocks_fetched"] == sum(1 for _ in Path(store).rglob("*.data"))
    # only the liar's answers were refused; nothing it sent was kept
    for f in (tmp_path / "d").rglob("*.data"):
        assert f.read_bytes() == (store / f.relative_to(tmp_path / "d")).read_bytes()
    # with only the liar, the fetch fails naming it and the block
    out = fetch(cli, cid, tmp_path / "e", proxy(gateway.base, "lie")[1])
    assert out.returncode == 1 and "do not hash" in out.stderr and cid in out.stderr


def test_car_first_then_blocks(source, gateway, tmp_path):
    """--car: one CAR for the whole DAG, each block kept as it streams in;
    a CAR that lies part way drops its gateway, one that breaks half way
    is completed block by block."""
    cli, store, cid = source
    total = sum(1 for _ in Path(store).rglob("*.data"))
    out = fetch(cli, cid, tmp_path / "c1", gateway.base, "--car")
    st = json.loads(out.stdout)
    assert st["blocks_fetched"] == total and st["blocks_present"] == 0 and st["liars"] == 0
    liar, url, _ = proxy(gateway.base, "car-lie")
    try:
        out = fetch(cli, cid, tmp_path / "c2", url, gateway.base, "--car")
    finally:
        liar.shutdown()
    assert out.returncode == 0, out.stderr
    st = json.loads(out.stdout)
    assert st["liars"] == 1 and st["rejected_blocks"] == 1 and st["blocks_fetched"] == total
    for f in (tmp_path / "c2").rglob("*.data"):
        assert f.read_bytes() == (store / f.relative_to(tmp_path / "c2")).read_bytes()
    cut, url, served = proxy(gateway.base, "car-cut")
    try:
        out = fetch(cli, cid, tmp_path / "c3", url, "--car")
    finally:
        cut.shutdown()
    assert out.returncode == 0, out.stderr
    st = json.loads(out.stdout)
    assert st["liars"] == 0 and st["blocks_fetched"] == total
    assert 1 < served["n"] < total  # the CAR, then raw requests for the second half only


def test_an_interrupted_fetch_resumes(source, gateway, tmp_path):
    cli, store, cid = source
    flaky, url, served = proxy(gateway.base, "die", limit=40)
    try:
        out = fetch(cli, cid, tmp_path / "r", url)
    finally:
        flaky.shutdown()
    assert out.returncode == 1 and "fetch again to resume" in out.stderr
    kept = sum(1 for _ in (tmp_path / "r").rglob("*.data"))
    assert 0 < kept <= 40
    out = fetch(cli, cid, tmp_path / "r", gateway.base)
    assert out.returncode == 0, out.stderr
    st = json.loads(out.stdout)
    total = sum(1 for _ in Path(store).rglob("*.data"))
    assert st["blocks_present"] >= kept and st["blocks_fetched"] + kept == total


def test_the_fetched_model_opens_by_cid(source, gateway, tmp_path):
    cli, _, cid = source
    assert fetch(cli, cid, tmp_path / "m", gateway.base).returncode == 0
    env = dict(os.environ, IA_BLOCK_DIR=str(tmp_path / "m"), IA_MODEL_DIR=str(tmp_path / "models"))
    by_cid = run(cli, "embed", "--json", "--model", cid, "hello world", env=env, check=False)
    assert by_cid.returncode == 0, by_cid.stderr
    by_name = run(cli, "embed", "--json", "--model", ia.resolve_model(MODEL), "hello world")
    assert json.loads(by_cid.stdout)["embeddings"] == json.loads(by_name.stdout)["embeddings"]


def test_routes_refuse_what_a_trustless_gateway_does_not_answer(source, gateway):
    _, _, cid = source
    base = gateway.base
    assert get(f"{base}/ipfs/{cid}")[0] == 406                      # no format asked
    assert get(f"{base}/ipfs/{cid}?format=html")[0] == 400
    assert get(f"{base}/ipfs/{cid}/config.json?format=raw")[0] == 400  # no paths
    assert get(f"{base}/ipfs/{cid}?format=car&dag-scope=files")[0] == 400
    assert get(f"{base}/ipfs/{cid}?format=car&entity-bytes=0:10")[0] == 400       # without dag-scope=entity
    for bad in ("10:5", "-10:*", "x:1", "5"):
        assert get(f"{base}/ipfs/{cid}?format=car&dag-scope=entity&entity-bytes={bad}")[0] == 400, bad
    assert get(f"{base}/ipfs/notacid?format=raw")[0] == 400
    unknown = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"  # "hello world", not stored
    assert get(f"{base}/ipfs/{unknown}?format=raw")[0] == 404
    assert get(f"{base}/ipfs/{unknown}?format=car")[0] == 404
    req = urllib.request.Request(f"{base}/ipfs/{cid}?format=raw", data=b"x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=30)
    assert e.value.code == 405


def test_fetch_usage_errors(source, tmp_path):
    cli, _, cid = source
    assert run(cli, "fetch", cid, check=False).returncode == 2                      # no gateway
    out = run(cli, "fetch", "notacid", "--gateway", "http://127.0.0.1:9", "--block-dir", str(tmp_path), check=False)
    assert out.returncode == 1 and "notacid" in out.stderr
    out = run(cli, "fetch", cid, "--gateway", "ftp://x", "--block-dir", str(tmp_path), check=False)
    assert out.returncode == 1 and "http://" in out.stderr
    # a gateway that is not there: the block and the reason are named
    out = run(cli, "fetch", cid, "--gateway", "http://127.0.0.1:9", "--block-dir", str(tmp_path),
              "--timeout-ms", "2000", check=False)
    assert out.returncode == 1 and cid in out.stderr and "127.0.0.1:9" in out.stderr
