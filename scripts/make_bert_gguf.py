#!/usr/bin/env python3
"""make_bert_gguf.py — writes a BERT GGUF file from a Hugging Face BERT
directory (config.json, tokenizer, model.safetensors; e.g.
all-MiniLM-L6-v2) without torch, the same file llama.cpp's
convert_hf_to_gguf.py writes for it.

  .venv/bin/python scripts/make_bert_gguf.py SRC_DIR --outfile X.gguf [--outtype f32|f16|q8_0]

It mirrors convert_hf_to_gguf.py's BertModel (conversion/bert.py and
conversion/base.py of llama.cpp's tree) step by step, with the same gguf-py
calls, so that the metadata keys and values, the tensor names, types and
bytes are the converter's:

  tensors   in the safetensors file's order; "bert." prefix, .gamma/.beta
            renamed, embeddings.position_ids, pooler.*, cls.* dropped
            (BertModel.filter_tensors); names from gguf-py's tensor-name map
            for MODEL_ARCH.BERT (token_embd, position_embd, token_types,
            token_embd_norm, blk.N.attn_q/k/v, attn_output,
            attn_output_norm, ffn_up, ffn_down, layer_output_norm); types as
            prepare_tensors chooses them (1-D, *_norm.weight, position_embd,
            token_types and biases F32; the rest the --outtype, Q8_0 falling
            back to F16 where a row does not fit its blocks);
  metadata  general.* from gguf.Metadata.load over the model card, as
            prepare_metadata; bert.* as TextModel.set_gguf_parameters and
            BertModel.set_gguf_parameters (causal false, pooling_type from
            the sentence-transformers Pooling module);
  tokenizer as BertModel.set_vocab: get_vocab_base (transformers'
            AutoTokenizer: tokens, CONTROL/USER_DEFINED/NORMAL types), the
            "phantom space" form of the vocabulary ("##x" -> "x", other
            non-CONTROL tokens "x" -> "\u2581x"), tokenizer.ggml.pre from the
            hash of the converter's check text, gguf.SpecialVocab.

Needs numpy, transformers (no torch) and gguf. The torch-enabled test
(test/models/test_bert_gguf.c) runs both this script and the converter and
checks that the two files hold the same metadata, tensor names and data;
without torch (CI) the file this script writes stands in for the
converter's. When convert_hf_to_gguf.py's check text or hash table change,
update CHKTXT and PRE_BY_HASH below (or pass --llama-cpp-src, which reads
them from conversion/base.py).
"""
import argparse
import json
import logging
import re
import sys
from hashlib import sha256
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import safetensors_np  # noqa: E402

import gguf  # noqa: E402

# get_vocab_base_pre's check text, verbatim from conversion/base.py.
CHKTXT = '\n \n\n \n\n\n \t \t\t \t\n  \n   \n    \n     \n🚀 (normal) 😶\u200d🌫️ (multiple emojis concatenated) ✅ 🦙🦙 3 33 333 3333 33333 333333 3333333 33333333 3.3 3..3 3...3 កាន់តែពិសេសអាច😁 ?我想在apple工作1314151天～ ------======= нещо на Български \'\'\'\'\'\'```````""""......!!!!!!?????? I\'ve been \'told he\'s there, \'RE you sure? \'M not sure I\'ll make it, \'D you like some tea? We\'Ve a\'lL'

# chkhsh -> tokenizer.ggml.pre for the WordPiece tokenizers in the
# converter's table (where a hash appears twice, the later entry wins, as
# in the converter's chain of ifs).
PRE_BY_HASH = {
    "0876d13b50744004aa9aeae05e7b0647eac9d801b5ba4668afc01e709c15e19f": "jina-v2-en",
    "8e62295832751ca1e8f92f2226f403dea30dc5165e448b5bfa05af5340c64ec7": "bert-bge-large",
    "c7699093ba4255a91e702aa38a596aa81669f3525dae06c2953267dde580f448": "jina-v1-en",
}

OUTTYPES = {
    "f32": (gguf.LlamaFileType.ALL_F32, gguf.GGMLQuantizationType.F32),
    "f16": (gguf.LlamaFileType.MOSTLY_F16, gguf.GGMLQuantizationType.F16),
    "q8_0": (gguf.LlamaFileType.MOSTLY_Q8_0, gguf.GGMLQuantizationType.Q8_0),
}


def table_from_source(src):
    """(check text, hash table) from llama.cpp's conversion/base.py."""
    path = Path(src) / "conversion" / "base.py"
    if not path.is_file():  # trees before the converter was split into conversion/
        path = Path(src) / "convert_hf_to_gguf.py"
    text = path.read_text(encoding="utf-8")
    m = re.search(r"^\s*chktxt = (.*)$", text, re.M)
    table = {}
    for h, res in re.findall(r'if chkhsh == "([0-9a-f]{64})":\s*\n(?:\s*#.*\n)*\s*res = "([^"]+)"', text):
        table[h] = res
    return eval(m.group(1), {}), table  # a Python string literal from the converter's own source


