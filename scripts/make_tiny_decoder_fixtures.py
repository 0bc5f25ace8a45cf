#!/usr/bin/env python3
"""Makes tiny random-weight decoder checkpoints and their PyTorch reference logits and greedy generations.

Writes, under Tests/Fixtures/tiny-decoders/<name>/:
  config.json, model.safetensors   save_pretrained of the *ForCausalLM model (fp32)
  logits.npy                       float32 [1 + steps, vocab]: the logits of the last prompt position, then of
                                   each cached one-token step (transformers' DynamicCache), eager attention
  reference.json                   the prompt and step token ids those logits were made from; greedy runs
                                   (`generate(do_sample=False, max_new_tokens=20)`, no EOS) with their prompts and
                                   new tokens and the smallest top-1/top-2 logit gap seen (a gap near 0 would make
                                   the token comparison fragile); the RoPE inverse frequencies and attention
                                   scaling transformers computed for each layer type
for these models (sizes tiny: vocab 128, hidden 32, 2–3 layers, GQA 4 query / 2 key-value heads):
  gpt2             learned positions, Conv1D weights, tied lm_head, scale_attn_by_inverse_layer_idx
  llama            tied embeddings, default RoPE
  llama-llama3     untied lm_head, rope_scaling llama3 (factor 8, original_max_position_embeddings 16)
  llama-linear     tied, rope_scaling linear (factor 2)
  mistral          sliding_window 6 (prompt and decode run past it)
  qwen2            q/k/v biases
  qwen3            per-head q/k RMSNorm, head_dim 16 ≠ hidden / heads
  gemma3           gemma3_text: (1 + w) norms, layer_types sliding/full/sliding with window 5, local and global
                   RoPE bases, query_pre_attn_scalar 12, final logit softcapping (and attn_logit_softcapping,
                   which transformers' Gemma 3 attention never applies)
Initialiser std 0.3 and randomised norm weights, so wrong masking, RoPE or normalisation shows in the logits.

Also writes Tests/Fixtures/tiny-decoders/rope-variants.json: for realistic RoPE configurations of every variant Apus
implements (Llama 3.1's llama3, YaRN with and without mscale, dynamic NTK, linear, partial rotary), the config.json
keys and the inverse frequencies and attention scaling transformers' ROPE_INIT_FUNCTIONS compute from them.

Run: /work/venv-dev/bin/python scripts/make_tiny_decoder_fixtures.py   (or .venv/bin/python after setup-dev-venv.sh)
"""
import json
import pathlib

import numpy as np
import torch
from transformers import (Gemma3ForCausalLM, Gemma3TextConfig, GPT2Config, GPT2LMHeadModel, LlamaConfig,
                          LlamaForCausalLM, MistralConfig, MistralForCausalLM, Qwen2Config, Qwen2ForCausalLM,
                          Qwen3Config, Qwen3ForCausalLM)
from transformers.cache_utils import DynamicCache

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "Fixtures" / "tiny-decoders"
VOCAB = 128
STEPS = 20
DECODER = dict(vocab_size=VOCAB, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
               num_key_value_heads=2, max_position_embeddings=64, initializer_range=0.3, rms_norm_eps=1e-6,
               bos_token_id=1, eos_token_id=2, pad_token_id=0, attn_implementation="eager")


def randomise_norms(model: torch.nn.Module, centre: float) -> None:
    """Norm scales start at 1 (Gemma: 0); randomise them so a skipped, swapped or misapplied norm shows."""
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if "norm" in name or name.split(".")[-2].startswith("ln_"):
                if name.endswith("weight"):
                    parameter.copy_(torch.randn_like(parameter) * 0.3 + centre)
                else:
                    parameter.copy_(torch.randn_like(parameter) * 0.3)


def rope_parameters(model: torch.nn.Module) -> dict:
    rotary = getattr(getattr(model, "model", None), "rotary_emb", None)
    if rotary is None:
        return {}
    if hasattr(rotary, "inv_freq"):
        return {"default": {"inv_freq": rotary.inv_freq.tolist(), "attention_scaling": rotary.attention_scaling}}
    return {layer_type: {"inv_freq": getattr(rotary, f"{layer_type}_inv_freq").tolist(),
                         "attention_scaling": getattr(rotary, f"{layer_type}_attention_scaling")}
            for layer_type in rotary.layer_types}


