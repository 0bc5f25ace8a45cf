#!/usr/bin/env python3
"""Makes a tiny random-weight MPNet checkpoint and its PyTorch reference hidden states.

Tests/Fixtures/tiny-mpnet/: config.json, model.safetensors, reference.json (token ids and MPNetModel's last
hidden states for sequences of several lengths, one at a time, fp32). Sequences up to 270 tokens cover the
log-spaced relative-position buckets past distance 128; one case has the pad id inside, which shifts RoBERTa-style position ids.

Run: .venv/bin/python scripts/make_tiny_mpnet_fixtures.py
"""
import json
import pathlib

import torch
from transformers import MPNetConfig, MPNetModel

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "Fixtures" / "tiny-mpnet"


def main() -> None:
    torch.manual_seed(21)
    config = MPNetConfig(vocab_size=64, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
                         max_position_embeddings=300, relative_attention_num_buckets=32, hidden_act="gelu",
                         layer_norm_eps=1e-5, pad_token_id=1, initializer_range=0.3)
    model = MPNetModel(config, add_pooling_layer=False).eval()
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if "LayerNorm" in name:
                parameter.copy_(torch.randn_like(parameter) * 0.5 + (1.0 if name.endswith("weight") else 0.0))
            if "relative_attention_bias" in name:  # large enough that a wrong bucket shows
                parameter.copy_(torch.randn_like(parameter) * 2.0)
    OUT.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(OUT, safe_serialization=True)

    generator = torch.Generator().manual_seed(22)
    cases = []
    for length in (1, 5, 17, 140, 270):
        ids = torch.randint(2, config.vocab_size, (1, length), generator=generator)
        if length == 17:
            ids[0, 6] = config.pad_token_id
        with torch.no_grad():
            hidden = model(input_ids=ids).last_hidden_state[0]
        cases.append({"ids": ids[0].tolist(), "type_ids": [0] * length,
                      "hidden_states": [[float(f"{v:.8g}") for v in row] for row in hidden.tolist()]})
    (OUT / "reference.json").write_text(json.dumps({"made_by": "scripts/make_tiny_mpnet_fixtures.py",
                                                    "torch": torch.__version__, "cases": cases}))
    print(OUT, sum(f.stat().st_size for f in OUT.iterdir()), "bytes")


if __name__ == "__main__":
    main()
