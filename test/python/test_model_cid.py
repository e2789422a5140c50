"""Models by CID from the Python SDK: the package passes model names to the
core (ia_model_resolve), so a CID opens the model the local block store
holds — materialised once under $IA_MODEL_DIR/by-cid/, every block
verified — and embeds exactly as the model's own directory does."""
import subprocess
from pathlib import Path

import numpy as np
import pytest

import ipfs_accelerate_py as ia
from conftest import MODEL

TEXTS = ["A man is playing a guitar.", "The new movie is awesome.", "Café naïve — 東京"]
CID_V0 = "QmbMQipS4UP2ZZJFwH9LbvhTHGr8QxCvfxsbKkDTRjohmu"  # kubo's `ipfs add -r` of the MiniLM directory
CID_V1 = "bafybeigblgy6hobnsskahh5rxjk53ybiafnxjtny7a4c64557kj6btl6dq"


@pytest.fixture(scope="module")
def minilm_dir():
    return ia.resolve_model(MODEL)  # the model cache's directory, before the env changes below


@pytest.fixture(scope="module")
def store(tmp_path_factory, cli, minilm_dir):
    """A block store holding MiniLM, put there by `ipfs-accelerate add`."""
    blocks = tmp_path_factory.mktemp("blocks")
    root = subprocess.run([str(cli), "add", "-Q", minilm_dir, "--block-dir", str(blocks)],
                          check=True, capture_output=True, text=True, timeout=120).stdout.strip()
    assert root == CID_V0
    return blocks


@pytest.fixture
def cid_env(monkeypatch, tmp_path, store):
    monkeypatch.setenv("IA_BLOCK_DIR", str(store))
    monkeypatch.setenv("IA_MODEL_DIR", str(tmp_path / "models"))
    return tmp_path / "models"


def test_model_by_cid_embeds_as_its_directory(cid_env, minilm_dir):
    profile = ia.HardwareProfile(backend="cpu")
    with ia.Model(minilm_dir, profile) as ref, ia.Model(CID_V0, profile) as by_cid:
        np.testing.assert_array_equal(by_cid.embed(TEXTS), ref.embed(TEXTS))
        assert by_cid.name == CID_V1  # the materialised directory is named by the CIDv1
    assert (cid_env / "by-cid" / CID_V1 / "model.safetensors").is_file()


def test_every_spelling_resolves_to_one_copy(cid_env):
    paths = {ia.resolve_model(ref) for ref in (CID_V0, CID_V1, f"/ipfs/{CID_V1}", f"ipfs://{CID_V0}")}
    assert paths == {str(cid_env / "by-cid" / CID_V1)}
    assert sorted(p.name for p in (cid_env / "by-cid").iterdir()) == [CID_V1]


def test_model_manager_loads_by_cid(cid_env, minilm_dir):
    with ia.ModelManager(ia.HardwareProfile(backend="cpu")) as mm:
        mm.load_model(CID_V1)
        got = mm.get_embeddings(CID_V1, TEXTS)
    with ia.Model(minilm_dir, ia.HardwareProfile(backend="cpu")) as ref:
        np.testing.assert_array_equal(np.asarray(got), ref.embed(TEXTS))


def test_missing_blocks_name_the_cid_and_how_to_get_them(cid_env):
    missing = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"  # "hello world", not in the store
    with pytest.raises(ia.NotFoundError) as e:
        ia.Model(missing, ia.HardwareProfile(backend="cpu"))
    assert missing in str(e.value) and "car import" in str(e.value)
    assert not (cid_env / "by-cid").exists() or not any((cid_env / "by-cid").iterdir())