def write(name: str, model: torch.nn.Module, seed: int) -> None:
    model.eval()
    out = OUT / name
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    (out / "generation_config.json").unlink(missing_ok=True)

    generator = torch.Generator().manual_seed(seed)
    prompt = torch.randint(3, VOCAB, (1, 8), generator=generator)
    steps = torch.randint(3, VOCAB, (STEPS,), generator=generator)
    rows = []
    with torch.no_grad():
        cache = DynamicCache(config=model.config)
        output = model(input_ids=prompt, past_key_values=cache, use_cache=True)
        rows.append(output.logits[0, -1])
        for token in steps:
            output = model(input_ids=token.view(1, 1), past_key_values=output.past_key_values, use_cache=True)
            rows.append(output.logits[0, -1])
    np.save(out / "logits.npy", torch.stack(rows).numpy().astype("<f4"))

    model.generation_config.eos_token_id = None
    model.generation_config.pad_token_id = 0
    greedy = []
    for length in (1, 5, 12):
        ids = torch.randint(3, VOCAB, (1, length), generator=generator)
        with torch.no_grad():
            result = model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False, max_new_tokens=STEPS,
                                    min_new_tokens=STEPS, output_logits=True, return_dict_in_generate=True)
        gaps = [float(torch.topk(step[0], 2).values.diff().abs()) for step in result.logits]
        greedy.append({"prompt": ids[0].tolist(), "new_tokens": result.sequences[0, length:].tolist(),
                       "smallest_top2_gap": min(gaps)})
    reference = {"made_by": "scripts/make_tiny_decoder_fixtures.py", "torch": torch.__version__,
                 "prompt": prompt[0].tolist(), "steps": steps.tolist(), "greedy": greedy, "rope": rope_parameters(model)}
    (out / "reference.json").write_text(json.dumps(reference, indent=1))
    size = sum(f.stat().st_size for f in out.iterdir())
    print(f"{name}: {size} bytes, smallest greedy gap {min(g['smallest_top2_gap'] for g in greedy):.4f}")


def rope_variants() -> None:
    from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS
    variants = [
        ("llama3.1", dict(hidden_size=4096, num_attention_heads=32, max_position_embeddings=131072, rope_parameters={
            "rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0,
            "high_freq_factor": 4.0, "original_max_position_embeddings": 8192})),
        ("yarn", dict(hidden_size=2048, num_attention_heads=16, max_position_embeddings=131072, rope_parameters={
            "rope_type": "yarn", "rope_theta": 1000000.0, "factor": 4.0, "original_max_position_embeddings": 32768})),
        ("yarn-mscale", dict(hidden_size=1024, num_attention_heads=16, max_position_embeddings=163840, rope_parameters={
            "rope_type": "yarn", "rope_theta": 10000.0, "factor": 40.0, "original_max_position_embeddings": 4096,
            "mscale": 1.0, "mscale_all_dim": 0.707, "beta_fast": 32, "beta_slow": 1})),
        ("dynamic", dict(hidden_size=2048, num_attention_heads=32, max_position_embeddings=4096, rope_parameters={
            "rope_type": "dynamic", "rope_theta": 10000.0, "factor": 2.0})),
        ("linear", dict(hidden_size=2560, num_attention_heads=32, max_position_embeddings=8192, rope_parameters={
            "rope_type": "linear", "rope_theta": 10000.0, "factor": 4.0})),
        ("partial", dict(hidden_size=2048, num_attention_heads=32, max_position_embeddings=2048, rope_parameters={
            "rope_type": "default", "rope_theta": 25000.0, "partial_rotary_factor": 0.25})),
    ]
    cases = []
    for name, keys in variants:
        config = LlamaConfig(vocab_size=8, intermediate_size=8, num_hidden_layers=1, **keys)
        kind = config.rope_parameters["rope_type"]
        if kind == "default":
            from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding
            rotary = LlamaRotaryEmbedding(config)
            partial = config.rope_parameters.get("partial_rotary_factor", 1.0)
            head = config.hidden_size // config.num_attention_heads
            dim = int(head * partial)
            base = config.rope_parameters["rope_theta"]
            inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
            scaling = 1.0
        else:
            inv_freq, scaling = ROPE_INIT_FUNCTIONS[kind](config)
        cases.append({"name": name, "head_dim": config.hidden_size // config.num_attention_heads,
                      "max_position_embeddings": config.max_position_embeddings, "rope_parameters": keys["rope_parameters"],
                      "inv_freq": inv_freq.tolist(), "attention_scaling": float(scaling)})
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "rope-variants.json").write_text(json.dumps({"made_by": "scripts/make_tiny_decoder_fixtures.py",
                                                        "cases": cases}, indent=1))


