#!/usr/bin/env python3
"""Makes a tiny random-weight NomicBERT checkpoint (model_type nomic_bert) and its PyTorch reference hidden states.

Writes Tests/Fixtures/tiny-nomic-bert/: model.safetensors as transformers' NomicBertModel saves it (the Hub names of
Nomic's remote code: emb_ln, encoder.layers.N.attn.Wqkv, mlp.fc11/fc12/fc2, norm1/norm2), config.json in the Hub
spelling of nomic-embed-text-v1.5 (GPT-2-style keys n_embd, n_layer…, activation_function "swiglu", the remote code's
options at the values transformers' port implements), and reference.json: token-id sequences with type ids (lengths up
to 100, max_position_embeddings 128) run one at a time through transformers' native NomicBertModel (fp32, no
padding, no attention mask) and the last hidden states, plus `transformers_config`, the config.json transformers
itself writes for the same model (hidden_size…, rope_parameters), which must load to the same model.

The reference is transformers' own port (models/nomic_bert, no remote code): it is what can be run offline, and
the Hub checkpoints load into it through conversion_mapping.py.

Run: /work/venv-dev/bin/python scripts/make_tiny_nomic_bert_fixtures.py (torch, transformers >= 5.23)
"""
import json
import pathlib

import torch
from transformers import NomicBertConfig, NomicBertModel

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "Fixtures" / "tiny-nomic-bert"


def main() -> None:
    torch.manual_seed(9300)
    config = NomicBertConfig(vocab_size=64, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=48,
                             max_position_embeddings=128, type_vocab_size=2, layer_norm_eps=1e-12, initializer_range=0.3,
                             rope_parameters={"rope_type": "default", "rope_theta": 1000.0})
    model = NomicBertModel(config).eval()
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            # Norm weights start at 1/0; random values catch swapped or dropped ones.
            if "norm" in name.lower():
                parameter.copy_(torch.randn_like(parameter) * 0.5 + (1.0 if name.endswith("weight") else 0.0))
    OUT.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(OUT, safe_serialization=True)
    transformers_config = json.loads((OUT / "config.json").read_text())
    # nomic-embed-text-v1.5's config.json, sizes shrunk (auto_map and training-only keys left out).
    hub_config = {
        "activation_function": "swiglu", "architectures": ["NomicBertModel"], "causal": False, "layer_norm_epsilon": 1e-12,
        "max_trained_positions": 128, "mlp_fc1_bias": False, "mlp_fc2_bias": False, "model_type": "nomic_bert",
        "n_embd": 32, "n_head": 4, "n_inner": 48, "n_layer": 2, "n_positions": 128, "pad_vocab_size_multiple": 64,
        "parallel_block": False, "prenorm": False, "qkv_proj_bias": False, "rotary_emb_base": 1000,
        "rotary_emb_fraction": 1.0, "rotary_emb_interleaved": False, "rotary_emb_scale_base": None,
        "rotary_scaling_factor": None, "scale_attn_by_inverse_layer_idx": False, "scale_attn_weights": True,
        "type_vocab_size": 2, "use_rms_norm": False, "vocab_size": 64,
    }
    (OUT / "config.json").write_text(json.dumps(hub_config, indent=2) + "\n")
    generator = torch.Generator().manual_seed(9301)
    cases = []
    for length in (1, 2, 9, 33, 100):
        ids = torch.randint(0, 64, (length,), generator=generator).tolist()
        types = torch.randint(0, 2, (length,), generator=generator).tolist()
        with torch.no_grad():
            hidden = model(input_ids=torch.tensor([ids]), token_type_ids=torch.tensor([types])).last_hidden_state[0]
        cases.append({"ids": ids, "type_ids": types,
                      "hidden_states": [[float(f"{v:.9g}") for v in row] for row in hidden.tolist()]})
    (OUT / "reference.json").write_text(json.dumps({
        "made_by": "scripts/make_tiny_nomic_bert_fixtures.py", "torch": torch.__version__,
        "transformers_config": transformers_config, "cases": cases}))
    print(OUT, sum(f.stat().st_size for f in OUT.iterdir()), "bytes")


if __name__ == "__main__":
    torch.set_num_threads(1)
    main()
