#!/usr/bin/env bash
# The one command: bench/run.sh [--quick] [--soak N] [--only a,b] [--no-litellm]
# Creates the bench-only virtualenv on first use (LiteLLM, matplotlib, py-spy),
# raises the open-file limit, and runs python -m bench.run from the repo root.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv-litellm"
stamp="$venv/.requirements-installed"

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
if ! cmp -s "$here/requirements-bench.txt" "$stamp"; then
    "$venv/bin/pip" install -q -r "$here/requirements-bench.txt"
    cp "$here/requirements-bench.txt" "$stamp"
fi

# 10k concurrent streams need ~20k descriptors in the proxy and 10k in the
# load generator; every process started below inherits this limit.
ulimit -n "$(ulimit -Hn)"
cd "$here/.."
exec "$venv/bin/python" -m bench.run "$@"
