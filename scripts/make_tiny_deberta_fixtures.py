#!/usr/bin/env python3
"""Makes tiny random-weight DeBERTa-v2/v3 checkpoints (model_type deberta-v2) and their PyTorch reference outputs.

Writes, under Tests/Fixtures/:
  tiny-deberta-v3/     DebertaV2Model as DeBERTa-v3 is configured: relative attention with log buckets
                       (position_buckets 8, max_relative_positions 24, so sequences up to 64 tokens reach far past
                       both), pos_att_type ["p2c", "c2p"], share_att_key, norm_rel_ebd "layer_norm", no absolute
                       positions, no token types
  tiny-deberta-v2/     DebertaV2Model as DeBERTa-v2-xlarge is configured, shrunk: no buckets (max_relative_positions
                       16, shorter than most sequences, so the clamp matters), pos_att_type "p2c|c2p" as a string,
                       separate pos_key_proj/pos_query_proj, absolute positions, two token types, embedding_size 24
                       with embed_proj, and the ConvLayer after layer 0 (kernel 3, 2 groups, GELU)
  tiny-deberta-c2p/    DebertaV2Model with only c2p, buckets 16 / max_relative_positions 32, gelu_new
each with config.json, model.safetensors and reference.json: token-id sequences (with type ids) of several lengths
run one at a time (fp32, no padding, no attention mask) and the last hidden states. tiny-deberta-v3's reference also
holds `buckets`: transformers' make_log_bucket_position for DeBERTa-v3-base's real setting (256 buckets, 512
positions) at distances 0…1500, so the Swift bucketing is checked where the real models use it.

  tiny-deberta-v3-seqcls/  DebertaV2ForSequenceClassification (ContextPooler, 3 named labels)
  tiny-deberta-v3-tokcls/  DebertaV2ForTokenClassification (5 named labels)
  tiny-deberta-v3-mlm/     DebertaV2ForMaskedLM, legacy head (cls.predictions, decoder tied to the word embeddings)
  tiny-deberta-v3-lm-head-mlm/  DebertaV2ForMaskedLM with legacy false (lm_predictions.lm_head)
on the tiny-deberta-v3 encoder configuration, each with the WordPiece tokenizer.json of make_tiny_head_fixtures.py
(DeBERTa-v3's real tokenizer is SentencePiece Unigram, not what is tested here) and reference.json in the layout of
make_tiny_family_head_fixtures.py: for several texts, the token ids and the logits (masked LM: at chosen rows).

Run: /work/venv-dev/bin/python scripts/make_tiny_deberta_fixtures.py (torch, transformers, tokenizers)
"""
import json
import pathlib

import torch
from transformers import (DebertaV2Config, DebertaV2ForMaskedLM, DebertaV2ForSequenceClassification,
                          DebertaV2ForTokenClassification, DebertaV2Model)
from transformers.models.deberta_v2.modeling_deberta_v2 import make_log_bucket_position

from make_tiny_head_fixtures import FIXTURES, TEXTS, make_tokenizer

SIZES = dict(vocab_size=64, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
             layer_norm_eps=1e-7, pad_token_id=0, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
             # A large initializer makes wrong masking/normalisation visible (0.02 gives near-uniform outputs).
             initializer_range=0.3)

CONFIGS = {
    "v3": dict(max_position_embeddings=64, type_vocab_size=0, relative_attention=True, position_buckets=8,
               max_relative_positions=24, pos_att_type=["p2c", "c2p"], share_att_key=True, norm_rel_ebd="layer_norm",
               position_biased_input=False, hidden_act="gelu"),
    "v2": dict(max_position_embeddings=48, type_vocab_size=2, relative_attention=True, position_buckets=-1,
               max_relative_positions=16, pos_att_type="p2c|c2p", share_att_key=False, norm_rel_ebd="none",
               position_biased_input=True, embedding_size=24, conv_kernel_size=3, conv_groups=2, conv_act="gelu",
               hidden_act="gelu"),
    "c2p": dict(max_position_embeddings=64, type_vocab_size=0, relative_attention=True, position_buckets=16,
                max_relative_positions=32, pos_att_type=["c2p"], share_att_key=False, norm_rel_ebd="layer_norm",
                position_biased_input=False, hidden_act="gelu_new"),
}
LENGTHS = {"v3": (1, 2, 5, 9, 17, 40, 64), "v2": (1, 3, 8, 17, 33, 48), "c2p": (1, 4, 20, 50)}

