#!/usr/bin/env python3
"""Makes tiny random-weight BERT checkpoints and their PyTorch reference hidden states.

Writes Tests/Fixtures/tiny-bert-<activation>/ for each hidden_act the BERT family supports
(gelu = exact erf, gelu_new = tanh approximation, relu): config.json, model.safetensors, and
reference.json with a few token-id sequences of different lengths and the last hidden states
BertModel returns for each (run one sequence at a time, fp32, no padding).

Run: scripts/setup-dev-venv.sh && .venv/bin/python scripts/make_tiny_bert_fixtures.py
"""
import json
import pathlib

import torch
from transformers import BertConfig, BertModel

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "Tests" / "Fixtures"


def make(activation: str, seed: int) -> None:
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=64, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=64, max_position_embeddings=40, type_vocab_size=2,
        hidden_act=activation, layer_norm_eps=1e-12,
        # A large initializer makes wrong masking/normalisation visible (0.02 gives near-uniform outputs).
        initializer_range=0.3,
    )
    model = BertModel(config, add_pooling_layer=False).eval()
    # LayerNorm weights start at 1/0; randomise them so a swapped gamma/beta is caught.
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if "LayerNorm" in name:
                parameter.copy_(torch.randn_like(parameter) * 0.5 + (1.0 if name.endswith("weight") else 0.0))
    out = FIXTURES / f"tiny-bert-{activation}"
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)

    generator = torch.Generator().manual_seed(seed + 1)
    cases = []
    for length in (1, 2, 5, 17, 40):
        ids = torch.randint(0, config.vocab_size, (1, length), generator=generator)
        types = torch.randint(0, 2, (1, length), generator=generator)
        with torch.no_grad():
            hidden = model(input_ids=ids, token_type_ids=types).last_hidden_state[0]
        cases.append({
            "ids": ids[0].tolist(),
            "type_ids": types[0].tolist(),
            "hidden_states": [[float(f"{v:.9g}") for v in row] for row in hidden.tolist()],
        })
    (out / "reference.json").write_text(json.dumps({
        "made_by": "scripts/make_tiny_bert_fixtures.py",
        "torch": torch.__version__,
        "cases": cases,
    }))
    print(out, sum(f.stat().st_size for f in out.iterdir()), "bytes")


if __name__ == "__main__":
    torch.set_num_threads(1)
    for index, activation in enumerate(("gelu", "gelu_new", "relu")):
        make(activation, seed=1234 + index)
