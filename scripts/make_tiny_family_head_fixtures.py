#!/usr/bin/env python3
"""Makes tiny random-weight sequence- and token-classification checkpoints for the encoder families beside BERT,
and their PyTorch reference logits.

Writes Tests/Fixtures/tiny-<family>-<task>/ for family in roberta, distilbert, mpnet, modernbert (and
modernbert-mean: `classifier_pooling` "mean") and task in seqcls (`*ForSequenceClassification`, 3 named labels)
tokcls (`*ForTokenClassification`, 5 named labels) and mlm (`*ForMaskedLM`, decoder tied to the word
embeddings; reference logits at the mask positions and a few others). Each holds config.json, model.safetensors
(save_pretrained, safetensors), the WordPiece tokenizer.json of make_tiny_head_fixtures.py (so the pipelines run
end to end; these families' real tokenizers are BPE, which is not what is tested here), and reference.json: for
several texts, the token ids `tokenizers` gives and the logits the model returns, one input at a time, fp32,
no padding.

Run: /work/venv-dev/bin/python scripts/make_tiny_family_head_fixtures.py [seqcls] [tokcls] [mlm] (default: all;
torch, transformers, tokenizers)
"""
import json
import pathlib

import torch
from transformers import (DistilBertConfig, DistilBertForMaskedLM, DistilBertForSequenceClassification,
                          DistilBertForTokenClassification, ModernBertConfig, ModernBertForMaskedLM,
                          ModernBertForSequenceClassification, ModernBertForTokenClassification, MPNetConfig,
                          MPNetForMaskedLM, MPNetForSequenceClassification, MPNetForTokenClassification, RobertaConfig,
                          RobertaForMaskedLM, RobertaForSequenceClassification, RobertaForTokenClassification)

from make_tiny_head_fixtures import FIXTURES, TEXTS, make_tokenizer

SEQUENCE_LABELS = {0: "negative", 1: "neutral", 2: "positive"}
TOKEN_LABELS = {0: "O", 1: "B-PER", 2: "I-PER", 3: "B-LOC", 4: "I-LOC"}
# A long text so ModernBERT's sliding-window layers (window 8) see tokens beyond their reach.
EXTRA_TEXTS = ["the quick brown fox and the dog play in the world of the cat, it was very fun and not boring at all"]

# [PAD] is id 0 in the shared vocabulary: RoBERTa and MPNet number positions after the padding row.
BERT_SIZES = dict(vocab_size=64, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
                  layer_norm_eps=1e-12, initializer_range=0.3, pad_token_id=0, bos_token_id=2, eos_token_id=3)


def roberta_config(**head):
    return RobertaConfig(**BERT_SIZES, max_position_embeddings=40, type_vocab_size=1, hidden_act="gelu", **head)


def distilbert_config(**head):
    # The classification head applies a hard-coded ReLU whatever `activation` says; the encoder keeps GELU.
    return DistilBertConfig(vocab_size=64, dim=32, n_layers=2, n_heads=4, hidden_dim=64, max_position_embeddings=40,
                            activation="gelu", initializer_range=0.3, pad_token_id=0, **head)


def mpnet_config(**head):
    return MPNetConfig(**BERT_SIZES, max_position_embeddings=60, relative_attention_num_buckets=32, hidden_act="gelu",
                       **head)


def modernbert_config(pooling="cls"):
    def make(**head):
        return ModernBertConfig(
            vocab_size=64, hidden_size=32, intermediate_size=48, num_hidden_layers=4, num_attention_heads=4,
            max_position_embeddings=64, hidden_activation="gelu", norm_eps=1e-5, norm_bias=True,
            global_attn_every_n_layers=3, local_attention=8, global_rope_theta=160000.0, local_rope_theta=10000.0,
            pad_token_id=0, bos_token_id=2, eos_token_id=3, cls_token_id=2, sep_token_id=3,
            # classifier_bias and a non-default activation make the head's optional parts visible.
            classifier_pooling=pooling, classifier_activation="silu", classifier_bias=True,
            initializer_range=0.3, attn_implementation="eager", **head)
    return make


FAMILIES = {
    "roberta": (roberta_config, RobertaForSequenceClassification, RobertaForTokenClassification, RobertaForMaskedLM),
    "distilbert": (distilbert_config, DistilBertForSequenceClassification, DistilBertForTokenClassification,
                   DistilBertForMaskedLM),
    "mpnet": (mpnet_config, MPNetForSequenceClassification, MPNetForTokenClassification, MPNetForMaskedLM),
    "modernbert": (modernbert_config("cls"), ModernBertForSequenceClassification, ModernBertForTokenClassification,
                   ModernBertForMaskedLM),
    "modernbert-mean": (modernbert_config("mean"), ModernBertForSequenceClassification, None, None),
}
MASKED_TEXTS = ["The movie was [MASK]!", "[MASK] cat sits on the [MASK].", "hello"] + EXTRA_TEXTS


def randomise(model):
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            # Norm weights start at 1/0 and transformers zeroes biases; random values catch swapped or dropped ones.
            if "norm" in name.lower():
                parameter.copy_(torch.randn_like(parameter) * 0.5 + (1.0 if name.endswith("weight") else 0.0))
            elif name.endswith("bias"):
                parameter.copy_(torch.randn_like(parameter) * 0.3)


def make(family: str, task: str, seed: int) -> None:
    make_config, sequence_class, token_class, masked_class = FAMILIES[family]
    model_class = {"seqcls": sequence_class, "tokcls": token_class, "mlm": masked_class}[task]
    if model_class is None:
        return
    labels = {"seqcls": SEQUENCE_LABELS, "tokcls": TOKEN_LABELS, "mlm": {}}[task]
    torch.manual_seed(seed)
    if task == "mlm":
        config = make_config()
    else:
        config = make_config(num_labels=len(labels), id2label=labels, label2id={v: k for k, v in labels.items()})
    model = model_class(config).eval()
    randomise(model)
    out = FIXTURES / f"tiny-{family}-{task}"
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    tokenizer = make_tokenizer(out)
    cases = []
    for text in (MASKED_TEXTS if task == "mlm" else TEXTS + EXTRA_TEXTS):
        ids = tokenizer.encode(text).ids
        with torch.no_grad():
            logits = model(input_ids=torch.tensor([ids])).logits[0]
        case = {"text": text, "ids": ids}
        if task == "mlm":
            # Mask rows, plus the second and one past the sliding window (fill-mask reads only chosen rows).
            positions = sorted({i for i, token in enumerate(ids) if token == 4} | {1} | ({12} if len(ids) > 12 else set()))
            case["positions"] = positions
            logits = logits[positions]
        case["logits"] = [float(f"{v:.9g}") for v in logits.flatten().tolist()]
        cases.append(case)
    (out / "reference.json").write_text(json.dumps({
        "made_by": "scripts/make_tiny_family_head_fixtures.py",
        "torch": torch.__version__,
        "architecture": model_class.__name__,
        "labels": [labels[index] for index in range(len(labels))],
        "cases": cases,
    }, indent=1, ensure_ascii=False) + "\n")
    print(out, sum(f.stat().st_size for f in out.iterdir()), "bytes")


if __name__ == "__main__":
    torch.set_num_threads(1)
    import sys
    tasks = sys.argv[1:] or ["seqcls", "tokcls", "mlm"]
    for family_index, family in enumerate(FAMILIES):
        for task_index, task in enumerate(["seqcls", "tokcls", "mlm"]):
            if task in tasks:
                make(family, task, seed=8100 + 10 * family_index + task_index)
