#!/usr/bin/env python3
"""Makes a tiny random-weight ALBERT checkpoint (factorised embeddings, 4 passes over 2 groups of 2 shared layers) and its PyTorch
reference hidden states: Tests/Fixtures/tiny-albert/ (config.json, model.safetensors, reference.json with token
ids, type ids and AlbertModel's last hidden states, one sequence at a time, fp32). Saved as
AlbertForMaskedLM so the `albert.` prefix and a head beside it are exercised.

Run: .venv/bin/python scripts/make_tiny_albert_fixtures.py
"""
import json
import pathlib

import torch
from transformers import AlbertConfig, AlbertForMaskedLM

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "Fixtures" / "tiny-albert"


def main() -> None:
    torch.manual_seed(51)
    config = AlbertConfig(vocab_size=64, embedding_size=16, hidden_size=32, num_hidden_layers=4, num_attention_heads=4,
                           intermediate_size=64, max_position_embeddings=40, type_vocab_size=2, hidden_act="gelu_new",
                           initializer_range=0.3, num_hidden_groups=2, inner_group_num=2)
    model = AlbertForMaskedLM(config).eval()
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if "LayerNorm" in name:
                parameter.copy_(torch.randn_like(parameter) * 0.5 + (1.0 if name.endswith("weight") else 0.0))
    OUT.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(OUT, safe_serialization=True)

    generator = torch.Generator().manual_seed(42)
    cases = []
    for length in (1, 3, 12, 40):
        ids = torch.randint(0, config.vocab_size, (1, length), generator=generator)
        types = torch.randint(0, 2, (1, length), generator=generator)
        with torch.no_grad():
            hidden = model.albert(input_ids=ids, token_type_ids=types).last_hidden_state[0]
        cases.append({"ids": ids[0].tolist(), "type_ids": types[0].tolist(),
                      "hidden_states": [[float(f"{v:.9g}") for v in row] for row in hidden.tolist()]})
    (OUT / "reference.json").write_text(json.dumps({"made_by": "scripts/make_tiny_albert_fixtures.py",
                                                    "torch": torch.__version__, "cases": cases}))
    print(OUT, sum(f.stat().st_size for f in OUT.iterdir()), "bytes")


if __name__ == "__main__":
    main()
