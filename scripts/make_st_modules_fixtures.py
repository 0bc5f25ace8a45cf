#!/usr/bin/env python3
"""Makes a sentence-transformers module stack beyond Transformer → Pooling → Normalize, and its reference vectors.

Tests/Fixtures/st-modules/ holds everything except the transformer itself: modules.json, 1_Pooling (mean, with
include_prompt false so prompt tokens are left out of the mean), 2_Dense (384 → 64, tanh, seeded random weights),
3_Normalize, config_sentence_transformers.json with "query: " / "passage: " prompts. The transformer is the real
all-MiniLM-L6-v2 (scripts/fetch-minilm.sh): the test assembles a model directory from both, as this script does.

reference.json: for a few texts, the vectors SentenceTransformer.encode returns with no prompt, with
prompt_name "query", and with truncate_dim 32 (Matryoshka) plus normalize_embeddings=True.

Run: .venv/bin/python scripts/make_st_modules_fixtures.py
"""
import json
import pathlib
import shutil
import tempfile

import torch
from sentence_transformers import SentenceTransformer
from sentence_transformers.models import Dense, Normalize, Pooling, Transformer

ROOT = pathlib.Path(__file__).resolve().parent.parent
MODEL = ROOT / ".cache" / "models" / "all-MiniLM-L6-v2"
OUT = ROOT / "Tests" / "Fixtures" / "st-modules"
TEXTS = ["A man is eating food.", "Hello, world!", "", "The Eiffel Tower was completed in 1889 for the World's Fair.",
         "東京は日本の首都です。"]


def main() -> None:
    torch.manual_seed(7)
    transformer = Transformer(str(MODEL), max_seq_length=128)
    pooling = Pooling(transformer.get_word_embedding_dimension(), pooling_mode="mean", include_prompt=False)
    dense = Dense(in_features=384, out_features=64, bias=True, activation_function=torch.nn.Tanh())
    with torch.no_grad():
        dense.linear.weight.copy_(torch.randn(64, 384) * 0.1)
        dense.linear.bias.copy_(torch.randn(64) * 0.1)
    model = SentenceTransformer(modules=[transformer, pooling, dense, Normalize()], device="cpu",
                                prompts={"query": "query: ", "passage": "passage: "})
    with tempfile.TemporaryDirectory() as scratch:
        model.save(scratch, safe_serialization=True)
        saved = pathlib.Path(scratch)
        if OUT.exists():
            shutil.rmtree(OUT)
        OUT.mkdir(parents=True)
        # Keep the module configuration, not the transformer's weights or tokenizer (the test links the real ones).
        for name in ["modules.json", "config_sentence_transformers.json", "sentence_bert_config.json"]:
            shutil.copy(saved / name, OUT / name)
        for entry in json.loads((saved / "modules.json").read_text()):
            if entry["path"]:
                shutil.copytree(saved / entry["path"], OUT / entry["path"])
        reloaded = SentenceTransformer(scratch, device="cpu")
        cases = []
        for label, kwargs in [("plain", {}), ("query", {"prompt_name": "query"}),
                              ("matryoshka", {"truncate_dim": 32, "normalize_embeddings": True})]:
            vectors = reloaded.encode(TEXTS, convert_to_numpy=True, **kwargs)
            cases.append({"name": label, "arguments": kwargs, "embeddings": [[float(f"{v:.9g}") for v in row] for row in vectors]})
    (OUT / "reference.json").write_text(json.dumps({"made_by": "scripts/make_st_modules_fixtures.py", "texts": TEXTS,
                                                    "cases": cases}, ensure_ascii=False))
    print(sorted(str(p.relative_to(OUT)) for p in OUT.rglob("*")), sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file()))


if __name__ == "__main__":
    main()