def pooling_type(model_dir):
    """BaseModel._try_set_pooling_type: the Pooling module's mode, or None."""
    modules = model_dir / "modules.json"
    if not modules.is_file():
        return None
    for mod in json.loads(modules.read_text(encoding="utf-8")):
        if mod["type"].endswith("Pooling"):
            cfg = json.loads((model_dir / mod["path"] / "config.json").read_text(encoding="utf-8"))
            if cfg.get("pooling_mode_mean_tokens"):
                return gguf.PoolingType.MEAN
            if cfg.get("pooling_mode_cls_token"):
                return gguf.PoolingType.CLS
            if cfg.get("pooling_mode_lasttoken"):
                return gguf.PoolingType.LAST
            mode = {"mean": gguf.PoolingType.MEAN, "cls": gguf.PoolingType.CLS,
                    "lasttoken": gguf.PoolingType.LAST}.get(cfg.get("pooling_mode"))
            if mode is None:
                raise NotImplementedError("Only MEAN, CLS, and LAST pooling types supported")
            return mode
    return None


def source_tensors(model_dir):
    """(hf name, float array) in file order, BertModel.filter_tensors applied."""
    tensors, _ = safetensors_np.read_file(model_dir / "model.safetensors")
    for name, (dtype, arr) in tensors.items():
        if name.startswith("bert."):
            name = name[5:]
        if name.endswith(".gamma"):
            name = name[:-6] + ".weight"
        if name.endswith(".beta"):
            name = name[:-5] + ".bias"
        if name in ("embeddings.position_ids", "pooler.dense.weight", "pooler.dense.bias"):
            continue
        if name.startswith(("cls.predictions", "cls.seq_relationship")):
            continue
        # prepare_tensors: anything but F16/F32 becomes F32
        if dtype == "F16":
            arr = safetensors_np.f16_bits_to_f32(arr).reshape(arr.shape).astype(np.float16)
        elif dtype == "BF16":
            arr = safetensors_np.bf16_bits_to_f32(arr).reshape(arr.shape)
        elif dtype != "F32":
            arr = arr.astype(np.float32)
        yield name, arr


def tensor_type(new_name, n_dims, bid, ftype_q):
    """prepare_tensors' choice for BERT's tensors."""
    if n_dims <= 1 or new_name.endswith("_norm.weight"):
        return gguf.GGMLQuantizationType.F32
    if new_name in ("position_embd.weight", "token_types.weight") or new_name[-7:] not in (".weight", ".lora_a", ".lora_b"):
        return gguf.GGMLQuantizationType.F32
    return ftype_q


def vocab(model_dir, hparams, chktxt, pre_table):
    """TextModel.get_vocab_base + BertModel.set_vocab's phantom space."""
    from transformers import AutoTokenizer
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    vocab_size = hparams.get("vocab_size", len(tokenizer.vocab))
    assert max(tokenizer.vocab.values()) < vocab_size
    chkhsh = sha256(str(tokenizer.encode(chktxt)).encode()).hexdigest()
    if chkhsh not in pre_table:
        raise NotImplementedError(f"tokenizer hash {chkhsh} is not in the converter's table (see --llama-cpp-src)")
    reverse = {i: t for t, i in tokenizer.vocab.items()}
    added = tokenizer.get_added_vocab()
    decoder = tokenizer.added_tokens_decoder
    tokens, types = [], []
    for i in range(vocab_size):
        if i not in reverse:
            tokens.append(f"[PAD{i}]")
            types.append(gguf.TokenType.UNUSED)
            continue
        tok = reverse[i]
        if tok in added:
            if not decoder[i].normalized:
                tok = tokenizer.decode(tokenizer.encode(tok, add_special_tokens=False))
            if decoder[i].special or (tok.startswith("<|") and tok.endswith("|>")):
                types.append(gguf.TokenType.CONTROL)
            else:
                tok = tok.replace("\u2581", " ")
                types.append(gguf.TokenType.USER_DEFINED)
        else:
            types.append(gguf.TokenType.NORMAL)
        tokens.append(tok)

    def phantom(tok, toktype):
        if toktype == gguf.TokenType.CONTROL:
            return tok
        if tok.startswith("##"):
            return tok[2:]
        return "\u2581" + tok

    return [phantom(t, k) for t, k in zip(tokens, types)], types, pre_table[chkhsh]


