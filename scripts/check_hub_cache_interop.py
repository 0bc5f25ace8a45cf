#!/usr/bin/env python3
"""Checks that Apus and Python's huggingface_hub share one Hub cache, both ways.

What it does (no internet: a tiny Hub is served from this script on 127.0.0.1):
  1. Serves a small repository `tiny-org/tiny-bert` (the tiny-bert-mlm fixture's config.json and tokenizer.json,
     a sentence-transformers modules.json and 1_Pooling/config.json, a 1 KB stand-in model.safetensors served
     through an LFS-style 302 to another host name; branch `main` and tag `v1` on two commits) with the routes
     huggingface_hub 2.x calls: /api/models/{repo}/revision/{rev}, /api/models/{repo}/tree/{rev},
     HEAD/GET /{repo}/resolve/{rev}/{file} with X-Repo-Commit, ETag, X-Linked-Etag and X-Linked-Size.
  2. `--write-fixture`: lets huggingface_hub.snapshot_download (and one hf_hub_download of a missing file, to get
     a `.no_exist` marker) fill a cache, and copies that cache to Tests/Fixtures/hub-cache, which
     Tests/ApusHubTests/PythonCacheTests.swift reads with HF_HUB_OFFLINE=1.
  3. `--apus PATH`: runs `apus tokenize --model tiny-org/tiny-bert` and `--model tiny-org/tiny-bert@v1` against the
     same server into a fresh HF_HOME, then checks with huggingface_hub (local_files_only=True: snapshot_download,
     hf_hub_download, and scan_cache_dir's structure checks) that Python finds everything Apus wrote.

  4. `--serve [--serve-folder DIR --repo ORG/NAME]`: only serves (the tiny repository, or a local model folder under
     a Hub id) until interrupted, to try `apus` by hand: HF_ENDPOINT=<printed address> apus embed --model ORG/NAME hi

Run from the repository root with the dev venv (huggingface_hub 2.x):
    /work/venv-dev/bin/python scripts/check_hub_cache_interop.py --write-fixture
    swift build && /work/venv-dev/bin/python scripts/check_hub_cache_interop.py --apus .build/debug/apus
"""
import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "Tests" / "Fixtures" / "hub-cache"
REPO = "tiny-org/tiny-bert"
LFS_SUFFIXES = (".safetensors", ".bin", ".gguf")


def repository_commits():
    """Two commits: `main` (current) and `v1` (an older config.json)."""
    source = ROOT / "Tests" / "Fixtures" / "tiny-bert-mlm"
    files = {
        "config.json": (source / "config.json").read_bytes(),
        "tokenizer.json": (source / "tokenizer.json").read_bytes(),
        "modules.json": json.dumps([
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        ]).encode(),
        "1_Pooling/config.json": b'{"word_embedding_dimension": 32, "pooling_mode_mean_tokens": true}',
        # A stand-in: the cache checks never parse the weights, and the fixture stays tiny.
        "model.safetensors": bytes(range(256)) * 4,
        "README.md": b"# tiny-bert\n",
        "onnx/model.onnx": b"\x00" * 64,
    }
    old = dict(files)
    old["config.json"] = files["config.json"].replace(b'"hidden_act": "gelu"', b'"hidden_act": "gelu_new"')
    main = hashlib.sha1(b"main").hexdigest()
    v1 = hashlib.sha1(b"v1").hexdigest()
    return {main: files, v1: old}, {"main": main, "v1": v1}


COMMITS, REFS = repository_commits()


def git_blob_sha1(content):
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


