#!/usr/bin/env python3
"""Side-by-side embedding throughput: Apus (`apus embed`) and sentence-transformers on the same texts.

Both embed the first N lines of a corpus (default .cache/bench/corpus.txt from scripts/make_bench_corpus.py)
with batch 32, max length 256 and T threads; runs alternate R times and medians are reported.
sentence-transformers is timed around `encode` only (model already loaded); Apus is timed as a whole
process (load, tokenise, embed, write .npy), so the comparison favours the peer.
Run: .venv/bin/python scripts/bench_peers.py --apus .build/release/apus [--texts 2000] [--threads 2] [--repeats 3]
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--apus", default=str(ROOT / ".build/release/apus"))
    parser.add_argument("--model", default=str(ROOT / ".cache/models/all-MiniLM-L6-v2"))
    parser.add_argument("--corpus", default=str(ROOT / ".cache/bench/corpus.txt"))
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(args.threads)
    texts = pathlib.Path(args.corpus).read_text(encoding="utf-8").splitlines()[: args.texts]
    model = SentenceTransformer(args.model, device="cpu")
    model.max_seq_length = args.max_length
    tokens = sum(min(len(model.tokenizer(t)["input_ids"]), args.max_length) for t in texts)

    with tempfile.TemporaryDirectory() as scratch:
        input_path = pathlib.Path(scratch) / "texts.txt"
        input_path.write_text("\n".join(texts) + "\n", encoding="utf-8")
        output_path = pathlib.Path(scratch) / "vectors.npy"
        command = [args.apus, "embed", "--model", args.model, "--input", str(input_path), "--output", str(output_path),
                   "--batch-size", str(args.batch_size), "--max-length", str(args.max_length), "--threads", str(args.threads)]
        apus_times, peer_times = [], []
        reference = None
        for _ in range(args.repeats):
            start = time.perf_counter()
            subprocess.run(command, check=True)
            apus_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            reference = model.encode(texts, batch_size=args.batch_size, convert_to_numpy=True)
            peer_times.append(time.perf_counter() - start)
        ours = np.load(output_path)
        cosines = (ours * reference).sum(axis=1) / (np.linalg.norm(ours, axis=1) * np.linalg.norm(reference, axis=1))

    apus, peer = statistics.median(apus_times), statistics.median(peer_times)
    print(json.dumps({
        "texts": len(texts), "tokens": tokens, "threads": args.threads, "batch_size": args.batch_size,
        "max_length": args.max_length, "repeats": args.repeats,
        "apus_seconds_median": round(apus, 3), "apus_sentences_per_second": round(len(texts) / apus, 1),
        "sentence_transformers_seconds_median": round(peer, 3),
        "sentence_transformers_sentences_per_second": round(len(texts) / peer, 1),
        "apus_speedup": round(peer / apus, 3), "min_cosine": float(cosines.min()),
        "apus_runs": [round(t, 3) for t in apus_times], "sentence_transformers_runs": [round(t, 3) for t in peer_times],
    }, indent=2))


if __name__ == "__main__":
    main()
