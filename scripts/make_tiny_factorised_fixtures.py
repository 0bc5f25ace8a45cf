#!/usr/bin/env python3
"""Makes tiny random-weight ELECTRA and ALBERT checkpoints — both with embeddings narrower than the hidden width —
and their PyTorch reference hidden states:
  Tests/Fixtures/tiny-electra/  ElectraForSequenceClassification (the `electra.` prefix with a head beside it),
                                 16-wide embeddings projected to 32 by `embeddings_project`
  Tests/Fixtures/tiny-albert/   AlbertForMaskedLM (the `albert.` prefix), factorised embeddings, four passes over two
                                 groups of two shared layers
each with config.json, model.safetensors and reference.json (token ids, type ids and the encoder's last hidden
states, one sequence at a time, fp32).

Run: .venv/bin/python scripts/make_tiny_factorised_fixtures.py
"""
import json
import pathlib

import torch
from transformers import AlbertConfig, AlbertForMaskedLM, ElectraConfig, ElectraForSequenceClassification

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "Tests" / "Fixtures"
SIZES = dict(vocab_size=64, embedding_size=16, hidden_size=32, num_attention_heads=4, intermediate_size=64,
             max_position_embeddings=40, type_vocab_size=2, initializer_range=0.3)


def save(name: str, model, encoder, vocab_size: int, seed: int) -> None:
    """Randomises the LayerNorms, saves the checkpoint and the encoder's outputs for a few sequences."""
    model.eval()
    with torch.no_grad():
        for parameter_name, parameter in model.named_parameters():
            if "LayerNorm" in parameter_name:
                parameter.copy_(torch.randn_like(parameter) * 0.5 + (1.0 if parameter_name.endswith("weight") else 0.0))
    out = FIXTURES / name
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    generator = torch.Generator().manual_seed(seed)
    cases = []
    for length in (1, 3, 12, 40):
        ids = torch.randint(0, vocab_size, (1, length), generator=generator)
        types = torch.randint(0, 2, (1, length), generator=generator)
        with torch.no_grad():
            hidden = encoder(input_ids=ids, token_type_ids=types).last_hidden_state[0]
        cases.append({"ids": ids[0].tolist(), "type_ids": types[0].tolist(),
                      "hidden_states": [[float(f"{v:.9g}") for v in row] for row in hidden.tolist()]})
    (out / "reference.json").write_text(json.dumps({"made_by": "scripts/make_tiny_factorised_fixtures.py",
                                                    "torch": torch.__version__, "cases": cases}))
    print(out, sum(f.stat().st_size for f in out.iterdir()), "bytes")


def main() -> None:
    torch.manual_seed(41)
    electra = ElectraForSequenceClassification(ElectraConfig(num_hidden_layers=2, hidden_act="gelu", num_labels=2, **SIZES))
    save("tiny-electra", electra, electra.electra, SIZES["vocab_size"], seed=42)
    torch.manual_seed(51)
    albert = AlbertForMaskedLM(AlbertConfig(num_hidden_layers=4, hidden_act="gelu_new", num_hidden_groups=2, inner_group_num=2, **SIZES))
    save("tiny-albert", albert, albert.albert, SIZES["vocab_size"], seed=42)


if __name__ == "__main__":
    main()
