"""Model.count_tokens (ia_model_count_tokens) against HF `tokenizers`
reading the same tokenizer.json: untruncated counts, special tokens in."""
import os

import pytest

import ipfs_accelerate_py as ia
from conftest import MODEL


def test_counts_equal_hf_tokenizers(model):
    tokenizers = pytest.importorskip("tokenizers")
    hf = tokenizers.Tokenizer.from_file(os.path.join(ia.resolve_model(MODEL), "tokenizer.json"))
    hf.no_padding()
    hf.no_truncation()
    for text in ["Hello world", "", "héllo wörld 東京 🙂", "The quick brown fox. " * 200]:
        assert model.count_tokens(text) == len(hf.encode(text).ids), text
    assert model.count_tokens("word " * 1000) > model.max_tokens  # counted before truncation


def test_refuses_non_text(model):
    with pytest.raises(TypeError):
        model.count_tokens(b"bytes")
    with pytest.raises(ValueError):
        model.count_tokens("a\0b")
