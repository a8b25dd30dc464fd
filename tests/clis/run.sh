#!/usr/bin/env bash
# `make test-clis`: install the pinned CLIs (network: the npm registry), then
# run tests/clis with nothing but loopback reachable when this machine lets
# us make a network namespace (root + unshare + ip), so a CLI phoning home
# fails the suite instead of leaving the machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-.venv/bin}
"$BIN/python" -m tests.clis.install >/dev/null
export SWITCHYARD_CLIS=1
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null && command -v ip >/dev/null \
        && unshare -n true 2>/dev/null; then
    exec unshare -n sh -c 'ip link set lo up && exec "$@"' sh "$BIN/pytest" -n 2 tests/clis "$@"
fi
echo "test-clis: no network namespace here; running with the host network" >&2
exec "$BIN/pytest" -n 2 tests/clis "$@"
