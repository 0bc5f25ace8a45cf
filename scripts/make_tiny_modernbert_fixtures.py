#!/usr/bin/env python3
"""Makes a tiny random-weight ModernBERT checkpoint and its PyTorch reference hidden states.

Tests/Fixtures/tiny-modernbert/: config.json, model.safetensors, reference.json (token ids and last hidden states
of ModernBertModel for sequences of several lengths, one at a time, fp32, eager attention). Four layers with
global attention every third layer (layers 0 and 3 global, 1 and 2 local) and a local window of 8 (4 tokens each
side), so sequences of 17 and 40 tokens exercise the sliding window, and two RoPE bases.

Run: .venv/bin/python scripts/make_tiny_modernbert_fixtures.py
"""
import json
import pathlib

import torch
from transformers import ModernBertConfig, ModernBertModel

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "Fixtures" / "tiny-modernbert"


def main() -> None:
    torch.manual_seed(11)
    config = ModernBertConfig(
        vocab_size=64, hidden_size=32, intermediate_size=48, num_hidden_layers=4, num_attention_heads=4,
        max_position_embeddings=64, hidden_activation="gelu", norm_eps=1e-5, norm_bias=False,
        global_attn_every_n_layers=3, local_attention=8, global_rope_theta=160000.0, local_rope_theta=10000.0,
        pad_token_id=0, bos_token_id=1, eos_token_id=2, cls_token_id=1, sep_token_id=2,
        initializer_range=0.3, attn_implementation="eager",
    )
    model = ModernBertModel(config).eval()
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if "norm" in name:  # start at 1; randomise so a skipped or swapped norm shows
                parameter.copy_(torch.randn_like(parameter) * 0.5 + 1.0)
    OUT.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(OUT, safe_serialization=True)

    generator = torch.Generator().manual_seed(12)
    cases = []
    for length in (1, 2, 5, 17, 40):
        ids = torch.randint(3, config.vocab_size, (1, length), generator=generator)
        with torch.no_grad():
            hidden = model(input_ids=ids).last_hidden_state[0]
        cases.append({"ids": ids[0].tolist(), "type_ids": [0] * length,
                      "hidden_states": [[float(f"{v:.9g}") for v in row] for row in hidden.tolist()]})
    (OUT / "reference.json").write_text(json.dumps({"made_by": "scripts/make_tiny_modernbert_fixtures.py",
                                                    "torch": torch.__version__, "cases": cases}))
    print(OUT, sum(f.stat().st_size for f in OUT.iterdir()), "bytes")
    print((OUT / "config.json").read_text())


if __name__ == "__main__":
    main()
