#!/usr/bin/env python3
"""Makes the tiny fill-mask and rerank fixtures and their PyTorch references.

Writes two Hub-layout directories under Tests/Fixtures/:
  tiny-bert-mlm     a random BertForMaskedLM (decoder tied to the word embeddings, so the checkpoint stores no
                    `cls.predictions.decoder.weight`) and reference.json: for texts with one and two [MASK]
                    tokens, the token ids, the logits at every mask position, and what
                    `transformers.pipeline("fill-mask", top_k=5)` returns (always a list per mask here, where
                    the pipeline returns a bare list for a single mask).
  tiny-bert-rerank  a random BertForSequenceClassification with num_labels 1 saved as a sentence-transformers
                    CrossEncoder, and reference.json with `CrossEncoder.predict(pairs)` (sigmoid of the logit,
                    the default for one label), the raw logits, and `CrossEncoder.rank(query, documents)`.
Both use the hand-written 64-token WordPiece vocabulary of make_tiny_head_fixtures.py, [MASK] included.

Run: /work/venv-dev/bin/python scripts/make_tiny_mlm_fixtures.py (torch, transformers, tokenizers,
sentence-transformers)
"""
import json
import pathlib
import sys

import torch
from transformers import BertConfig, BertForMaskedLM, BertForSequenceClassification, pipeline

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from make_tiny_head_fixtures import FIXTURES, make_tokenizer  # noqa: E402  (same vocabulary, same tokenizer)

MASK_TEXTS = [
    "The movie was [MASK]!",
    "I did not [MASK] this film at all.",
    "[MASK]",
    "hello [MASK] world",
    "A quick brown [MASK], playing and [MASK] quickly.",
    "the [MASK] sits on the [MASK].",
    "Zebras are [MASK] here",
]

# fill-mask `targets`: vocabulary words, a duplicate, a word the vocabulary splits (its first piece counts, as
# transformers warns), and one that upper-cases a vocabulary word (not a vocabulary entry: tokenised instead).
TARGETS = ["cat", "movie", "good", "cat", "playing", "Film"]

QUERY = "where does the cat sleep?"
DOCUMENTS = [
    "The cat sleeps on the mat.",
    "A quick brown fox.",
    "hello world",
    "We love the dog and the cat, they are very fun.",
    "",
    "I did not like this film at all, it was boring!",
]


def tiny_config(**options) -> BertConfig:
    return BertConfig(
        vocab_size=64, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=64, max_position_embeddings=40, type_vocab_size=2,
        hidden_act="gelu", layer_norm_eps=1e-12,
        # A large initializer makes wrong masking/normalisation visible (0.02 gives near-uniform outputs).
        initializer_range=0.3,
        **options,
    )


def randomise(model) -> None:
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            # LayerNorm weights start at 1/0; randomise them so a swapped gamma/beta is caught.
            if "LayerNorm" in name:
                parameter.copy_(torch.randn_like(parameter) * 0.5 + (1.0 if name.endswith("weight") else 0.0))
            # transformers zeroes biases at init; random ones catch a head that drops them.
            elif name.endswith("bias"):
                parameter.copy_(torch.randn_like(parameter) * 0.3)


def rounded(values):
    return [float(f"{v:.9g}") for v in values]


def size(directory: pathlib.Path) -> None:
    print(directory, sum(f.stat().st_size for f in directory.iterdir()), "bytes")


