#!/usr/bin/env bash
# Makes <repo>/.venv (gitignored) with the pinned dev-only Python packages of scripts/requirements-dev.txt:
# torch (CPU), transformers, tokenizers, sentence-transformers, safetensors, numpy, onnx, onnxruntime. Only the fixture and
# benchmark scripts use it; building and testing Apus never does.
#
# Idempotent: reinstalls only when requirements-dev.txt changed since the last successful run.
# Needs python3 with the venv module (Debian: apt-get install -y python3-venv). Prints the venv's python.
#
# Run: scripts/setup-dev-venv.sh
#      .venv/bin/python scripts/make_minilm_fixtures.py
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$repo/.venv"
requirements="$repo/scripts/requirements-dev.txt"
stamp="$venv/.requirements-dev.sha256"

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi

wanted=$(python3 -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "$requirements")
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" >&2
    echo "$wanted" > "$stamp"
fi
echo "$venv/bin/python"
