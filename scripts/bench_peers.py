#!/usr/bin/env python3
"""Embedding throughput of Apus, sentence-transformers and ONNX Runtime (fp32), side by side on a real corpus.

Embeds the first N texts (default 2000) of a corpus file, one text per line (default .cache/bench/corpus.txt,
made by scripts/make_bench_corpus.py), with all-MiniLM-L6-v2 (default .cache/models/all-MiniLM-L6-v2, made by
scripts/fetch-minilm.sh): the same texts, batch size B (32), max length L (256 tokens, special tokens included)
and T threads (2) for every engine. Each timed run is one fresh process, so each gets its own peak RSS; for each
of R repeats (3) every engine runs once, in turn (apus-fp32, sentence-transformers, onnxruntime, apus-bf16, ...;
the order rotates by one each repeat), so all of them see the same machine conditions.

What is timed, inside each engine's own process (never process start-up, Python imports or model loading):
  seconds        one embedding of all N texts, after the model is loaded, has embedded the query once and has
                 warmed up on one batch (every engine, `apus bench embed` included); writing the vectors comes
                 after.
                   apus                   the embedding loop as `apus bench embed` measures it in its own process
                                          (its JSON's median_seconds of --repeats 1):
                                          APUS_BINARY bench embed --model M --input FILE --texts N --batch-size B
                                          --max-length L --threads T --repeats 1 --precision P
                                          --output VECTORS.npy --json   (plus --query Q when its help lists it)
                   sentence-transformers  `SentenceTransformer.encode` (torch.set_num_threads(T), OMP/MKL = T): it
                                          sorts the texts by length (longest first), batches, tokenises (truncate
                                          to L, pad each batch to its longest), runs, mean-pools, L2-normalises
                                          (the model's modules.json) and restores the input order
                   onnxruntime            the same steps in this file (sorted by length in characters, as
                                          sentence-transformers does), tokenised by the `tokenizers` library from
                                          the model's tokenizer.json, run by an InferenceSession (intra-op threads
                                          T, inter-op 1, graph optimisation ALL, sequential) of the ONNX export
                                          that scripts/export_minilm_onnx.py makes once, caches under
                                          .cache/bench/onnx/ and checks against PyTorch before every benchmark
  load_seconds   loading the model (and tokenizer, session), reported separately (first_vector_seconds, load
                 plus embedding the query once, is in the engines' own JSON only).
  query p50/p90  latency of embedding one short text alone (tokenise, run, pool, normalise): QUERY_TEXT below
                 for the peers, 200 runs after a few warm-up runs; Apus chooses its own unless it takes --query.
  peak RSS       the process's maximum resident set size (getrusage), whole process, Python runtime included.

Prints JSON lines on stdout: one {"event": "run", ...} per timed run; one {"event": "summary", ...} with medians
per engine, ratios and library versions; with --check, one {"event": "check", ...} per engine comparing its
vectors (of repeat 0) with sentence-transformers' (cosine min and mean over texts, max |difference|). A ratio
A_vs_B is B's median seconds / A's: "apus_fp32_vs_onnxruntime": 1.5 means Apus fp32 takes 1/1.5 of ONNX
Runtime's time. There is one per Apus precision and peer, one between Apus precisions, and
onnxruntime_vs_sentence_transformers. Tokens are WordPiece tokens including [CLS]/[SEP] after truncation, counted
once from tokenizer.json (a warning says so if an engine reports another count). A table goes to stderr: per
engine the median seconds, sentences/s, speed relative to sentence-transformers (x ST), query p50, load time and
peak RSS.

Run (dev venv: scripts/setup-dev-venv.sh; Apus: swift build -c release):
  .venv/bin/python scripts/bench_peers.py --check                            # all three, Apus fp32
  .venv/bin/python scripts/bench_peers.py --apus-precision fp32 --apus-precision bf16 --check
  .venv/bin/python scripts/bench_peers.py --engines sentence-transformers onnxruntime --texts 500 --repeats 5
This file is also its own worker: `bench_peers.py --worker sentence-transformers|onnxruntime ...` (see
parse_worker_arguments) runs one engine once and prints one JSON object with the same keys as `apus bench embed`.
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
PEERS = ("sentence-transformers", "onnxruntime")
ENGINES = ("apus",) + PEERS
REFERENCE = "sentence-transformers"  # the engine --check compares the others with
QUERY_TEXT = "How do I convert a scanned PDF document into editable text on Linux?"
QUERY_RUNS = 200
QUERY_WARMUP_RUNS = 5
RESULT_KEYS = ("engine", "precision", "texts", "tokens", "threads", "batch_size", "max_length", "load_seconds",
               "first_vector_seconds", "runs_seconds", "median_seconds", "sentences_per_second", "tokens_per_second",
               "query_latency_ms", "peak_rss_bytes")


# ----------------------------------------------------------------------------------------------------------------
# Shared by the main process, the workers and scripts/export_minilm_onnx.py


def read_corpus(path: str, count: int) -> list:
    """The first `count` lines of `path`, split on "\\n" only as `apus embed --input` does, a trailing \\r removed."""
    # str.splitlines would also split on \x0c, U+2028, ...
    lines = pathlib.Path(path).read_text(encoding="utf-8").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    texts = [line[:-1] if line.endswith("\r") else line for line in lines[:count]]
    if len(texts) < count:
        print(f"bench_peers: {path} has only {len(texts)} texts, using them all", file=sys.stderr)
    return texts


def load_tokenizer(model_dir, max_length: int, pad_to_longest: bool):
    """The model's tokenizer.json (`tokenizers`), truncating to `max_length`, padding each batch to its longest or not.

    tokenizer.json's own truncation and padding settings (all-MiniLM-L6-v2: truncate and pad to 128) are replaced:
    sentence-transformers truncates to max_seq_length and pads to the longest text of each batch.
    """
    from tokenizers import Tokenizer

    path = pathlib.Path(model_dir) / "tokenizer.json"
    if not path.is_file():
        raise SystemExit(f"bench_peers: {path} not found (the ONNX Runtime path and token counts need tokenizer.json)")
    tokenizer = Tokenizer.from_file(str(path))
    padding = tokenizer.padding  # tokenizer.json's pad token, if it names one
    tokenizer.enable_truncation(max_length=max_length)
    tokenizer.no_padding()
    if pad_to_longest:
        pad_token = padding["pad_token"] if padding else "[PAD]"
        pad_id = tokenizer.token_to_id(pad_token)
        if pad_id is None:
            raise SystemExit(f"bench_peers: {path} has no padding settings and no {pad_token!r} token")
        tokenizer.enable_padding(pad_id=pad_id, pad_token=pad_token,
                                 pad_type_id=padding["pad_type_id"] if padding else 0)  # length=None: longest
    return tokenizer


def emit(record: dict) -> None:
    """Prints one JSON line on stdout."""
    print(json.dumps(record), flush=True)


# ----------------------------------------------------------------------------------------------------------------
# Worker: one peer engine, one timed run, in its own process


def parse_worker_arguments(argv: list) -> argparse.Namespace:
    """Reads a worker's command line (the same options as `apus bench embed`, plus --onnx and --query)."""
    parser = argparse.ArgumentParser(prog="bench_peers.py --worker", description="One timed run of one peer engine.")
    parser.add_argument("--worker", required=True, choices=PEERS)
    parser.add_argument("--model", required=True, help="Hub-layout model folder")
    parser.add_argument("--input", required=True, help="texts, one per line")
    parser.add_argument("--texts", type=int, required=True, help="embed the first N lines")
    parser.add_argument("--batch-size", type=int, required=True)
    parser.add_argument("--max-length", type=int, required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--output", required=True, help="where to write the vectors (.npy, float32 [n, dim])")
    parser.add_argument("--query", default=QUERY_TEXT, help="the text whose single-query latency is measured")
    parser.add_argument("--onnx", help="the .onnx file (onnxruntime only)")
    args = parser.parse_args(argv)
    if args.worker == "onnxruntime" and not args.onnx:
        parser.error("--worker onnxruntime needs --onnx FILE")
    return args


class SentenceTransformersEngine:
    """sentence-transformers' own pipeline: SentenceTransformer.encode (Transformer, Pooling, Normalize)."""

    def __init__(self, args: argparse.Namespace):
        """Loads the model; threads are fixed here (the parent also set OMP/MKL_NUM_THREADS before torch started)."""
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging

        logging.disable_progress_bar()  # "Loading weights" bars on stderr
        torch.set_num_threads(args.threads)
        self.model = SentenceTransformer(args.model, device="cpu")
        self.model.max_seq_length = args.max_length
        self.batch_size = args.batch_size

    def embed(self, texts: list):
        """float32 [n, dim] in input order (encode sorts by length and restores the order itself)."""
        return self.model.encode(texts, batch_size=self.batch_size, convert_to_numpy=True, show_progress_bar=False)

    def embed_query(self, text: str):
        """One text alone: float32 [dim]."""
        return self.model.encode([text], batch_size=1, convert_to_numpy=True, show_progress_bar=False)[0]

    def count_tokens(self, texts: list) -> int:
        """Tokens the model sees, by sentence-transformers' own tokenizer (not timed)."""
        features = self.model.tokenizer(texts, truncation=True, max_length=self.model.max_seq_length)
        return sum(len(ids) for ids in features["input_ids"])


def require_mean_pooling_and_normalize(model_dir: pathlib.Path) -> None:
    """Exits unless modules.json is Transformer -> Pooling(mean) -> Normalize, the only head the ORT path does."""
    modules = json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
    kinds = [module["type"].rsplit(".", 1)[-1] for module in modules]
    pooling = [module for module in modules if module["type"].endswith("Pooling")]
    modes = {}
    if pooling:
        config = json.loads((model_dir / pooling[0]["path"] / "config.json").read_text(encoding="utf-8"))
        modes = {key for key, value in config.items() if key.startswith("pooling_mode_") and value is True}
    if kinds != ["Transformer", "Pooling", "Normalize"] or modes != {"pooling_mode_mean_tokens"}:
        raise SystemExit(f"bench_peers: {model_dir}/modules.json is {kinds} with pooling {sorted(modes)}; the "
                         "onnxruntime engine implements Transformer -> Pooling(mean) -> Normalize only")


class OnnxRuntimeEngine:
    """The ONNX export's last_hidden_state, then mean pooling and L2 normalisation in NumPy."""

    def __init__(self, args: argparse.Namespace):
        """Opens the session (intra-op T, inter-op 1, optimisation ALL, sequential) and the tokenizer."""
        import onnxruntime

        require_mean_pooling_and_normalize(pathlib.Path(args.model))
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = args.threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        self.session = onnxruntime.InferenceSession(args.onnx, options, providers=["CPUExecutionProvider"])
        self.tokenizer = load_tokenizer(args.model, args.max_length, pad_to_longest=True)
        self.batch_size = args.batch_size
        self.tokens_seen = 0

    def embed(self, texts: list):
        """float32 [n, dim] in input order: longest texts first in batches (as sentence-transformers), order restored."""
        import numpy as np

        self.tokens_seen = 0
        order = sorted(range(len(texts)), key=lambda index: -len(texts[index]))  # stable, by characters like ST
        batches = [self.embed_batch([texts[index] for index in order[start:start + self.batch_size]])
                   for start in range(0, len(order), self.batch_size)]
        sorted_vectors = np.concatenate(batches)
        vectors = np.empty_like(sorted_vectors)
        vectors[order] = sorted_vectors
        return vectors

    def embed_query(self, text: str):
        """One text alone: float32 [dim]."""
        return self.embed_batch([text])[0]

    def embed_batch(self, texts: list):
        """Tokenise (padded to the batch's longest), run, mean-pool over real tokens, L2-normalise: [batch, dim]."""
        import numpy as np

        encodings = self.tokenizer.encode_batch(texts)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)  # [batch, sequence]
        inputs = {"input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
                  "attention_mask": mask,
                  "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64)}
        hidden = self.session.run(["last_hidden_state"], inputs)[0]            # [batch, sequence, dim]
        weights = mask.astype(np.float32)
        self.tokens_seen += int(mask.sum())
        # sentence-transformers' Pooling(mean): sum over real tokens / max(count, 1e-9)
        pooled = np.matmul(weights[:, None, :], hidden)[:, 0, :]                # [batch, dim]
        pooled /= np.maximum(weights.sum(axis=1, keepdims=True), 1e-9)
        # Normalize: torch.nn.functional.normalize(p=2, eps=1e-12)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

    def count_tokens(self, texts: list) -> int:
        """Tokens the model saw in the last embed() of `texts` (real tokens, padding excluded)."""
        return self.tokens_seen


WORKER_ENGINES = {"sentence-transformers": SentenceTransformersEngine, "onnxruntime": OnnxRuntimeEngine}


def peak_rss_bytes() -> int:
    """This process's peak resident set size (ru_maxrss is KiB on Linux, bytes on macOS)."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def query_latency_ms(embed_query, text: str, runs: int) -> dict:
    """p50 and p90 milliseconds of `embed_query(text)` over `runs` calls, after a few untimed ones."""
    import numpy as np

    for _ in range(QUERY_WARMUP_RUNS):
        embed_query(text)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        embed_query(text)
        samples.append((time.perf_counter() - start) * 1000)
    return {"p50": round(float(np.percentile(samples, 50)), 3), "p90": round(float(np.percentile(samples, 90)), 3),
            "runs": runs}


def run_worker(argv: list) -> None:
    """Loads one peer engine, warms it up, times one embedding of all texts and the query latency; prints JSON."""
    import numpy as np

    args = parse_worker_arguments(argv)
    texts = read_corpus(args.input, args.texts)
    start = time.perf_counter()
    engine = WORKER_ENGINES[args.worker](args)
    load_seconds = time.perf_counter() - start
    start = time.perf_counter()
    engine.embed_query(args.query)  # first vector = load + one query, as `apus bench embed` defines it
    first_vector_seconds = load_seconds + time.perf_counter() - start
    engine.embed(texts[: args.batch_size])  # warm-up, not timed

    start = time.perf_counter()
    vectors = engine.embed(texts)
    seconds = time.perf_counter() - start
    tokens = engine.count_tokens(texts)  # not timed; ORT reports what the timed run saw, so count it first
    latency = query_latency_ms(engine.embed_query, args.query, QUERY_RUNS)
    np.save(args.output, np.ascontiguousarray(vectors, dtype=np.float32))
    print(json.dumps({
        "engine": args.worker, "precision": "fp32", "texts": len(texts), "tokens": tokens, "threads": args.threads,
        "batch_size": args.batch_size, "max_length": args.max_length, "load_seconds": round(load_seconds, 4),
        "first_vector_seconds": round(first_vector_seconds, 4), "runs_seconds": [round(seconds, 4)],
        "median_seconds": round(seconds, 4), "sentences_per_second": round(len(texts) / seconds, 2),
        "tokens_per_second": round(tokens / seconds, 1), "query_latency_ms": latency,
        "peak_rss_bytes": peak_rss_bytes()}), flush=True)


# ----------------------------------------------------------------------------------------------------------------
# Main process: export, run every engine in turn, summarise


def parse_arguments(argv: list) -> argparse.Namespace:
    """Reads the benchmark's command line."""
    parser = argparse.ArgumentParser(
        description="Embedding throughput of Apus, sentence-transformers and ONNX Runtime, side by side.")
    parser.add_argument("--corpus", default=str(ROOT / ".cache/bench/corpus.txt"), help="one text per line")
    parser.add_argument("--model", default=str(ROOT / ".cache/models/all-MiniLM-L6-v2"), help="Hub-layout model folder")
    parser.add_argument("--texts", type=int, default=2000, help="embed the first N lines (default 2000)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per engine, interleaved (default 3)")
    parser.add_argument("--apus-binary", default=str(ROOT / ".build/release/apus"),
                        help="the `apus` executable (default .build/release/apus); needs `apus bench embed`")
    parser.add_argument("--apus-precision", action="append", dest="apus_precisions", metavar="PRECISION",
                        help="Apus precision to run, repeatable: --apus-precision fp32 --apus-precision bf16 "
                             "(default fp32)")
    parser.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES),
                        help="engines to run (default: all)")
    parser.add_argument("--check", action="store_true",
                        help="compare every engine's vectors with sentence-transformers' (cosine, max |difference|)")
    args = parser.parse_args(argv)
    args.apus_precisions = list(dict.fromkeys(args.apus_precisions or ["fp32"]))
    args.engines = list(dict.fromkeys(args.engines))
    if min(args.texts, args.batch_size, args.max_length, args.threads, args.repeats) < 1:
        parser.error("--texts, --batch-size, --max-length, --threads and --repeats must be at least 1")
    if args.check and REFERENCE not in args.engines:
        parser.error(f"--check compares with {REFERENCE}, so --engines must include it")
    for precision in args.apus_precisions:
        if not precision.isalnum():
            parser.error(f"--apus-precision {precision!r}: expected a name such as fp32 or bf16")
    return args


