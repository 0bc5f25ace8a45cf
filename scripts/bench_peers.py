#!/usr/bin/env python3
"""Embedding throughput of sentence-transformers, and side by side with Apus (`apus embed`), on a real corpus.

Embeds the first N texts (default 2000) of a corpus file, one text per line (default .cache/bench/corpus.txt,
made by scripts/make_bench_corpus.py), with all-MiniLM-L6-v2 (default .cache/models/all-MiniLM-L6-v2, made by
scripts/fetch-minilm.sh), batch size 32, max length 256, T threads (default 2), R repeats (default 3).

  sentence-transformers  timed around `SentenceTransformer.encode` only: the model is loaded once, before the
                         runs, and warmed up on one batch.
  Apus (--apus-binary)   timed as a whole process: `apus embed --model M --input FILE --batch-size 32
                         --max-length 256 --threads T --output OUT.npy`, i.e. including loading the weights,
                         tokenising and writing the .npy. Its start-up cost (the same command on one text) is
                         measured once and reported separately. Runs alternate Apus, Python, Apus, Python...
                         so that both see the same machine conditions.

Prints JSON lines on stdout: one {"event": "run", ...} per timed run, then one {"event": "summary", ...} with the
medians (seconds, sentences/s, tokens/s; tokens are WordPiece tokens including [CLS]/[SEP] after truncation)
and, with Apus, the ratio apus_speedup = python seconds / apus seconds. With --check, also one
{"event": "check", ...} comparing Apus's vectors with sentence-transformers' (cosine, max |difference|).
Progress goes to stderr.

Run (dev venv: scripts/setup-dev-venv.sh):
  .venv/bin/python scripts/bench_peers.py                                   # sentence-transformers alone
  .venv/bin/python scripts/bench_peers.py --apus-binary .build/release/apus --check
  .venv/bin/python scripts/bench_peers.py --texts 500 --threads 1 --repeats 5 --apus-binary .build/release/apus
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Embedding throughput: sentence-transformers, and Apus side by side.")
    parser.add_argument("--corpus", default=str(ROOT / ".cache/bench/corpus.txt"), help="one text per line")
    parser.add_argument("--model", default=str(ROOT / ".cache/models/all-MiniLM-L6-v2"), help="Hub-layout model folder")
    parser.add_argument("--texts", type=int, default=2000, help="embed the first N lines (default 2000)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--apus-binary", help="path of the `apus` executable; runs it alternately with Python")
    parser.add_argument("--check", action="store_true",
                        help="compare Apus's vectors with sentence-transformers' (needs --apus-binary)")
    args = parser.parse_args()
    if args.check and not args.apus_binary:
        parser.error("--check compares Apus's output and needs --apus-binary")
    if min(args.texts, args.batch_size, args.max_length, args.threads, args.repeats) < 1:
        parser.error("--texts, --batch-size, --max-length, --threads and --repeats must be at least 1")
    return args


def read_corpus(path: str, count: int) -> list:
    # Split on "\n" only, as `apus embed --input` does (str.splitlines would also split on \x0c, U+2028, ...).
    lines = pathlib.Path(path).read_text(encoding="utf-8").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    texts = [line[:-1] if line.endswith("\r") else line for line in lines[:count]]
    if len(texts) < count:
        print(f"bench_peers: {path} has only {len(texts)} texts, using them all", file=sys.stderr)
    return texts


def emit(record: dict) -> None:
    print(json.dumps(record), flush=True)


def rates(label: str, seconds: float, texts: int, tokens: int) -> dict:
    return {f"{label}_seconds": round(seconds, 4), f"{label}_sentences_per_second": round(texts / seconds, 2),
            f"{label}_tokens_per_second": round(tokens / seconds, 1)}


def run_apus(command: list) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"bench_peers: {' '.join(command)} exited with {result.returncode}:\n{result.stderr}")
    return seconds


def main() -> None:
    args = parse_arguments()
    # Thread counts must be fixed before torch starts its pools.
    for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[variable] = str(args.threads)
    import numpy as np
    import sentence_transformers
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(args.threads)
    texts = read_corpus(args.corpus, args.texts)
    model = SentenceTransformer(args.model, device="cpu")
    model.max_seq_length = args.max_length
    encoded = model.tokenizer(texts, truncation=True, max_length=args.max_length)
    tokens = sum(len(ids) for ids in encoded["input_ids"])
    print(f"bench_peers: {len(texts)} texts, {tokens} tokens after truncation to {args.max_length}", file=sys.stderr)
    model.encode(texts[: args.batch_size], batch_size=args.batch_size)  # warm-up, not timed

    python_times, apus_times = [], []
    reference = None
    with tempfile.TemporaryDirectory(prefix="apus-bench-") as scratch:
        input_path = pathlib.Path(scratch) / "texts.txt"
        input_path.write_text("\n".join(texts) + "\n", encoding="utf-8", newline="\n")
        output_path = pathlib.Path(scratch) / "vectors.npy"
        startup = None
        if args.apus_binary:
            def command(source: pathlib.Path, destination: pathlib.Path) -> list:
                return [args.apus_binary, "embed", "--model", args.model, "--input", str(source),
                        "--batch-size", str(args.batch_size), "--max-length", str(args.max_length),
                        "--threads", str(args.threads), "--output", str(destination)]
            one_text = pathlib.Path(scratch) / "one.txt"
            one_text.write_text(texts[0] + "\n", encoding="utf-8", newline="\n")
            run_apus(command(one_text, pathlib.Path(scratch) / "one.npy"))  # warm-up: page cache, dynamic loader
            startup = run_apus(command(one_text, pathlib.Path(scratch) / "one.npy"))
            apus_command = command(input_path, output_path)

        for repeat in range(args.repeats):
            if args.apus_binary:
                seconds = run_apus(apus_command)
                apus_times.append(seconds)
                emit({"event": "run", "engine": "apus", "repeat": repeat, **rates("wall", seconds, len(texts), tokens)})
            start = time.perf_counter()
            reference = model.encode(texts, batch_size=args.batch_size, convert_to_numpy=True)
            seconds = time.perf_counter() - start
            python_times.append(seconds)
            emit({"event": "run", "engine": "sentence-transformers", "repeat": repeat,
                  **rates("encode", seconds, len(texts), tokens)})
        ours = np.load(output_path) if args.check else None

    summary = {"event": "summary", "texts": len(texts), "tokens": tokens, "threads": args.threads,
               "batch_size": args.batch_size, "max_length": args.max_length, "repeats": args.repeats,
               "torch": torch.__version__, "sentence_transformers": sentence_transformers.__version__,
               **rates("sentence_transformers_median", statistics.median(python_times), len(texts), tokens)}
    if args.apus_binary:
        apus = statistics.median(apus_times)
        summary.update(rates("apus_median", apus, len(texts), tokens))
        summary["apus_startup_seconds"] = round(startup, 4)
        summary["apus_speedup"] = round(statistics.median(python_times) / apus, 3)
    emit(summary)

    if ours is not None:
        if ours.shape != reference.shape:
            raise SystemExit(f"bench_peers: apus wrote shape {ours.shape}, sentence-transformers gives {reference.shape}")
        ours64, reference64 = ours.astype(np.float64), reference.astype(np.float64)
        norms = np.linalg.norm(ours64, axis=1) * np.linalg.norm(reference64, axis=1)
        cosines = (ours64 * reference64).sum(axis=1) / np.maximum(norms, 1e-30)
        differences = np.abs(ours64 - reference64).max(axis=1)
        emit({"event": "check", "texts": len(texts), "min_cosine": float(cosines.min()),
              "mean_cosine": float(cosines.mean()), "worst_cosine_index": int(cosines.argmin()),
              "max_abs_difference": float(differences.max()), "worst_difference_index": int(differences.argmax())})


if __name__ == "__main__":
    main()