class Hub(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    requests = []

    def log_message(self, *args):
        pass

    def reply(self, status, headers=(), body=b"", head=False):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if not head:
            self.wfile.write(body)
        self.close_connection = True

    def error(self, status, code, message, commit=None, head=False):
        headers = [("X-Error-Code", code), ("X-Error-Message", message), ("Content-Type", "application/json")]
        if commit:
            headers.append(("X-Repo-Commit", commit))
        self.reply(status, headers, json.dumps({"error": message}).encode(), head)

    def commit_for(self, revision):
        revision = unquote(revision)
        if revision in REFS:
            return REFS[revision]
        return revision if revision in COMMITS else None

    def do_HEAD(self):
        self.route(head=True)

    def do_GET(self):
        self.route(head=False)

    def route(self, head):
        Hub.requests.append((self.command, self.path, self.headers.get("Authorization")))
        path = urlsplit(self.path).path
        parts = [unquote(p) for p in path.split("/") if p]
        if parts[:2] == ["api", "models"] and len(parts) >= 6 and parts[4] in ("revision", "tree"):
            repo = parts[2] + "/" + parts[3]
            if repo != REPO:
                return self.error(404, "RepoNotFound", "Repository not found", head=head)
            commit = self.commit_for(parts[5])
            if commit is None:
                return self.error(404, "RevisionNotFound", "Invalid rev id", head=head)
            files = COMMITS[commit]
            if parts[4] == "revision":
                siblings = []
                for name in sorted(files):
                    entry = {"rfilename": name, "size": len(files[name])}
                    if name.endswith(LFS_SUFFIXES):
                        entry["lfs"] = {"sha256": hashlib.sha256(files[name]).hexdigest(), "size": len(files[name]), "pointerSize": 134}
                    siblings.append(entry)
                body = {"id": repo, "modelId": repo, "sha": commit, "siblings": siblings, "private": False, "gated": False}
            else:
                body = []
                for folder in sorted({n.rsplit("/", 1)[0] for n in files if "/" in n}):
                    body.append({"type": "directory", "oid": hashlib.sha1(folder.encode()).hexdigest(), "size": 0, "path": folder})
                for name in sorted(files):
                    entry = {"type": "file", "oid": git_blob_sha1(files[name]), "size": len(files[name]), "path": name}
                    if name.endswith(LFS_SUFFIXES):
                        entry["lfs"] = {"oid": hashlib.sha256(files[name]).hexdigest(), "size": len(files[name]), "pointerSize": 134}
                    body.append(entry)
            return self.reply(200, [("Content-Type", "application/json")], json.dumps(body).encode(), head)
        if len(parts) >= 5 and parts[2] == "resolve":
            repo = parts[0] + "/" + parts[1]
            if repo != REPO:
                return self.error(401, "RepoNotFound", "Repository not found", head=head)
            commit = self.commit_for(parts[3])
            if commit is None:
                return self.error(404, "RevisionNotFound", "Invalid rev id", head=head)
            name = "/".join(parts[4:])
            content = COMMITS[commit].get(name)
            if content is None:
                return self.error(404, "EntryNotFound", "Entry not found", commit=commit, head=head)
            if name.endswith(LFS_SUFFIXES):
                sha = hashlib.sha256(content).hexdigest()
                port = self.server.server_address[1]
                return self.reply(302, [("Location", f"http://localhost:{port}/cdn/{sha}"), ("X-Repo-Commit", commit),
                                        ("X-Linked-Etag", f'"{sha}"'), ("X-Linked-Size", str(len(content))),
                                        ("ETag", f'"{git_blob_sha1(content)}"')], b"", head)
            return self.reply(200, [("X-Repo-Commit", commit), ("ETag", f'"{git_blob_sha1(content)}"'),
                                    ("Content-Type", "application/octet-stream")], content, head)
        if len(parts) == 2 and parts[0] == "cdn":
            for files in COMMITS.values():
                for content in files.values():
                    if hashlib.sha256(content).hexdigest() == parts[1]:
                        return self.reply(200, [("ETag", f'"{parts[1]}"')], content, head)
        return self.error(404, "NotFound", "no route", head=head)


def serve_folder(folder, repo):
    """Replaces the tiny repository with every file of `folder`, as `repo` at one commit on `main`."""
    global REPO, COMMITS, REFS
    files = {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
             if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)}
    commit = hashlib.sha1(repo.encode()).hexdigest()
    REPO, COMMITS, REFS = repo, {commit: files}, {"main": commit}


def start_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def fresh_hub_module(endpoint, home, offline=False):
    """huggingface_hub reads its environment at import: set it, then (re)import."""
    os.environ["HF_ENDPOINT"] = endpoint
    os.environ["HF_HOME"] = str(home)
    os.environ.pop("HF_HUB_CACHE", None)
    os.environ.pop("HF_TOKEN", None)
    os.environ["HF_HUB_DISABLE_XET"] = "1"
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
    if offline:
        os.environ["HF_HUB_OFFLINE"] = "1"
    else:
        os.environ.pop("HF_HUB_OFFLINE", None)
    for name in [m for m in sys.modules if m == "huggingface_hub" or m.startswith("huggingface_hub.")]:
        del sys.modules[name]
    import huggingface_hub
    return huggingface_hub


PATTERNS = ["*.json", "model.safetensors"]


