#!/usr/bin/env python3
"""PyTorch `.bin` checkpoints for PyTorchCheckpoint's tests, written by torch itself.

Writes into Tests/Fixtures/pytorch-bin/:

  tiny-bert/            Tests/Fixtures/tiny-bert-gelu's weights re-saved by torch.save as pytorch_model.bin (and its
                        config.json): the Swift test loads it through WeightStore and compares every tensor with the
                        safetensors file bit for bit, then runs the model against the same reference.
  tiny-bert-sharded/    the same state dict split over three pytorch_model-0000N-of-00003.bin files with the
                        pytorch_model.bin.index.json transformers 4.x wrote for torch shards.
  views.bin             tensors that exercise the reader: float16, bfloat16, int64, a transposed (strided) view, a
                        slice with a storage offset, two tensors sharing one storage, an nn.Parameter, a 0-d scalar,
                        an empty tensor. views.json holds each float tensor's values (row-major, as float64 lists).
  legacy.bin            the pre-1.6 format (_use_new_zipfile_serialization=False): must be refused with advice.
  os-system.bin         a torch.save zip whose data.pkl is a pickle that calls os.system (GLOBAL + REDUCE): refused.
  eval-stack-global.bin the same attack through STACK_GLOBAL builtins.eval (protocol 4).
  newobj.bin            a state dict holding an arbitrary object (NEWOBJ of a class from the pickle): refused.

Run with the dev venv (torch, transformers, safetensors): /work/venv-dev/bin/python scripts/make_pytorch_bin_fixtures.py
Nothing here is executed by the tests; the malicious pickles are inert bytes that Apus must refuse to interpret.
"""
import collections
import io
import json
import pathlib
import pickle
import shutil
import zipfile

import torch
from safetensors.torch import load_file

ROOT = pathlib.Path(__file__).resolve().parent.parent
SOURCE = ROOT / "Tests" / "Fixtures" / "tiny-bert-gelu"
OUT = ROOT / "Tests" / "Fixtures" / "pytorch-bin"


def tiny_bert():
    state = load_file(SOURCE / "model.safetensors")
    single = OUT / "tiny-bert"
    single.mkdir(parents=True, exist_ok=True)
    # As `model.state_dict()` returns it: an OrderedDict carrying a `_metadata` attribute (pickled with BUILD).
    ordered = collections.OrderedDict(sorted(state.items()))
    ordered._metadata = collections.OrderedDict([("", {"version": 1}), ("encoder", {"version": 1})])
    torch.save(ordered, single / "pytorch_model.bin")
    shutil.copy(SOURCE / "config.json", single / "config.json")

    # transformers 5 always writes safetensors shards, so shard the way its torch path did (4.x
    # `save_pretrained(safe_serialization=False)`): pytorch_model-0000N-of-0000M.bin files and an index whose
    # weight_map names each tensor's shard.
    sharded = OUT / "tiny-bert-sharded"
    if sharded.exists():
        shutil.rmtree(sharded)
    sharded.mkdir(parents=True)
    names = sorted(state)
    groups = [names[i::3] for i in range(3)]
    weight_map = {}
    for index, group in enumerate(groups, start=1):
        shard = f"pytorch_model-{index:05d}-of-{len(groups):05d}.bin"
        torch.save({name: state[name] for name in group}, sharded / shard)
        weight_map.update({name: shard for name in group})
    total = sum(t.numel() * t.element_size() for t in state.values())
    index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
    (sharded / "pytorch_model.bin.index.json").write_text(json.dumps(index, indent=2) + "\n")
    shutil.copy(SOURCE / "config.json", sharded / "config.json")


def views():
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6) / 7
    shared = torch.linspace(-1, 1, 10)
    tensors = {
        "half": torch.tensor([[0.5, -2.0, 65504.0], [1e-3, 0.0, -0.0]], dtype=torch.float16),
        "bf16": torch.tensor([1.5, -3.25, 1e30], dtype=torch.bfloat16),
        "ids": torch.arange(5, dtype=torch.int64),
        "transposed": base.t(),                 # stride (1, 6)
        "sliced": base[1:3, 2:5],               # storage offset 8, stride (6, 1)
        "shared.first": shared[:4],
        "shared.second": shared[5:].reshape(5, 1),
        "parameter": torch.nn.Parameter(torch.tensor([[2.0, 4.0]])),
        "scalar": torch.tensor(3.5),
        "empty": torch.zeros(0, 3),
    }
    torch.save(tensors, OUT / "views.bin")
    values = {name: t.detach().to(torch.float64).reshape(-1).tolist() for name, t in tensors.items() if t.is_floating_point()}
    shapes = {name: list(t.shape) for name, t in tensors.items()}
    (OUT / "views.json").write_text(json.dumps({"values": values, "shapes": shapes}, indent=1) + "\n")
    torch.save({"w": torch.ones(2)}, OUT / "legacy.bin", _use_new_zipfile_serialization=False)


class Payload:
    """An arbitrary object: its pickle rebuilds it with copyreg.__newobj__ / NEWOBJ."""


def zip_with_pickle(name, payload):
    """A torch.save-shaped zip (archive/data.pkl, archive/version) around `payload`."""
    with zipfile.ZipFile(OUT / name, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("archive/data.pkl", payload)
        archive.writestr("archive/version", "3\n")
        archive.writestr("archive/byteorder", "little")


def malicious():
    # GLOBAL 'os system' + REDUCE, protocol 2: what a classic "pickle bomb" checkpoint contains.
    os_system = b"\x80\x02cos\nsystem\nX\x0b\x00\x00\x00echo pwned\x85R."
    zip_with_pickle("os-system.bin", os_system)
    # STACK_GLOBAL builtins.eval, protocol 4.
    builtin = b"\x80\x04\x8c\x08builtins\x94\x8c\x04eval\x94\x93\x8c\x0bprint('hi')\x94\x85R."
    zip_with_pickle("eval-stack-global.bin", builtin)

    stream = io.BytesIO()
    pickle.Pickler(stream, protocol=2).dump({"w": Payload()})
    zip_with_pickle("newobj.bin", stream.getvalue())


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    tiny_bert()
    views()
    malicious()
    for path in sorted(OUT.rglob("*")):
        if path.is_file():
            print(path.relative_to(ROOT), path.stat().st_size)