SEQUENCE_LABELS = {0: "entailment", 1: "neutral", 2: "contradiction"}
TOKEN_LABELS = {0: "O", 1: "B-PER", 2: "I-PER", 3: "B-LOC", 4: "I-LOC"}
# Longer than the bucket span (8) and than max_relative_positions (24) of the v3 configuration.
EXTRA_TEXTS = ["the quick brown fox and the dog play in the world of the cat, it was very fun and not boring at all"]
MASKED_TEXTS = ["The movie was [MASK]!", "[MASK] cat sits on the [MASK].", "hello"] + EXTRA_TEXTS


def randomise(model: torch.nn.Module) -> None:
    """Norm weights start at 1/0 and transformers zeroes biases; random values catch swapped or dropped ones."""
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if "layernorm" in name.lower() or "layer_norm" in name.lower():
                parameter.copy_(torch.randn_like(parameter) * 0.5 + (1.0 if name.endswith("weight") else 0.0))
            elif name.endswith("bias"):
                parameter.copy_(torch.randn_like(parameter) * 0.3)


def write_json(out: pathlib.Path, payload: dict) -> None:
    (out / "reference.json").write_text(json.dumps(payload))
    print(out, sum(f.stat().st_size for f in out.iterdir()), "bytes")


def make_encoder(name: str, seed: int) -> None:
    torch.manual_seed(seed)
    config = DebertaV2Config(**SIZES, **CONFIGS[name])
    model = DebertaV2Model(config).eval()
    randomise(model)
    out = FIXTURES / f"tiny-deberta-{name}"
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    generator = torch.Generator().manual_seed(seed + 1)
    cases = []
    for length in LENGTHS[name]:
        ids = torch.randint(1, SIZES["vocab_size"], (length,), generator=generator).tolist()
        types = (torch.randint(0, config.type_vocab_size, (length,), generator=generator).tolist()
                 if config.type_vocab_size > 0 else [0] * length)
        with torch.no_grad():
            hidden = model(input_ids=torch.tensor([ids]), token_type_ids=torch.tensor([types])).last_hidden_state[0]
        cases.append({"ids": ids, "type_ids": types,
                      "hidden_states": [[float(f"{v:.9g}") for v in row] for row in hidden.tolist()]})
    payload = {"made_by": "scripts/make_tiny_deberta_fixtures.py", "torch": torch.__version__, "cases": cases}
    if name == "v3":
        distances = torch.arange(0, 1501)
        payload["buckets"] = {"position_buckets": 256, "max_relative_positions": 512,
                              "buckets": make_log_bucket_position(distances, 256, 512).long().tolist()}
    write_json(out, payload)


def make_head(task: str, seed: int, legacy: bool = True) -> None:
    model_class = {"seqcls": DebertaV2ForSequenceClassification, "tokcls": DebertaV2ForTokenClassification,
                   "mlm": DebertaV2ForMaskedLM}[task]
    labels = {"seqcls": SEQUENCE_LABELS, "tokcls": TOKEN_LABELS, "mlm": {}}[task]
    torch.manual_seed(seed)
    head = {} if task == "mlm" else dict(num_labels=len(labels), id2label=labels,
                                         label2id={v: k for k, v in labels.items()})
    config = DebertaV2Config(**SIZES, **CONFIGS["v3"], legacy=legacy, **head)
    model = model_class(config).eval()
    randomise(model)
    out = FIXTURES / ("tiny-deberta-v3-" + ("" if legacy else "lm-head-") + task)
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
            positions = sorted({i for i, token in enumerate(ids) if token == 4} | {1} | ({20} if len(ids) > 20 else set()))
            case["positions"] = positions
            logits = logits[positions]
        case["logits"] = [float(f"{v:.9g}") for v in logits.flatten().tolist()]
        cases.append(case)
    write_json(out, {"made_by": "scripts/make_tiny_deberta_fixtures.py", "torch": torch.__version__,
                     "architecture": model_class.__name__, "labels": [labels[i] for i in range(len(labels))],
                     "cases": cases})


if __name__ == "__main__":
    torch.set_num_threads(1)
    for index, name in enumerate(CONFIGS):
        make_encoder(name, seed=9100 + 10 * index)
    make_head("seqcls", seed=9200)
    make_head("tokcls", seed=9210)
    make_head("mlm", seed=9220)
    make_head("mlm", seed=9230, legacy=False)
