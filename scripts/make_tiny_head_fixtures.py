#!/usr/bin/env python3
"""Makes tiny random-weight BertForSequenceClassification checkpoints and their PyTorch reference logits.

Writes Tests/Fixtures/tiny-bert-seqcls-<kind>/ for three heads:
  single     3 labels with names, problem_type single_label_classification (softmax)
  multi      3 labels, problem_type multi_label_classification (sigmoid)
  regression num_labels 1, no problem_type (transformers treats one label as regression)
Each holds config.json, model.safetensors (save_pretrained, safetensors), a WordPiece tokenizer.json over a
hand-written 64-token vocabulary (so the pipeline and the CLI run end to end), and reference.json: for
several texts and text pairs, the token ids and type ids `tokenizers` gives and the logits
BertForSequenceClassification returns, one input at a time, fp32, no padding.

Run: /work/venv-dev/bin/python scripts/make_tiny_head_fixtures.py (torch, transformers, tokenizers)
"""
import json
import pathlib

import torch
from tokenizers import BertWordPieceTokenizer
from transformers import BertConfig, BertForSequenceClassification

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "Tests" / "Fixtures"

# Special tokens first, in BERT's order of importance; "##" pieces let words split into several tokens.
VOCABULARY = [
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
    ".", ",", "!", "?", "'",
    "the", "a", "movie", "film", "was", "is", "great", "good", "bad", "not", "i", "did", "like", "this",
    "at", "all", "hello", "world", "cat", "dog", "sits", "on", "mat", "sleep", "play", "##ing", "##s",
    "##ed", "it", "and", "very", "boring", "fun", "love", "hate", "what", "who", "where", "are", "you",
    "we", "they", "of", "to", "in", "##er", "##ly", "quick", "brown", "fox", "run", "an", "how", "time",
]
assert len(VOCABULARY) == 64 and len(set(VOCABULARY)) == 64

TEXTS = [
    "The movie was great!",
    "I did not like this film at all.",
    "hello",
    "",
    "A quick brown fox, playing and running quickly.",
    "Zebras are unknown here",
    "What a boring, BAD movie. I hate it!",
]
PAIRS = [
    ("A cat sits on the mat.", "The cat is sleeping."),
    ("Who are you?", "We are the quick brown fox."),
    ("how", "it was not fun, it was very boring and the dog did not like it at all"),
]

KINDS = {
    "single": dict(num_labels=3, id2label={0: "negative", 1: "neutral", 2: "positive"},
                   problem_type="single_label_classification"),
    "multi": dict(num_labels=3, id2label={0: "funny", 1: "sad", 2: "long"},
                  problem_type="multi_label_classification"),
    "regression": dict(num_labels=1),
}


def make_tokenizer(out: pathlib.Path):
    tokenizer = BertWordPieceTokenizer({token: index for index, token in enumerate(VOCABULARY)}, lowercase=True)
    tokenizer.save(str(out / "tokenizer.json"))
    return tokenizer


def make(kind: str, seed: int) -> None:
    torch.manual_seed(seed)
    head = KINDS[kind]
    options = dict(head)
    if "id2label" in options:
        options["label2id"] = {name: index for index, name in options["id2label"].items()}
    config = BertConfig(
        vocab_size=64, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=64, max_position_embeddings=40, type_vocab_size=2,
        hidden_act="gelu", layer_norm_eps=1e-12,
        # A large initializer makes wrong masking/normalisation visible (0.02 gives near-uniform outputs).
        initializer_range=0.3,
        **options,
    )
    model = BertForSequenceClassification(config).eval()
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            # LayerNorm weights start at 1/0; randomise them so a swapped gamma/beta is caught.
            if "LayerNorm" in name:
                parameter.copy_(torch.randn_like(parameter) * 0.5 + (1.0 if name.endswith("weight") else 0.0))
            # transformers zeroes biases at init; random ones catch a head that drops them.
            elif name.endswith("bias"):
                parameter.copy_(torch.randn_like(parameter) * 0.3)
    out = FIXTURES / f"tiny-bert-seqcls-{kind}"
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    tokenizer = make_tokenizer(out)

    def run(text, pair=None):
        encoding = tokenizer.encode(text, pair) if pair is not None else tokenizer.encode(text)
        ids = torch.tensor([encoding.ids])
        types = torch.tensor([encoding.type_ids])
        with torch.no_grad():
            logits = model(input_ids=ids, token_type_ids=types).logits[0]
        case = {"text": text, "ids": encoding.ids, "type_ids": encoding.type_ids,
                "logits": [float(f"{v:.9g}") for v in logits.tolist()]}
        if pair is not None:
            case["pair"] = pair
        return case

    cases = [run(text) for text in TEXTS] + [run(text, pair) for text, pair in PAIRS]
    (out / "reference.json").write_text(json.dumps({
        "made_by": "scripts/make_tiny_head_fixtures.py",
        "torch": torch.__version__,
        "labels": [config.id2label[index] for index in range(config.num_labels)],
        "problem_type": config.problem_type,
        "cases": cases,
    }, indent=1, ensure_ascii=False) + "\n")
    print(out, sum(f.stat().st_size for f in out.iterdir()), "bytes")


if __name__ == "__main__":
    torch.set_num_threads(1)
    for index, kind in enumerate(KINDS):
        make(kind, seed=4321 + index)
