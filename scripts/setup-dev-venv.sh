#!/usr/bin/env bash
# Creates .venv with the pinned dev-only Python packages (fixture and benchmark scripts). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install --quiet -r scripts/requirements-dev.txt
echo "$PWD/.venv/bin/python"