def make_mlm(seed: int) -> None:
    torch.manual_seed(seed)
    model = BertForMaskedLM(tiny_config(tie_word_embeddings=True, architectures=["BertForMaskedLM"])).eval()
    randomise(model)
    model.tie_weights()
    assert model.cls.predictions.decoder.weight.data_ptr() == model.bert.embeddings.word_embeddings.weight.data_ptr()
    out = FIXTURES / "tiny-bert-mlm"
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    tokenizer = make_tokenizer(out)
    fill_mask = pipeline("fill-mask", model=str(out), tokenizer=str(out), device="cpu")
    mask_id = tokenizer.token_to_id("[MASK]")

    cases = []
    for text in MASK_TEXTS:
        encoding = tokenizer.encode(text)
        positions = [index for index, token in enumerate(encoding.ids) if token == mask_id]
        with torch.no_grad():
            logits = model(input_ids=torch.tensor([encoding.ids]), token_type_ids=torch.tensor([encoding.type_ids])).logits[0]
        predictions = fill_mask(text, top_k=5)
        targeted = fill_mask(text, top_k=3, targets=TARGETS)
        if len(positions) == 1:
            predictions = [predictions]
            targeted = [targeted]
        cases.append({
            "text": text, "ids": encoding.ids, "type_ids": encoding.type_ids, "mask_positions": positions,
            "logits": [rounded(logits[position].tolist()) for position in positions],
            "fill_mask": [[{"score": float(f"{p['score']:.9g}"), "token": p["token"], "token_str": p["token_str"],
                            "sequence": p["sequence"]} for p in per_mask] for per_mask in predictions],
            "fill_mask_targets": [[{"score": float(f"{p['score']:.9g}"), "token": p["token"], "token_str": p["token_str"],
                                    "sequence": p["sequence"]} for p in per_mask] for per_mask in targeted],
        })
    (out / "reference.json").write_text(json.dumps({
        "made_by": "scripts/make_tiny_mlm_fixtures.py",
        "torch": torch.__version__,
        "mask_token": "[MASK]",
        "targets": TARGETS,
        "cases": cases,
    }, indent=1, ensure_ascii=False) + "\n")
    size(out)


def make_rerank(seed: int) -> None:
    from sentence_transformers import CrossEncoder

    torch.manual_seed(seed)
    model = BertForSequenceClassification(tiny_config(num_labels=1)).eval()
    randomise(model)
    out = FIXTURES / "tiny-bert-rerank"
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    tokenizer = make_tokenizer(out)
    cross_encoder = CrossEncoder(str(out), device="cpu")
    # Saving as a CrossEncoder records the activation in config.json's `sentence_transformers` section.
    cross_encoder.save_pretrained(str(out), safe_serialization=True)
    # The generated model card is not needed to load the model, and would only make the fixture bigger.
    (out / "README.md").unlink(missing_ok=True)
    cross_encoder = CrossEncoder(str(out), device="cpu")
    pairs = [(QUERY, document) for document in DOCUMENTS]
    scores = cross_encoder.predict(pairs, batch_size=4)
    logits = []
    for query, document in pairs:
        encoding = tokenizer.encode(query, document)
        with torch.no_grad():
            logits.append(model(input_ids=torch.tensor([encoding.ids]),
                                token_type_ids=torch.tensor([encoding.type_ids])).logits[0, 0].item())
    ranking = cross_encoder.rank(QUERY, DOCUMENTS, return_documents=True)
    top2 = cross_encoder.rank(QUERY, DOCUMENTS, top_k=2)
    (out / "reference.json").write_text(json.dumps({
        "made_by": "scripts/make_tiny_mlm_fixtures.py",
        "torch": torch.__version__,
        "activation": type(cross_encoder.activation_fn).__name__,
        "query": QUERY,
        "documents": DOCUMENTS,
        "ids": [tokenizer.encode(q, d).ids for q, d in pairs],
        "logits": rounded(logits),
        "scores": rounded(scores.tolist()),
        "rank": [{"corpus_id": int(r["corpus_id"]), "score": float(f"{r['score']:.9g}"), "text": r["text"]} for r in ranking],
        "rank_top_k_2": [{"corpus_id": int(r["corpus_id"]), "score": float(f"{r['score']:.9g}")} for r in top2],
    }, indent=1, ensure_ascii=False) + "\n")
    size(out)


if __name__ == "__main__":
    torch.set_num_threads(1)
    make_mlm(seed=2468)
    make_rerank(seed=1357)
