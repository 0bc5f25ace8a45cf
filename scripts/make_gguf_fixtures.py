"""Writes the small GGUF fixtures of Tests/Fixtures/gguf/ (a few KB each; run from the repository root):

  dequantization/<TYPE>.bin, <TYPE>.f32  random blocks of each ggml type Apus dequantises (random bytes with
      finite fp16/fp32 scale fields) and their values as little-endian float32, from gguf-py's
      `gguf.quants.dequantize` — the function transformers' GGUF loader calls. Q8_K has no gguf-py
      dequantiser; its values come from ggml's `dequantize_row_q8_K` formula (d · q) written here in numpy.
  tiny-llama.gguf  a one-layer Llama (hidden 32, 4 heads, 2 KV heads, head_dim 8, intermediate 64, 40 tokens)
      written with gguf-py's GGUFWriter the way llama.cpp's convert_hf_to_gguf.py writes one: q/k rows permuted
      (`LlamaModel.permute`), tensors of types F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, a byte-level BPE
      tokenizer in the metadata, and one metadata key of every GGUF value type.
  tiny-llama-expected/  what transformers 5.x makes of tiny-llama.gguf: config.json, model.safetensors
      (every tensor, fp32) and tokenizer.json (`from_pretrained(dir, gguf_file=...)`, state dict copied into
      `from_config`, `save_pretrained`).
  tiny-sentencepiece.gguf  tokenizer metadata only: a SentencePiece (`llama`) vocabulary of <unk>, <s>, </s>, the 256
      byte tokens, 21 scored pieces and one user-defined token, with no merges (transformers recovers them from the
      scores); tiny-sentencepiece-expected/tokenizer.json is transformers' conversion.
  tiny-qwen2.gguf, tiny-qwen3.gguf, tiny-gpt2.gguf (+ -expected/ with config.json and model.safetensors): one-layer
      decoders of the other architectures Apus maps, written the way convert_hf_to_gguf.py writes them (Qwen: no
      permutation, q/k/v biases for Qwen2, q_norm/k_norm and key_length for Qwen3 — head_dim 128, Qwen3Config's
      default, because transformers does not read key_length for qwen3; GPT-2: fused attn_qkv and the Conv1D
      weights stored transposed), with transformers' conversions.
  tiny-llama-metadata.json  every metadata key of tiny-llama.gguf as gguf-py's GGUFReader reads it, with types.

Run: /work/venv-dev/bin/python scripts/make_gguf_fixtures.py   (numpy, gguf 0.19, torch, transformers 5.x)
"""

import json
import os
import shutil
import sys
import tempfile

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T

OUT = os.path.join("Tests", "Fixtures", "gguf")
SEED = 1234

# Byte offsets of each type's fp16 scale fields (ggml-common.h), set to finite values in the random blocks.
HALF_FIELDS = {
    T.Q4_0: [0], T.Q4_1: [0, 2], T.Q5_0: [0], T.Q5_1: [0, 2], T.Q8_0: [0],
    T.Q2_K: [80, 82], T.Q3_K: [108], T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208],
}
BLOCKS = 6


def random_blocks(rng, qtype):
    block_size, type_size = gguf.GGML_QUANT_SIZES[qtype]
    if qtype == T.F16:
        values = rng.standard_normal(BLOCKS * 32).astype(np.float16)
        values[:4] = np.array([0.0, -0.0, 6.0e-8, 65504.0], dtype=np.float16)  # zero, negative zero, subnormal, max
        return values.view(np.uint8).reshape(-1), values.size
    if qtype == T.BF16:
        values = (rng.standard_normal(BLOCKS * 32).astype(np.float32).view(np.uint32) >> 16).astype(np.uint16)
        return values.view(np.uint8).reshape(-1), values.size
    raw = rng.integers(0, 256, size=(BLOCKS, type_size), dtype=np.uint8)
    for offset in HALF_FIELDS.get(qtype, []):
        half = (rng.standard_normal(BLOCKS) * 0.05).astype(np.float16)
        raw[:, offset:offset + 2] = half.view(np.uint8).reshape(BLOCKS, 2)
    if qtype == T.Q8_K:
        raw[:, 0:4] = (rng.standard_normal(BLOCKS) * 0.01).astype(np.float32).view(np.uint8).reshape(BLOCKS, 4)
    return raw.reshape(-1), BLOCKS * block_size


