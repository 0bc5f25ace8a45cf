#!/usr/bin/env python3
"""Reference outputs of sentence-transformers/all-MiniLM-L6-v2 for the parity tests.

Reads Tests/Fixtures/texts/parity-texts.jsonl and the model (default .cache/models/all-MiniLM-L6-v2, made by
scripts/fetch-minilm.sh) and writes Tests/Fixtures/minilm/:
  input_ids.jsonl              ids as sentence-transformers feeds the model (strip, truncate to 256, no padding)
  embeddings.npy               float32 [n, 384], SentenceTransformer.encode (Transformer → Pooling → Normalize)
  embeddings-unnormalized.npy  the same without the Normalize module
  hidden_states.npy/.json      last hidden states (token_embeddings) of a subset of texts, rows concatenated
  pooling/<mode>.npy           sentence-transformers' Pooling module in each mode on that subset (unnormalised)
  tokenizer.jsonl              HF `tokenizers` encodings of every text: plain, truncated to 256, and pairs
  versions.json                library versions
Run: scripts/setup-dev-venv.sh && .venv/bin/python scripts/make_minilm_fixtures.py
"""
import json
import pathlib
import sys

import numpy as np
import sentence_transformers
import tokenizers
import torch
import transformers
from sentence_transformers import SentenceTransformer
from sentence_transformers.models import Pooling

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "Fixtures" / "minilm"
# Texts whose hidden states are stored: empty, short, CJK, emoji, accents, Korean, long (truncated), medium.
HIDDEN_STATE_TEXTS = ["", "Hello, world!", "中文：你好，世界！今天天气很好。", "Emoji: 😀😃😄 👍🏽 👨‍👩‍👧‍👦 🇫🇷🇯🇵 ❤️",
                      "Café crème brûlée à la carte, naïve façade, jalapeño piñata.", "한국어: 안녕하세요 세계, 서울은 크다.",
                      "[CLS] literal special tokens [SEP] and [MASK] and [PAD] and [UNK]", "   ",
                      "How do I reset my password if I no longer have access to my email?"]


def main() -> None:
    model_dir = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / ".cache/models/all-MiniLM-L6-v2")
    torch.set_num_threads(1)
    texts = [json.loads(line)["text"] for line in (ROOT / "Tests/Fixtures/texts/parity-texts.jsonl").open(encoding="utf-8")]
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "pooling").mkdir(exist_ok=True)

    model = SentenceTransformer(str(model_dir), device="cpu")
    with (OUT / "input_ids.jsonl").open("w") as handle:
        for index, text in enumerate(texts):
            features = model.tokenize([text])
            ids = features["input_ids"][0][features["attention_mask"][0] == 1].tolist()
            handle.write(json.dumps({"index": index, "ids": ids}) + "\n")

    embeddings = model.encode(texts, batch_size=32, convert_to_numpy=True)
    np.save(OUT / "embeddings.npy", embeddings.astype(np.float32))
    unnormalized = SentenceTransformer(modules=[model[0], model[1]], device="cpu")
    np.save(OUT / "embeddings-unnormalized.npy", unnormalized.encode(texts, batch_size=32, convert_to_numpy=True).astype(np.float32))

    # Last hidden states and every pooling mode on a subset, one text at a time (no padding rows).
    subset = [texts.index(text) for text in HIDDEN_STATE_TEXTS]
    longest = max(range(len(texts)), key=lambda i: len(texts[i]))
    subset.append(longest)
    rows, lengths = [], []
    pooled = {mode: [] for mode in ("cls", "max", "mean", "mean_sqrt_len", "weightedmean", "lasttoken")}
    with torch.no_grad():
        for index in subset:
            features = model.tokenize([texts[index]])
            output = model[0](dict(features))
            token_embeddings = output["token_embeddings"][0]
            rows.append(token_embeddings.numpy())
            lengths.append(int(token_embeddings.shape[0]))
            for mode in pooled:
                pooling = Pooling(384, pooling_mode="mean_sqrt_len_tokens" if mode == "mean_sqrt_len" else mode)
                pooled[mode].append(pooling(dict(output))["sentence_embedding"][0].numpy())
    np.save(OUT / "hidden_states.npy", np.concatenate(rows).astype(np.float32))
    (OUT / "hidden_states.json").write_text(json.dumps({"indices": subset, "lengths": lengths}))
    for mode, vectors in pooled.items():
        np.save(OUT / "pooling" / f"{mode}.npy", np.stack(vectors).astype(np.float32))

    # Tokenizer-level reference from HF `tokenizers` directly: offsets, type ids, masks, pairs, decode.
    tokenizer = tokenizers.Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.no_padding()
    with (OUT / "tokenizer.jsonl").open("w") as handle:
        for index, text in enumerate(texts):
            tokenizer.no_truncation()
            plain = tokenizer.encode(text)
            tokenizer.enable_truncation(256)
            truncated = tokenizer.encode(text)
            record = {"index": index, "ids": plain.ids, "type_ids": plain.type_ids, "offsets": plain.offsets,
                      "special_tokens_mask": plain.special_tokens_mask, "truncated_ids": truncated.ids,
                      "decoded": tokenizer.decode(plain.ids)}
            if index + 1 < len(texts) and index % 3 == 0:
                tokenizer.enable_truncation(64)
                pair = tokenizer.encode(text, texts[index + 1])
                record["pair"] = {"with": index + 1, "ids": pair.ids, "type_ids": pair.type_ids, "offsets": pair.offsets}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")

    (OUT / "versions.json").write_text(json.dumps({
        "sentence_transformers": sentence_transformers.__version__, "transformers": transformers.__version__,
        "tokenizers": tokenizers.__version__, "torch": torch.__version__, "numpy": np.__version__,
    }, indent=2) + "\n")
    print("texts:", len(texts), "hidden-state rows:", sum(lengths), "subset:", subset)


if __name__ == "__main__":
    main()
