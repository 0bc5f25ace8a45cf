#!/usr/bin/env python3
"""Real-weight head checks: all-MiniLM-L6-v2's encoder (and trained pooler) with seeded random task heads.

No offline package bundles a fine-tuned BERT head, so this builds BertForSequenceClassification (3 labels) and
BertForTokenClassification (5 labels) from the real all-MiniLM-L6-v2 (scripts/fetch-minilm.sh) with seeded random
classifiers, and stores only what is new — never the 90 MB encoder:
  Tests/Fixtures/minilm-heads/<task>/config.json                    the task config (architectures, id2label)
  Tests/Fixtures/minilm-heads/<task>/head.safetensors               classifier.weight, classifier.bias
  Tests/Fixtures/minilm-heads/<task>/model.safetensors.index.json   the encoder's tensors in minilm.safetensors,
                                                                     the head's in head.safetensors
  Tests/Fixtures/minilm-heads/<task>/reference.json                 texts and PyTorch logits
The test links MiniLM's model.safetensors as minilm.safetensors (and its tokenizer files) beside these.

Run: .venv/bin/python scripts/make_minilm_head_fixtures.py
"""
import json
import pathlib

import torch
from safetensors import safe_open
from safetensors.torch import save_file
from transformers import AutoTokenizer, BertForSequenceClassification, BertForTokenClassification

ROOT = pathlib.Path(__file__).resolve().parent.parent
MODEL = ROOT / ".cache" / "models" / "all-MiniLM-L6-v2"
OUT = ROOT / "Tests" / "Fixtures" / "minilm-heads"
TEXTS = [json.loads(line)["text"] for line in (ROOT / "Tests/Fixtures/texts/parity-texts.jsonl").read_text().splitlines()[:24]]


def build(task: str, model_class, labels: list, seed: int) -> None:
    torch.manual_seed(seed)
    model = model_class.from_pretrained(str(MODEL), num_labels=len(labels),
                                        id2label=dict(enumerate(labels)), label2id={l: i for i, l in enumerate(labels)}).eval()
    with torch.no_grad():  # a larger head than the default 0.02 init, so logits differ clearly between labels
        model.classifier.weight.copy_(torch.randn_like(model.classifier.weight) * 0.5)
        model.classifier.bias.copy_(torch.randn_like(model.classifier.bias) * 0.5)
    out = OUT / task
    out.mkdir(parents=True, exist_ok=True)
    save_file({"classifier.weight": model.classifier.weight.detach().contiguous(),
               "classifier.bias": model.classifier.bias.detach().contiguous()}, str(out / "head.safetensors"))
    config = model.config.to_dict()
    config.pop("transformers_version", None)
    config["architectures"] = [model_class.__name__]  # to_dict keeps the base checkpoint's; save_pretrained would set it
    (out / "config.json").write_text(json.dumps(config, indent=2))
    with safe_open(str(MODEL / "model.safetensors"), "pt") as encoder:
        weight_map = {name: "minilm.safetensors" for name in encoder.keys()}
    weight_map.update({"classifier.weight": "head.safetensors", "classifier.bias": "head.safetensors"})
    (out / "model.safetensors.index.json").write_text(json.dumps({"metadata": {}, "weight_map": weight_map}, indent=1))

    tokenizer = AutoTokenizer.from_pretrained(str(MODEL))
    cases = []
    for text in TEXTS:
        encoded = tokenizer(text, return_tensors="pt", truncation=True, max_length=128)
        with torch.no_grad():
            logits = model(**encoded).logits[0]
        cases.append({"ids": encoded["input_ids"][0].tolist(), "type_ids": encoded["token_type_ids"][0].tolist(),
                      "logits": [[float(f"{v:.8g}") for v in row] for row in (logits if logits.dim() == 2 else logits[None]).tolist()]})
    (out / "reference.json").write_text(json.dumps({"made_by": "scripts/make_minilm_head_fixtures.py", "torch": torch.__version__,
                                                    "labels": labels, "cases": cases}, ensure_ascii=False))
    print(out, sum(f.stat().st_size for f in out.iterdir()), "bytes")


if __name__ == "__main__":
    build("sequence-classification", BertForSequenceClassification, ["negative", "neutral", "positive"], seed=31)
    build("token-classification", BertForTokenClassification, ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"], seed=32)