def write_dequantization(rng):
    directory = os.path.join(OUT, "dequantization")
    os.makedirs(directory, exist_ok=True)
    for qtype in [T.F16, T.BF16, T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q8_0, T.Q2_K, T.Q3_K, T.Q4_K, T.Q5_K, T.Q6_K, T.Q8_K]:
        raw, count = random_blocks(rng, qtype)
        if qtype == T.Q8_K:
            blocks = raw.reshape(BLOCKS, -1)
            d = blocks[:, 0:4].copy().view(np.float32)
            q = blocks[:, 4:260].copy().view(np.int8).astype(np.float32)
            values = (d * q).reshape(-1)
        else:
            values = gguf.quants.dequantize(raw, qtype).reshape(-1)
        assert values.size == count and np.all(np.isfinite(values)), qtype.name
        raw.tofile(os.path.join(directory, f"{qtype.name}.bin"))
        values.astype("<f4").tofile(os.path.join(directory, f"{qtype.name}.f32"))


# A one-layer Llama, small enough to commit with every converted tensor.
HIDDEN, HEADS, KV_HEADS, INTERMEDIATE = 32, 4, 2, 64
HEAD_DIM = HIDDEN // HEADS


def llama_permute(weights, n_head, n_head_kv):
    """convert_hf_to_gguf.py's LlamaModel.permute, reimplemented: the rotary halves of each head interleaved."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return (weights.reshape(n_head, 2, weights.shape[0] // n_head // 2, *weights.shape[1:])
            .swapaxes(1, 2).reshape(weights.shape))


def tiny_vocabulary():
    """A byte-level BPE vocabulary: three control tokens, single characters, a few merges, one user-defined token."""
    tokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    singles = list("abcdehlorstw") + ["Ġ", "Ċ", "0", "1", "2", "!"]
    tokens += singles
    merges = ["Ġ t", "h e", "l l", "Ġt he", "e r", "ll o", "Ġ w", "o r", "Ġw or", "l d", "Ġwor ld", "he llo"]
    for merge in merges:
        tokens.append(merge.replace(" ", ""))
    tokens += ["<think>"]
    types = [3, 3, 3] + [1] * (len(tokens) - 4) + [4]
    while len(tokens) < 40:
        tokens.append(f"[PAD{len(tokens)}]")
        types.append(5)  # UNUSED
    return tokens, types, merges


def write_tiny_llama(rng):
    path = os.path.join(OUT, "tiny-llama.gguf")
    tokens, token_types, merges = tiny_vocabulary()
    writer = gguf.GGUFWriter(path, "llama")
    writer.add_name("tiny llama")
    writer.add_context_length(128)
    writer.add_embedding_length(HIDDEN)
    writer.add_block_count(1)
    writer.add_feed_forward_length(INTERMEDIATE)
    writer.add_rope_dimension_count(HEAD_DIM)
    writer.add_head_count(HEADS)
    writer.add_head_count_kv(KV_HEADS)
    writer.add_rope_freq_base(10000.0)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_vocab_size(len(tokens))
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_Q8_0)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("smollm")
    writer.add_token_list(tokens)
    writer.add_token_types(token_types)
    writer.add_token_merges(merges)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_unk_token_id(0)
    writer.add_pad_token_id(2)
    writer.add_add_bos_token(False)
    writer.add_chat_template("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}")
    # One key of every value type, for the reader's tests.
    writer.add_uint8("test.uint8", 200)
    writer.add_int8("test.int8", -100)
    writer.add_uint16("test.uint16", 60000)
    writer.add_int16("test.int16", -30000)
    writer.add_uint32("test.uint32", 4000000000)
    writer.add_int32("test.int32", -2000000000)
    writer.add_uint64("test.uint64", 2**63 + 5)
    writer.add_int64("test.int64", -(2**62))
    writer.add_float32("test.float32", 0.1)
    writer.add_float64("test.float64", 0.1)
    writer.add_bool("test.bool", True)
    writer.add_string("test.string", "naïve 😀")
    writer.add_array("test.int_array", [1, -2, 3])
    writer.add_array("test.float_array", [0.5, -1.25])
    writer.add_array("test.empty_array", [])

    def weight(*shape):
        return (rng.standard_normal(shape) * 0.5).astype(np.float32)

    def add(name, values, qtype):
        if qtype in (T.F32,):
            writer.add_tensor(name, values)
        elif qtype == T.F16:
            writer.add_tensor(name, values.astype(np.float16))
        else:
            data = gguf.quants.quantize(values, qtype)
            writer.add_tensor(name, data, raw_shape=data.shape, raw_dtype=qtype)

    vocabulary = len(tokens)
    add("token_embd.weight", weight(vocabulary, HIDDEN), T.Q8_0)
    add("blk.0.attn_norm.weight", 1 + weight(HIDDEN) * 0.2, T.F32)
    add("blk.0.attn_q.weight", llama_permute(weight(HIDDEN, HIDDEN), HEADS, HEADS), T.Q4_0)
    add("blk.0.attn_k.weight", llama_permute(weight(KV_HEADS * HEAD_DIM, HIDDEN), HEADS, KV_HEADS), T.Q4_1)
    add("blk.0.attn_v.weight", weight(KV_HEADS * HEAD_DIM, HIDDEN), T.F16)
    add("blk.0.attn_output.weight", weight(HIDDEN, HIDDEN), T.BF16)
    add("blk.0.ffn_norm.weight", 1 + weight(HIDDEN) * 0.2, T.F32)
    add("blk.0.ffn_gate.weight", weight(INTERMEDIATE, HIDDEN), T.Q5_0)
    add("blk.0.ffn_up.weight", weight(INTERMEDIATE, HIDDEN), T.Q5_1)
    add("blk.0.ffn_down.weight", weight(HIDDEN, INTERMEDIATE), T.Q8_0)
    add("output_norm.weight", 1 + weight(HIDDEN) * 0.2, T.F32)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def write_metadata_listing(path):
    reader = gguf.GGUFReader(path)
    listing = {}
    for key, field in reader.fields.items():
        if key.startswith("GGUF."):
            continue
        types = [t.name for t in field.types]
        listing[key] = {"types": types, "value": field.contents()}
    tensors = [{"name": t.name, "type": t.tensor_type.name, "dimensions": [int(n) for n in t.shape], "offset": int(t.data_offset - reader.data_offset)}
               for t in reader.tensors]
    with open(os.path.join(OUT, "tiny-llama-metadata.json"), "w") as out:
        json.dump({"metadata": listing, "tensors": tensors, "data_offset": int(reader.data_offset)}, out, indent=1, ensure_ascii=False)
        out.write("\n")


def convert_with_transformers(path):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    directory, name = os.path.split(path)
    target = os.path.join(OUT, name.replace(".gguf", "-expected"))
    shutil.rmtree(target, ignore_errors=True)
    tokenizer = AutoTokenizer.from_pretrained(directory, gguf_file=name)
    # transformers maps GPT-2's context_length to n_ctx only, leaving GPT2Config's n_positions at 1024 (a size
    # mismatch for this 16-position file); Apus writes n_positions too, which is passed here the same way.
    overrides = {"n_positions": 16} if name == "tiny-gpt2.gguf" else {}
    model = AutoModelForCausalLM.from_pretrained(directory, gguf_file=name, dtype=torch.float32, **overrides)
    fresh = AutoModelForCausalLM.from_config(model.config, dtype=torch.float32)
    fresh.load_state_dict(model.state_dict())
    fresh.save_pretrained(target)
    if name == "tiny-llama.gguf":
        tokenizer.save_pretrained(target)
    # Only config.json, model.safetensors and tokenizer.json are compared; the rest would be clutter.
    for extra in os.listdir(target):
        if extra not in ("config.json", "model.safetensors", "tokenizer.json"):
            os.remove(os.path.join(target, extra))


def write_tiny_decoder(rng, architecture):
    """A one-layer decoder of `architecture` (qwen2, qwen3, gpt2) with the byte-level vocabulary of tiny-llama."""
    path = os.path.join(OUT, f"tiny-{architecture}.gguf")
    tokens, token_types, merges = tiny_vocabulary()
    vocabulary = len(tokens)
    hidden, context = 32, 16
    heads, kv_heads, head_dim, intermediate = {"qwen2": (4, 2, 8, 64), "qwen3": (2, 1, 128, 32), "gpt2": (4, 4, 8, 128)}[architecture]
    writer = gguf.GGUFWriter(path, architecture)
    writer.add_name(f"tiny {architecture}")
    writer.add_context_length(context)
    writer.add_embedding_length(hidden)
    writer.add_block_count(1)
    writer.add_feed_forward_length(intermediate)
    writer.add_head_count(heads)
    if architecture == "gpt2":
        writer.add_layer_norm_eps(1e-5)
    else:
        writer.add_head_count_kv(kv_heads)
        writer.add_rope_freq_base(1000000.0)
        writer.add_layer_norm_rms_eps(1e-6)
        if architecture == "qwen3":
            writer.add_key_length(head_dim)
            writer.add_value_length(head_dim)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("qwen2" if architecture != "gpt2" else "gpt-2")
    writer.add_token_list(tokens)
    writer.add_token_types(token_types)
    writer.add_token_merges(merges)
    writer.add_bos_token_id(0)
    writer.add_eos_token_id(0)

    def weight(*shape, scale=0.5):
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    def add(name, values, qtype=T.F32):
        if qtype == T.F32:
            writer.add_tensor(name, values)
        elif qtype == T.F16:
            writer.add_tensor(name, values.astype(np.float16))
        else:
            data = gguf.quants.quantize(values, qtype)
            writer.add_tensor(name, data, raw_shape=data.shape, raw_dtype=qtype)

    add("token_embd.weight", weight(vocabulary, hidden), T.Q8_0)
    if architecture == "gpt2":
        # convert_hf_to_gguf.py stores GPT-2's Conv1D weights ([in, out]) transposed, as [out, in].
        add("position_embd.weight", weight(context, hidden), T.F16)
        for norm in ("attn_norm", "ffn_norm"):
            add(f"blk.0.{norm}.weight", 1 + weight(hidden, scale=0.1))
            add(f"blk.0.{norm}.bias", weight(hidden, scale=0.1))
        add("blk.0.attn_qkv.weight", weight(hidden, 3 * hidden).T.copy(), T.Q8_0)
        add("blk.0.attn_qkv.bias", weight(3 * hidden, scale=0.1))
        add("blk.0.attn_output.weight", weight(hidden, hidden).T.copy(), T.F16)
        add("blk.0.attn_output.bias", weight(hidden, scale=0.1))
        add("blk.0.ffn_up.weight", weight(hidden, intermediate).T.copy(), T.Q4_1)
        add("blk.0.ffn_up.bias", weight(intermediate, scale=0.1))
        add("blk.0.ffn_down.weight", weight(intermediate, hidden).T.copy(), T.Q8_0)
        add("blk.0.ffn_down.bias", weight(hidden, scale=0.1))
        add("output_norm.weight", 1 + weight(hidden, scale=0.1))
        add("output_norm.bias", weight(hidden, scale=0.1))
    else:
        add("blk.0.attn_norm.weight", 1 + weight(hidden, scale=0.1))
        add("blk.0.attn_q.weight", weight(heads * head_dim, hidden), T.Q8_0)
        add("blk.0.attn_k.weight", weight(kv_heads * head_dim, hidden), T.Q4_0)
        add("blk.0.attn_v.weight", weight(kv_heads * head_dim, hidden), T.F16)
        if architecture == "qwen2":
            for part, rows in (("attn_q", heads * head_dim), ("attn_k", kv_heads * head_dim), ("attn_v", kv_heads * head_dim)):
                add(f"blk.0.{part}.bias", weight(rows, scale=0.1))
        else:
            add("blk.0.attn_q_norm.weight", 1 + weight(head_dim, scale=0.1))
            add("blk.0.attn_k_norm.weight", 1 + weight(head_dim, scale=0.1))
        add("blk.0.attn_output.weight", weight(hidden, heads * head_dim), T.Q8_0)
        add("blk.0.ffn_norm.weight", 1 + weight(hidden, scale=0.1))
        add("blk.0.ffn_gate.weight", weight(intermediate, hidden), T.Q5_1)
        add("blk.0.ffn_up.weight", weight(intermediate, hidden), T.Q8_0)
        add("blk.0.ffn_down.weight", weight(hidden, intermediate), T.F16)
        add("output_norm.weight", 1 + weight(hidden, scale=0.1))
        add("output.weight", weight(vocabulary, hidden), T.Q8_0)  # untied
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def write_tiny_sentencepiece():
    from transformers import AutoTokenizer

    path = os.path.join(OUT, "tiny-sentencepiece.gguf")
    writer = gguf.GGUFWriter(path, "llama")
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{byte:02X}>" for byte in range(256)]
    pieces = ["\u2581", "t", "h", "e", "\u2581t", "he", "\u2581the", "l", "o", "ll", "llo", "\u2581w", "w", "r", "d", "or",
              "\u2581wor", "ld", "\u2581world", "a", "\u2581a", "<think>"]
    tokens += pieces
    scores = [0.0] * 259 + [-float(index) for index in range(len(pieces))]
    types = [2, 3, 3] + [6] * 256 + [1] * (len(pieces) - 1) + [4]
    writer.add_tokenizer_model("llama")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
    writer.add_token_types(types)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_unk_token_id(0)
    writer.add_add_eos_token(True)  # add_bos_token absent: a SentencePiece vocabulary adds BOS by default
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    target = os.path.join(OUT, "tiny-sentencepiece-expected")
    shutil.rmtree(target, ignore_errors=True)
    AutoTokenizer.from_pretrained(OUT, gguf_file="tiny-sentencepiece.gguf").save_pretrained(target)
    for extra in os.listdir(target):
        if extra != "tokenizer.json":
            os.remove(os.path.join(target, extra))


def main():
    rng = np.random.default_rng(SEED)
    os.makedirs(OUT, exist_ok=True)
    write_dequantization(rng)
    path = write_tiny_llama(rng)
    write_metadata_listing(path)
    convert_with_transformers(path)
    write_tiny_sentencepiece()
    for architecture in ("qwen2", "qwen3", "gpt2"):
        convert_with_transformers(write_tiny_decoder(rng, architecture))


if __name__ == "__main__":
    sys.exit(main())