def write_fixture(endpoint):
    with tempfile.TemporaryDirectory() as home:
        hub = fresh_hub_module(endpoint, home)
        main = hub.snapshot_download(REPO, allow_patterns=PATTERNS)
        v1 = hub.snapshot_download(REPO, revision="v1", allow_patterns=PATTERNS)
        try:
            hub.hf_hub_download(REPO, "generation_config.json")
        except hub.errors.EntryNotFoundError:
            pass  # leaves .no_exist/{commit}/generation_config.json, as transformers' optional lookups do
        print("huggingface_hub", hub.__version__, "wrote", main, "and", v1)
        cache = Path(home) / "hub"
        if FIXTURE.exists():
            shutil.rmtree(FIXTURE)
        # Keep the layout (symlinks as symlinks); drop lock files and the tree listings huggingface_hub 2.x caches.
        shutil.copytree(cache, FIXTURE, symlinks=True, ignore=shutil.ignore_patterns("*.lock", "trees", ".locks"))
    (FIXTURE / "README.md").write_text(
        "A Hub cache written by Python's huggingface_hub (scripts/check_hub_cache_interop.py --write-fixture):\n"
        f"{REPO} at main ({REFS['main']}) and tag v1 ({REFS['v1']}), a .no_exist marker for generation_config.json.\n"
        "model.safetensors is a 1 KB stand-in. Read by Tests/ApusHubTests/PythonCacheTests.swift.\n")
    print("fixture:", FIXTURE)


def check_apus_cache(endpoint, apus):
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
        env.update({"HF_ENDPOINT": endpoint, "HF_HOME": home})
        for spec in [REPO, REPO + "@v1"]:
            run = subprocess.run([apus, "tokenize", "--model", spec, "hello"], env=env, capture_output=True, text=True)
            if run.returncode != 0:
                sys.exit(f"apus tokenize --model {spec} failed:\n{run.stderr}")
            print(f"apus tokenize --model {spec}: {run.stdout.strip()}")
            print("  stderr:", run.stderr.strip().replace("\n", "\n          "))
        hub = fresh_hub_module(endpoint, home, offline=True)
        checked = []
        main = Path(hub.snapshot_download(REPO, local_files_only=True))
        assert main.name == REFS["main"], main
        v1 = Path(hub.snapshot_download(REPO, revision="v1", local_files_only=True))
        assert v1.name == REFS["v1"], v1
        for revision, commit in REFS.items():
            for name in ["config.json", "tokenizer.json", "modules.json", "1_Pooling/config.json", "model.safetensors"]:
                path = hub.hf_hub_download(REPO, name, revision=revision, local_files_only=True)
                assert Path(path).read_bytes() == COMMITS[commit][name], (revision, name)
                checked.append(f"{revision}:{name}")
        for name in ["README.md", "onnx/model.onnx"]:
            try:
                hub.hf_hub_download(REPO, name, local_files_only=True)
                sys.exit(f"apus fetched {name}, which it does not need")
            except hub.errors.LocalEntryNotFoundError:
                pass
        info = hub.scan_cache_dir(Path(home) / "hub")
        if info.warnings:
            sys.exit(f"scan_cache_dir found problems in the cache apus wrote: {info.warnings}")
        (repo,) = info.repos
        refs = sorted(ref for revision in repo.revisions for ref in revision.refs)
        print(f"huggingface_hub {hub.__version__} (offline) found {len(checked)} files apus wrote; scan_cache_dir: "
              f"{repo.repo_id}, {repo.nb_files} blobs, {len(repo.revisions)} snapshots, refs {refs}, no warnings")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write-fixture", action="store_true", help="write Tests/Fixtures/hub-cache with huggingface_hub")
    parser.add_argument("--apus", help="an apus binary whose cache huggingface_hub must read")
    parser.add_argument("--serve", action="store_true", help="only serve the tiny Hub until interrupted")
    parser.add_argument("--serve-folder", help="with --serve: a local model folder to serve instead of the tiny repository")
    parser.add_argument("--repo", default=REPO, help="with --serve-folder: the Hub id to serve it as")
    args = parser.parse_args()
    if args.serve_folder:
        serve_folder(Path(args.serve_folder), args.repo)
    server, endpoint = start_server()
    if args.serve:
        print("serving", REPO, "at", endpoint, flush=True)
        threading.Event().wait()
    if args.write_fixture:
        write_fixture(endpoint)
    if args.apus:
        check_apus_cache(endpoint, args.apus)
    server.shutdown()


if __name__ == "__main__":
    main()