def main() -> None:
    rope_variants()
    torch.manual_seed(20)
    gpt2 = GPT2LMHeadModel(GPT2Config(vocab_size=VOCAB, n_embd=32, n_layer=2, n_head=4, n_positions=64,
                                      initializer_range=0.3, scale_attn_by_inverse_layer_idx=True,
                                      bos_token_id=1, eos_token_id=2, attn_implementation="eager"))
    randomise_norms(gpt2, 1.0)
    write("gpt2", gpt2, seed=1)

    torch.manual_seed(21)
    llama = LlamaForCausalLM(LlamaConfig(**DECODER, tie_word_embeddings=True))
    randomise_norms(llama, 1.0)
    write("llama", llama, seed=2)

    torch.manual_seed(22)
    llama3 = LlamaForCausalLM(LlamaConfig(**DECODER, tie_word_embeddings=False, rope_parameters={
        "rope_type": "llama3", "rope_theta": 10000.0, "factor": 8.0, "low_freq_factor": 1.0,
        "high_freq_factor": 4.0, "original_max_position_embeddings": 16}))
    randomise_norms(llama3, 1.0)
    write("llama-llama3", llama3, seed=3)

    torch.manual_seed(23)
    linear = LlamaForCausalLM(LlamaConfig(**DECODER, tie_word_embeddings=True, rope_parameters={
        "rope_type": "linear", "rope_theta": 500.0, "factor": 2.0}))
    randomise_norms(linear, 1.0)
    write("llama-linear", linear, seed=4)

    torch.manual_seed(24)
    mistral = MistralForCausalLM(MistralConfig(**DECODER, sliding_window=6, tie_word_embeddings=False))
    randomise_norms(mistral, 1.0)
    write("mistral", mistral, seed=5)

    torch.manual_seed(25)
    qwen2 = Qwen2ForCausalLM(Qwen2Config(**DECODER, tie_word_embeddings=True))
    with torch.no_grad():  # biases start at zero; make them count
        for layer in qwen2.model.layers:
            for projection in (layer.self_attn.q_proj, layer.self_attn.k_proj, layer.self_attn.v_proj):
                projection.bias.copy_(torch.randn_like(projection.bias) * 0.3)
    randomise_norms(qwen2, 1.0)
    write("qwen2", qwen2, seed=6)

    torch.manual_seed(26)
    qwen3 = Qwen3ForCausalLM(Qwen3Config(**DECODER, head_dim=16, tie_word_embeddings=False))
    randomise_norms(qwen3, 1.0)
    write("qwen3", qwen3, seed=7)

    torch.manual_seed(27)
    gemma_sizes = {key: value for key, value in DECODER.items() if key != "rms_norm_eps"}
    gemma = Gemma3ForCausalLM(Gemma3TextConfig(
        **{**gemma_sizes, "num_hidden_layers": 3}, head_dim=16, query_pre_attn_scalar=12, sliding_window=5,
        layer_types=["sliding_attention", "full_attention", "sliding_attention"],
        rope_parameters={"sliding_attention": {"rope_type": "default", "rope_theta": 10000.0},
                         "full_attention": {"rope_type": "default", "rope_theta": 100.0}},
        attn_logit_softcapping=5.0, final_logit_softcapping=3.0, hidden_activation="gelu_pytorch_tanh",
        rms_norm_eps=1e-6, tie_word_embeddings=True))
    randomise_norms(gemma, 0.0)
    write("gemma3", gemma, seed=8)


if __name__ == "__main__":
    main()