def add_normalizer_keys(w, model_dir):
    """SpecialVocab's normalizer flags (tokenizer.ggml.normalizer.*), for a
    gguf-py older than the one in llama.cpp's tree (gguf 0.19 on PyPI has no
    _parse_normalizer): the same parse of tokenizer.json's normalizer."""
    path = model_dir / "tokenizer.json"
    if not path.is_file():
        return
    flags = {}

    def parse(n):
        t = n.get("type")
        if t == "Lowercase":
            flags["lowercase"] = True
        elif t == "StripAccents":
            flags["strip_accents"] = True
        elif t == "BertNormalizer":
            for k in ("lowercase", "strip_accents"):
                if k in n:
                    flags[k] = n[k]
        elif t == "Sequence":
            for m in n.get("normalizers", []):
                parse(m)

    if norm := json.loads(path.read_text(encoding="utf-8")).get("normalizer"):
        parse(norm)
    for k in ("lowercase", "strip_accents"):
        if flags.get(k) is not None:
            w.add_bool(f"tokenizer.ggml.normalizer.{k}", flags[k])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model", type=Path)
    ap.add_argument("--outfile", type=Path, required=True)
    ap.add_argument("--outtype", choices=sorted(OUTTYPES), default="f16")
    ap.add_argument("--llama-cpp-src", type=Path, help="read the check text and hash table from this llama.cpp tree")
    ap.add_argument("--verbose", action="store_true", help="gguf-py's and transformers' warnings")
    a = ap.parse_args()
    if not a.verbose:  # e.g. gguf 0.19's "No handler for special token type cls"
        logging.disable(logging.WARNING)
    chktxt, pre_table = CHKTXT, PRE_BY_HASH
    if a.llama_cpp_src:
        chktxt, pre_table = table_from_source(a.llama_cpp_src)
    ftype, ftype_q = OUTTYPES[a.outtype]
    hparams = json.loads((a.model / "config.json").read_text(encoding="utf-8"))
    if "text_config" in hparams:
        hparams = {**hparams, **hparams["text_config"]}
    n_layers = hparams["num_hidden_layers"]
    tmap = gguf.get_tensor_name_map(gguf.MODEL_ARCH.BERT, n_layers)
    w = gguf.GGUFWriter(path=None, arch=gguf.MODEL_ARCH_NAMES[gguf.MODEL_ARCH.BERT])

    # prepare_tensors
    for name, data in source_tensors(a.model):
        bid = next((int(p) for p in name.split(".") if p.isdecimal()), None)
        new_name = tmap.get_name(key=name, try_suffixes=(".weight", ".bias"))
        if new_name is None:
            raise ValueError(f"Can not map tensor {name!r}")
        qtype = tensor_type(new_name, len(data.shape), bid, ftype_q)
        try:
            q = gguf.quants.quantize(data, qtype)
        except gguf.QuantError:
            qtype = gguf.GGMLQuantizationType.F16
            q = gguf.quants.quantize(data, qtype)
        w.add_tensor(new_name, q, raw_dtype=qtype)

    # prepare_metadata
    total, shared, expert, expert_count = w.get_total_parameter_count()
    meta = gguf.Metadata.load(None, a.model, None, total)
    if meta.name is None:
        meta.name = a.model.name
    if meta.size_label is None and total > 0:
        meta.size_label = gguf.size_label(total, shared, expert, expert_count)
    w.add_type(gguf.GGUFType.MODEL)
    meta.set_gguf_meta_model(w)
    # TextModel.set_gguf_parameters (the keys a BERT config reaches)
    w.add_block_count(n_layers)
    for keys, add in ((["max_position_embeddings", "n_ctx", "n_positions", "max_length", "max_sequence_length",
                        "model_max_length"], w.add_context_length),
                      (["hidden_size", "n_embd", "dim"], w.add_embedding_length),
                      (["prefix_dense_intermediate_size", "dense_intermediate_size", "intermediate_size", "n_inner",
                        "hidden_dim"], w.add_feed_forward_length),
                      (["num_attention_heads", "n_head", "n_heads"], w.add_head_count),
                      (["num_key_value_heads", "n_kv_heads"], w.add_head_count_kv),
                      (["layer_norm_eps", "layer_norm_epsilon", "norm_epsilon"], w.add_layer_norm_eps)):
        v = next((hparams[k] for k in keys if k in hparams), None)
        if v is not None:
            add(v)
    if hparams.get("head_dim") is not None:
        w.add_key_length(hparams["head_dim"])
        w.add_value_length(hparams["head_dim"])
    w.add_file_type(ftype)
    # BertModel.set_gguf_parameters
    w.add_causal_attention(False)
    pt = pooling_type(a.model)
    if pt is not None:
        w.add_pooling_type(pt)
    w.add_quantization_version(gguf.GGML_QUANT_VERSION)
    # BertModel.set_vocab
    tokens, types, pre = vocab(a.model, hparams, chktxt, pre_table)
    w.add_token_type_count(hparams.get("type_vocab_size", 1))
    w.add_tokenizer_model("bert")
    w.add_tokenizer_pre(pre)
    w.add_token_list(tokens)
    w.add_token_types(types)
    sv = gguf.SpecialVocab(a.model, n_vocab=len(tokens))
    sv.add_to_gguf(w, quiet=True)
    if not hasattr(sv, "normalizer_lowercase"):
        add_normalizer_keys(w, a.model)

    w.write_header_to_file(path=a.outfile)
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


if __name__ == "__main__":
    main()