def thread_environment(threads: int) -> dict:
    """The environment for every engine's process: thread pools fixed before any library starts them."""
    environment = dict(os.environ)
    for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "RAYON_NUM_THREADS"):
        environment[variable] = str(threads)
    return environment


def run_process(command: list, environment: dict, what: str) -> str:
    """Runs `command`, relays its stderr, returns its stdout; exits naming `what` if it fails."""
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment)
    if result.stderr.strip():
        print("\n".join(f"  [{what}] {line}" for line in result.stderr.split("\n") if line.strip()), file=sys.stderr)
    if result.returncode != 0:
        raise SystemExit(f"bench_peers: {what} failed (exit {result.returncode}): {' '.join(command)}")
    return result.stdout


def export_onnx_model(args: argparse.Namespace) -> str:
    """Path of the verified ONNX export of --model, made by scripts/export_minilm_onnx.py when missing."""
    command = [sys.executable, str(ROOT / "scripts/export_minilm_onnx.py"), "--model", args.model,
               "--corpus", args.corpus, "--max-length", str(args.max_length), "--threads", str(args.threads)]
    stdout = run_process(command, thread_environment(args.threads), "ONNX export")
    lines = stdout.strip().split("\n")
    if not lines or not pathlib.Path(lines[-1]).is_file():
        raise SystemExit(f"bench_peers: the ONNX export printed no .onnx path (stdout: {stdout!r})")
    return lines[-1]


