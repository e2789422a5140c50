#!/usr/bin/env bash
# fuzz_model_dir.sh — build and run the libFuzzer target over whole model
# directories (test/fuzz/fuzz_model_dir.c: config.json + model.safetensors +
# the sentence-transformers files + a text, through ia_model_open and
# ia_model_embed) under ASan + UBSan.
#
# Usage: scripts/fuzz_model_dir.sh [SECONDS] [extra libFuzzer flags...]
#   SECONDS defaults to 30. The core is built once into build-fuzz/lib with
#   the sanitizers (scripts/fuzz_common.sh; a few minutes the first time).
#   Seeds: small valid BERT directories and a tiny tokenizer.json derived from
#   the cached all-MiniLM-L6-v2 (scripts/make_fuzz_model.py; the model cache
#   must hold it: scripts/setup.sh); the working corpus grows in
#   build-fuzz/corpus_model_dir, crashes land in build-fuzz/artifacts/.
#   Exit status: 0 if no crash, leak or hang was found.
set -euo pipefail
. "$(dirname "$0")/fuzz_common.sh"
fuzz_init fuzz_model_dir
SECONDS_TO_RUN=${1:-30}
shift || true
OUT=$FUZZ_OUT
BIN=$OUT/fuzz_model_dir
SEEDS=$OUT/seeds_model_dir
CORPUS=$OUT/corpus_model_dir
MINILM=${IA_MODEL_DIR:-$HOME/.cache/ipfs_accelerate/models}/all-MiniLM-L6-v2

# --- build -------------------------------------------------------------------
mkdir -p "$SEEDS" "$CORPUS"
echo "fuzz_model_dir: building the core with the sanitizers (build-fuzz/lib)"
fuzz_library
clang "${FUZZ_CFLAGS[@]}" test/fuzz/fuzz_model_dir.c "${FUZZ_LIBS[@]}" -o "$BIN"

# --- seed corpus and tokenizer -------------------------------------------------
python3 scripts/make_fuzz_model.py "$MINILM/tokenizer.json" "$OUT/model_dir/tokenizer.json" "$SEEDS"
export IA_FUZZ_TOKENIZER=$OUT/model_dir/tokenizer.json

# Keys and values a config mutation may want; the part separator.
cat >"$OUT/model_dir.dict" <<'EOF2'
"\x00\xffIA\xff\x00"
"hidden_size"
"num_hidden_layers"
"num_attention_heads"
"intermediate_size"
"max_position_embeddings"
"type_vocab_size"
"vocab_size"
"layer_norm_eps"
"model_type"
"hidden_act"
"bert"
"gelu"
"max_seq_length"
"pooling_mode_cls_token"
"pooling_mode_mean_tokens"
"pooling_mode_max_tokens"
"word_embedding_dimension"
"sentence_transformers.models.Pooling"
"sentence_transformers.models.Normalize"
"sentence_transformers.models.Transformer"
"1_Pooling"
"__metadata__"
"dtype"
"shape"
"data_offsets"
"F32"
"F16"
"BF16"
"I64"
"I8"
"Q8_0"
"bert."
"true"
"false"
"null"
"0"
"-1"
"1e-12"
"1e400"
"65536"
"2147483648"
"9007199254740992"
EOF2

# --- run ---------------------------------------------------------------------
# -max_len: the seeds are 13-23 KB; room for mutations to grow them.
echo "fuzz_model_dir: running for ${SECONDS_TO_RUN}s"
"$BIN" -max_total_time="$SECONDS_TO_RUN" -max_len=65536 -timeout=10 \
    -rss_limit_mb=2048 -dict="$OUT/model_dir.dict" \
    -artifact_prefix="$OUT/artifacts/" -print_final_stats=1 \
    "$@" "$CORPUS" "$SEEDS"