def apus_bench_options(binary: str) -> str:
    """`apus bench embed --help`, or an exit explaining that this binary has no `bench embed`."""
    if not os.access(binary, os.X_OK):
        raise SystemExit(f"bench_peers: Apus binary {binary} not found or not executable (swift build -c release, "
                         "or leave Apus out: --engines sentence-transformers onnxruntime)")
    result = subprocess.run([binary, "bench", "embed", "--help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    if result.returncode != 0 or "--json" not in result.stdout or "--precision" not in result.stdout:
        raise SystemExit(f"bench_peers: {binary} has no `bench embed` with --precision and --json (rebuild it, or "
                         "leave Apus out: --engines sentence-transformers onnxruntime); its help said:\n"
                         + result.stdout[:600])
    return result.stdout


def engine_labels(args: argparse.Namespace) -> list:
    """The run order within one repeat: first Apus precision, the peers, then the other Apus precisions."""
    apus = [f"apus-{precision}" for precision in args.apus_precisions] if "apus" in args.engines else []
    peers = [engine for engine in PEERS if engine in args.engines]
    return apus[:1] + peers + apus[1:]


def engine_command(label: str, args: argparse.Namespace, input_path: pathlib.Path, output_path: pathlib.Path,
                   onnx_path: str, apus_takes_query: bool) -> list:
    """The command line of one timed run of `label` (apus-<precision> or a peer)."""
    common = ["--model", args.model, "--input", str(input_path), "--texts", str(args.texts),
              "--batch-size", str(args.batch_size), "--max-length", str(args.max_length),
              "--threads", str(args.threads), "--output", str(output_path)]
    if label.startswith("apus-"):
        query = ["--query", QUERY_TEXT] if apus_takes_query else []
        return [args.apus_binary, "bench", "embed", *common, "--repeats", "1",
                "--precision", label[len("apus-"):], "--json", *query]
    onnx = ["--onnx", onnx_path] if label == "onnxruntime" else []
    return [sys.executable, str(pathlib.Path(__file__).resolve()), "--worker", label, *common, "--query", QUERY_TEXT,
            *onnx]


def parse_result(stdout: str, label: str, texts: int, tokens: int) -> dict:
    """The engine's JSON object (the whole stdout, else its last line), checked for keys and text count."""
    try:
        result = json.loads(stdout)
    except json.JSONDecodeError:
        lines = stdout.strip().split("\n")
        try:
            result = json.loads(lines[-1])
        except json.JSONDecodeError:
            raise SystemExit(f"bench_peers: {label} printed no JSON object on stdout:\n{stdout[:600]}") from None
    missing = [key for key in RESULT_KEYS if key not in result]
    if missing:
        raise SystemExit(f"bench_peers: {label}'s JSON lacks {', '.join(missing)}: {json.dumps(result)[:600]}")
    if result["texts"] != texts:
        raise SystemExit(f"bench_peers: {label} embedded {result['texts']} texts, expected {texts}")
    if result["tokens"] != tokens:
        print(f"bench_peers: warning: {label} counted {result['tokens']} tokens, the tokenizer.json count is "
              f"{tokens}: its tokenisation differs, so the comparison is not like for like", file=sys.stderr)
    return result


def run_record(label: str, repeat: int, result: dict, texts: int, tokens: int) -> dict:
    """The {"event": "run"} line of one timed run; rates use the same text and token counts for every engine."""
    seconds = float(result["median_seconds"])
    latency = result["query_latency_ms"]
    return {"event": "run", "engine": "apus" if label.startswith("apus-") else label,
            "precision": result["precision"], "repeat": repeat, "seconds": round(seconds, 4),
            "sentences_per_second": round(texts / seconds, 2), "tokens_per_second": round(tokens / seconds, 1),
            "load_seconds": round(float(result["load_seconds"]), 4), "query_p50_ms": round(float(latency["p50"]), 3),
            "query_p90_ms": round(float(latency["p90"]), 3), "peak_rss_bytes": int(result["peak_rss_bytes"])}


def median_by_engine(runs: dict, texts: int, tokens: int) -> dict:
    """Per engine label: median seconds, rates, load and query latency over its runs; the largest peak RSS."""
    medians = {}
    for label, records in runs.items():
        seconds = statistics.median(record["seconds"] for record in records)
        medians[label] = {
            "median_seconds": round(seconds, 4), "sentences_per_second": round(texts / seconds, 2),
            "tokens_per_second": round(tokens / seconds, 1),
            "load_seconds": round(statistics.median(record["load_seconds"] for record in records), 4),
            "query_p50_ms": round(statistics.median(record["query_p50_ms"] for record in records), 3),
            "query_p90_ms": round(statistics.median(record["query_p90_ms"] for record in records), 3),
            "peak_rss_bytes": max(record["peak_rss_bytes"] for record in records), "runs": len(records)}
    return medians


def speed_ratios(medians: dict) -> dict:
    """Peer median seconds / Apus median seconds for every Apus precision and peer (> 1: Apus is faster)."""
    def key(label: str) -> str:
        return label.replace("-", "_")

    apus = [label for label in medians if label.startswith("apus-")]
    peers = [label for label in medians if not label.startswith("apus-")]
    ratios = {}
    for ours in apus:
        for theirs in peers + [label for label in apus if label != ours and apus.index(label) < apus.index(ours)]:
            ratios[f"{key(ours)}_vs_{key(theirs)}"] = round(
                medians[theirs]["median_seconds"] / medians[ours]["median_seconds"], 3)
    if set(PEERS) <= set(medians):
        ratios["onnxruntime_vs_sentence_transformers"] = round(
            medians["sentence-transformers"]["median_seconds"] / medians["onnxruntime"]["median_seconds"], 3)
    return ratios


def library_versions() -> dict:
    """Versions of the peer libraries and of Python, without importing them."""
    from importlib import metadata

    versions = {"python": sys.version.split()[0]}
    for package in ("torch", "transformers", "sentence-transformers", "onnxruntime", "tokenizers", "numpy"):
        try:
            versions[package.replace("-", "_")] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package.replace("-", "_")] = None
    return versions


def compare_vectors(label: str, ours_path: pathlib.Path, reference_path: pathlib.Path) -> dict:
    """The {"event": "check"} line: `label`'s vectors against the reference engine's, text by text."""
    import numpy as np

    ours, reference = np.load(ours_path).astype(np.float64), np.load(reference_path).astype(np.float64)
    if ours.shape != reference.shape:
        raise SystemExit(f"bench_peers: {label} wrote vectors of shape {ours.shape}, {REFERENCE} {reference.shape}")
    norms = np.linalg.norm(ours, axis=1) * np.linalg.norm(reference, axis=1)
    cosines = (ours * reference).sum(axis=1) / np.maximum(norms, 1e-30)
    differences = np.abs(ours - reference).max(axis=1)
    return {"event": "check", "engine": label, "reference": REFERENCE, "texts": len(ours),
            "min_cosine": float(cosines.min()), "mean_cosine": float(cosines.mean()),
            "worst_cosine_index": int(cosines.argmin()), "max_abs_difference": float(differences.max()),
            "worst_difference_index": int(differences.argmax())}


def print_table(medians: dict, ratios: dict, checks: list) -> None:
    """A human-readable summary on stderr: one row per engine, then the Apus ratios and the checks."""
    baseline = REFERENCE if REFERENCE in medians else next(iter(medians))
    short = "ST" if baseline == REFERENCE else baseline
    print(f"\n{'engine':<22} {'median s':>9} {'sent/s':>8} {'x ' + short:>11} {'p50 ms':>8} "
          f"{'load ms':>8} {'peak RSS MB':>12}", file=sys.stderr)
    for label, row in medians.items():
        speed = medians[baseline]["median_seconds"] / row["median_seconds"]
        print(f"{label:<22} {row['median_seconds']:>9.3f} {row['sentences_per_second']:>8.1f} {speed:>10.2f}x "
              f"{row['query_p50_ms']:>8.2f} {row['load_seconds'] * 1000:>8.0f} "
              f"{row['peak_rss_bytes'] / 2**20:>12.1f}", file=sys.stderr)
    if ratios:
        print("ratios, A_vs_B = B's median seconds / A's (> 1: A is faster):", file=sys.stderr)
    for name, ratio in ratios.items():
        print(f"  {name:<40} {ratio:>8.3f}", file=sys.stderr)
    for check in checks:
        print(f"  check {check['engine']} vs {check['reference']}: min cosine {check['min_cosine']:.7f}, "
              f"mean {check['mean_cosine']:.7f}, max |diff| {check['max_abs_difference']:.2e}", file=sys.stderr)


def main() -> None:
    """Runs every engine once per repeat, interleaved, then prints the summary (and the checks)."""
    if sys.argv[1:2] == ["--worker"]:
        run_worker(sys.argv[1:])
        return
    args = parse_arguments(sys.argv[1:])
    texts = read_corpus(args.corpus, args.texts)
    args.texts = len(texts)
    tokens = sum(len(encoding.ids) for encoding in
                 load_tokenizer(args.model, args.max_length, pad_to_longest=False).encode_batch(texts))
    print(f"bench_peers: {len(texts)} texts, {tokens} tokens after truncation to {args.max_length}", file=sys.stderr)
    environment = thread_environment(args.threads)
    onnx_path = export_onnx_model(args) if "onnxruntime" in args.engines else None
    apus_takes_query = "apus" in args.engines and "--query" in apus_bench_options(args.apus_binary)
    labels = engine_labels(args)
    load_average_before = os.getloadavg()

    runs = {label: [] for label in labels}
    with tempfile.TemporaryDirectory(prefix="apus-bench-") as scratch:
        input_path = pathlib.Path(scratch) / "texts.txt"
        input_path.write_text("\n".join(texts) + "\n", encoding="utf-8", newline="\n")

        def vectors_path(label: str, repeat: int) -> pathlib.Path:
            return pathlib.Path(scratch) / f"vectors-{label}-{repeat}.npy"

        for repeat in range(args.repeats):
            shift = repeat % len(labels)
            for label in labels[shift:] + labels[:shift]:
                command = engine_command(label, args, input_path, vectors_path(label, repeat), onnx_path,
                                         apus_takes_query)
                print(f"bench_peers: repeat {repeat}: {label}", file=sys.stderr)
                result = parse_result(run_process(command, environment, label), label, len(texts), tokens)
                runs[label].append(run_record(label, repeat, result, len(texts), tokens))
                emit(runs[label][-1])

        medians = median_by_engine(runs, len(texts), tokens)
        ratios = speed_ratios(medians)
        emit({"event": "summary", "texts": len(texts), "tokens": tokens, "threads": args.threads,
              "batch_size": args.batch_size, "max_length": args.max_length, "repeats": args.repeats,
              "order": labels, "engines": medians, "ratios": ratios, "query_text": QUERY_TEXT,
              "apus_query_text": "same" if apus_takes_query else "chosen by apus",
              "load_average": {"before": [round(value, 2) for value in load_average_before],
                               "after": [round(value, 2) for value in os.getloadavg()]},
              "cpu_count": os.cpu_count(), "versions": library_versions()})
        checks = []
        if args.check:
            for label in labels:
                if label != REFERENCE:
                    checks.append(compare_vectors(label, vectors_path(label, 0), vectors_path(REFERENCE, 0)))
                    emit(checks[-1])
    print_table(medians, ratios, checks)


if __name__ == "__main__":
    main()
